"""Long frames ``unique_id, ds, y`` (+ exogenous columns): validation, gaps, matrices, Dataset helpers.

gridcrm's forecasting speaks the convention of Nixtla's libraries: one long frame for
all series, one row per series and time stamp, columns ``unique_id`` (the series),
``ds`` (``datetime64``) and ``y`` (the value), followed by any exogenous columns
(temperature features, holiday flags). :func:`validate_frame` is the one place
where such a frame is checked; :mod:`gridcrm.forecasting.sources` builds frames from a
:class:`~gridcrm.data.Dataset`.

Gaps
----
A missing time stamp inside a series (a meter gap) is a missing row in the data
model. :func:`fill_gaps` inserts the missing rows with ``y = NaN``; the engines then
impute every missing value by the value one season earlier (the next season later
at the very start of a series, a linear interpolation when neither exists) and count
the imputed points per series in ``models_["n_imputed"]``.
"""

from __future__ import annotations

import logging
import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.errors import GridcrmError

__all__ = [
    "FrameError",
    "SeriesMatrix",
    "validate_frame",
    "fill_gaps",
    "to_matrix",
    "impute_seasonal",
    "future_dates",
]

logger = logging.getLogger(__name__)

ID, DS, Y = "unique_id", "ds", "y"


class FrameError(GridcrmError, ValueError):
    """A long frame ``unique_id, ds, y`` breaks the convention; the message says which series and how to fix it."""


def _ids(values: Iterable[object]) -> str:
    """Affected series ids, shortened for messages."""
    return reprlib.repr([v.item() if isinstance(v, np.generic) else v for v in values])


def validate_frame(
    df: pd.DataFrame,
    *,
    target: str | None = Y,
    exog: Sequence[str] | None = None,
    name: str = "df",
) -> list[str]:
    """Check a long frame and return the names of its exogenous columns.

    Parameters
    ----------
    df : DataFrame
        Columns ``unique_id``, ``ds`` (``datetime64``), ``y`` (numeric; NaN marks a
        gap) and any exogenous columns (numeric, no NaN). Rows of one series must be
        contiguous and their ``ds`` strictly increasing.
    target : str or None
        Name of the target column; None for frames of future exogenous values.
    exog : sequence of str, optional
        Exogenous columns to check; default all columns but ``unique_id, ds, y``.
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    list of str
        The exogenous column names.

    Raises
    ------
    FrameError
        A column is missing or has the wrong dtype, a ``(unique_id, ds)`` pair is
        duplicated, the rows are not sorted, or an exogenous value is missing. The
        message names the affected series and the fix.

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": [1, 1], "ds": pd.to_datetime(["2024-01-02", "2024-01-01"]), "y": [1.0, 2.0]})
    >>> validate_frame(df)
    Traceback (most recent call last):
    ...
    gridcrm.forecasting.frame.FrameError: df: ds is not increasing within each series. Affected series: [1]
    Sort the frame first: df.sort_values(["unique_id", "ds"]).
    """
    if not isinstance(df, pd.DataFrame):
        raise FrameError(f"{name} must be a pandas DataFrame with columns unique_id, ds, y; got {type(df).__name__}")
    required = [ID, DS] + ([target] if target else [])
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise FrameError(
            f"{name} lacks column(s) {missing}; a long frame has columns unique_id, ds, y "
            f"(got {list(df.columns)}). Rename yours, e.g. df.rename(columns={{'customer_id': 'unique_id'}})."
        )
    if not pd.api.types.is_datetime64_any_dtype(df[DS]):
        raise FrameError(f"{name}.ds must be datetime64, got {df[DS].dtype}; convert with pd.to_datetime(df['ds']).")
    if df[DS].isna().any():
        bad = df.loc[df[DS].isna(), ID].unique()
        raise FrameError(f"{name}.ds has missing time stamps. Affected series: {_ids(bad)}")
    if df[ID].isna().any():
        raise FrameError(f"{name}.unique_id has missing values in {int(df[ID].isna().sum())} row(s)")
    if target:
        col = df[target]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise FrameError(
                f"{name}.{target} must be numeric, got dtype {col.dtype}; "
                f"convert with pd.to_numeric(df[{target!r}], errors='coerce') (unparseable values become gaps)."
            )
        if np.isinf(col.to_numpy(dtype=float)).any():
            bad = df.loc[np.isinf(col.to_numpy(dtype=float)), ID].unique()
            raise FrameError(f"{name}.{target} has infinite values. Affected series: {_ids(bad)}")
    if exog is None:
        exog = [c for c in df.columns if c not in (ID, DS, target)]
    for c in exog:
        if c not in df.columns:
            raise FrameError(f"{name} lacks the exogenous column {c!r}")
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise FrameError(f"{name}.{c} (exogenous) must be numeric or boolean, got dtype {df[c].dtype}")
        if df[c].isna().any():
            bad = df.loc[df[c].isna(), ID].unique()
            raise FrameError(
                f"{name}.{c} (exogenous) has missing values; fill them (e.g. interpolate temperature). "
                f"Affected series: {_ids(bad)}"
            )
    if len(df) == 0:
        return list(exog)
    ids = df[ID].to_numpy()
    new_run = np.r_[True, ids[1:] != ids[:-1]]
    if new_run.sum() != pd.unique(ids).size:
        raise FrameError(
            f"{name}: the rows of a series are not contiguous. Sort the frame first: df.sort_values(['unique_id', 'ds'])."
        )
    ds = df[DS].to_numpy()
    step = np.diff(ds).view("int64")
    same = ~new_run[1:]
    dup = same & (step == 0)
    if dup.any():
        bad = pd.unique(ids[1:][dup])
        raise FrameError(
            f"{name} has duplicate (unique_id, ds) rows. Affected series: {_ids(bad)}\n"
            "Aggregate them first, e.g. df.groupby(['unique_id', 'ds'], as_index=False)['y'].sum()."
        )
    back = same & (step < 0)
    if back.any():
        bad = pd.unique(ids[1:][back])
        raise FrameError(
            f"{name}: ds is not increasing within each series. Affected series: {_ids(bad)}\n"
            "Sort the frame first: df.sort_values([\"unique_id\", \"ds\"])."
        )
    return list(exog)


def _offset(freq: str | pd.DateOffset) -> pd.DateOffset:
    try:
        return pd.tseries.frequencies.to_offset(freq)
    except (TypeError, ValueError) as exc:
        raise FrameError(f"freq must be a pandas frequency such as 'D', 'h', '15min' or 'MS'; got {freq!r}") from exc


def infer_freq(df: pd.DataFrame) -> str:
    """The most common step between consecutive time stamps of a series, as a pandas frequency string.

    Monthly steps (28 to 31 days) give ``"MS"``.

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": 1, "ds": pd.date_range("2024-01-01", periods=5, freq="h"), "y": 1.0})
    >>> infer_freq(df)
    'h'
    """
    ids = df[ID].to_numpy()
    ds = df[DS].to_numpy()
    if len(ds) < 2:
        raise FrameError("cannot infer freq from a frame with fewer than two rows; pass freq explicitly")
    step = np.diff(ds)[ids[1:] == ids[:-1]]
    if step.size == 0:
        raise FrameError("cannot infer freq: every series has a single row; pass freq explicitly")
    values, counts = np.unique(step, return_counts=True)
    delta = pd.Timedelta(values[np.argmax(counts)])
    if pd.Timedelta(days=28) <= delta <= pd.Timedelta(days=31):
        return "MS"
    return pd.tseries.frequencies.to_offset(delta).freqstr


def _fixed_nanos(offset: pd.DateOffset) -> int | None:
    """Length of a fixed-length step in ns (days, hours, minutes, weeks), None for calendar steps (months)."""
    if isinstance(offset, (pd.offsets.Tick, pd.offsets.Day)):
        return int(pd.Timedelta(offset).value)
    if isinstance(offset, pd.offsets.Week) and offset.weekday is None:
        return int(pd.Timedelta(days=7 * offset.n).value)
    return None


def _steps(ds: np.ndarray | pd.Series, offset: pd.DateOffset) -> np.ndarray:
    """Integer position of each time stamp on the grid of ``offset``."""
    ds = pd.DatetimeIndex(ds)
    nanos = _fixed_nanos(offset)
    if nanos is not None:
        return ds.as_unit("ns").asi8 // nanos
    if isinstance(offset, (pd.offsets.MonthBegin, pd.offsets.MonthEnd)):
        return (ds.year * 12 + ds.month - 1).to_numpy().astype(np.int64)
    if isinstance(offset, pd.offsets.Week):
        return ds.as_unit("ns").asi8 // pd.Timedelta(days=7).value
    raise FrameError(f"freq {offset.freqstr!r} is not supported; use a fixed step ('D', 'h', '15min'), 'W' or 'MS'")


def fill_gaps(df: pd.DataFrame, freq: str | None = None) -> pd.DataFrame:
    """Insert the missing time stamps of each series, between its first and last, with ``y = NaN``.

    Parameters
    ----------
    df : DataFrame
        A valid long frame.
    freq : str, optional
        Pandas frequency; inferred when omitted.

    Returns
    -------
    DataFrame
        A new frame with every series on a regular grid; exogenous columns of the
        inserted rows are interpolated within the series.

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": 1, "ds": pd.to_datetime(["2024-01-01", "2024-01-03"]), "y": [1.0, 3.0]})
    >>> fill_gaps(df, "D")["y"].tolist()
    [1.0, nan, 3.0]
    """
    exog = validate_frame(df)
    offset = _offset(freq or infer_freq(df))
    steps = _steps(df[DS], offset)
    ids = df[ID].to_numpy()
    starts = np.r_[0, np.flatnonzero(ids[1:] != ids[:-1]) + 1]
    first = steps[starts]
    last = np.r_[steps[starts[1:] - 1], steps[-1]] if len(starts) else steps[:0]
    length = last - first + 1
    if length.sum() == len(df):
        return df.reset_index(drop=True)
    which = np.repeat(np.arange(len(starts)), length)
    pos = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    # ds of each grid point: offset arithmetic from the series' first time stamp
    first_ds = df[DS].to_numpy()[starts]
    nanos = _fixed_nanos(offset)
    if nanos is not None:
        grid_ds = np.repeat(first_ds, length) + pos * np.timedelta64(nanos, "ns")
    else:
        grid_ds = np.array([d + k * offset for d, k in zip(np.repeat(first_ds, length), pos, strict=True)])
    out = pd.DataFrame({ID: ids[starts][which], DS: pd.to_datetime(grid_ds)})
    row = np.full(len(out), -1)
    row_of = np.repeat(np.cumsum(length) - length, np.diff(np.r_[starts, len(df)])) + (
        steps - np.repeat(first, np.diff(np.r_[starts, len(df)]))
    )
    row[row_of] = np.arange(len(df))
    present = row >= 0
    for c in [Y, *exog]:
        values = np.full(len(out), np.nan)
        values[present] = df[c].to_numpy(dtype=float)
        out[c] = values
    if exog:
        out[exog] = out.groupby(ID, sort=False)[exog].transform(lambda s: s.interpolate(limit_direction="both"))
    logger.info("fill_gaps: inserted %d missing time stamp(s)", int((~present).sum()))
    return out


def impute_seasonal(Y: np.ndarray, season_length: int, copy: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Impute NaN inside each column of a time-major matrix by the value one season away.

    Each missing value takes the value ``season_length`` steps earlier, then (at the
    start of a series) later; what remains is interpolated linearly within the column.
    Leading NaN (before a series starts) stay NaN.

    Parameters
    ----------
    Y : ndarray of shape (T, N)
        Right-aligned series, NaN before each series' start and at gaps.
    season_length : int
    copy : bool
        Work on a copy (default) or in place.

    Returns
    -------
    Y : ndarray of shape (T, N)
        Imputed values.
    n_imputed : ndarray of shape (N,)
        Points imputed per series.

    Examples
    --------
    >>> Y = np.array([[1.0], [2.0], [np.nan], [4.0]])
    >>> impute_seasonal(Y, 2)[0].ravel().tolist()
    [1.0, 2.0, 1.0, 4.0]
    """
    Y = np.array(Y, dtype=float, copy=copy)
    T = Y.shape[0]
    started = np.logical_or.accumulate(~np.isnan(Y), axis=0)
    gap = np.isnan(Y) & started
    n_imputed = gap.sum(axis=0)
    if not gap.any():
        return Y, n_imputed
    s = max(int(season_length), 1)
    for _ in range(4):  # earlier seasons, repeatedly, for gaps longer than a season
        still = np.isnan(Y) & started
        if not still.any():
            break
        Y[s:][still[s:]] = Y[:-s][still[s:]]
    still = np.isnan(Y) & started
    if still.any():  # the first season of a series: one season later
        Y[: T - s][still[: T - s]] = Y[s:][still[: T - s]]
    still = np.isnan(Y) & started
    if still.any():
        cols = np.flatnonzero(still.any(axis=0))
        frame = pd.DataFrame(Y[:, cols]).interpolate(limit_direction="forward", limit_area=None).ffill()
        filled = frame.to_numpy()
        sub = still[:, cols]
        Yc = Y[:, cols]
        Yc[sub] = filled[sub]
        Y[:, cols] = Yc
    return Y, n_imputed


@dataclass
class SeriesMatrix:
    """Series of a long frame as a right-aligned, time-major matrix.

    Attributes
    ----------
    values : ndarray of shape (T, N)
        Column ``j`` holds series ``ids[j]``; its last value is in the last row;
        NaN before the series starts and at gaps.
    ids : ndarray of shape (N,)
    last_ds : DatetimeIndex of length N
        Last time stamp of each series.
    n_obs : ndarray of shape (N,)
        Length of each series (first to last time stamp).
    exog : ndarray of shape (T, N, K)
        Exogenous columns, aligned as ``values`` (0 before the start).
    exog_names : list of str
    offset : DateOffset
    """

    values: np.ndarray
    ids: np.ndarray
    last_ds: pd.DatetimeIndex
    n_obs: np.ndarray
    exog: np.ndarray
    exog_names: list[str]
    offset: pd.DateOffset


def to_matrix(
    df: pd.DataFrame,
    freq: str | None = None,
    max_length: int | None = None,
    exog: Sequence[str] | None = None,
) -> SeriesMatrix:
    """Turn a valid long frame into a :class:`SeriesMatrix` (gaps become NaN).

    Parameters
    ----------
    df : DataFrame
        A long frame already checked by :func:`validate_frame`.
    freq : str, optional
        Pandas frequency; inferred when omitted.
    max_length : int, optional
        Keep at most this many most recent steps per series.
    exog : sequence of str, optional
        Exogenous columns; default none.

    Returns
    -------
    SeriesMatrix

    Examples
    --------
    >>> df = pd.DataFrame({"unique_id": [1, 1, 2], "ds": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-03"]),
    ...                    "y": [1.0, 3.0, 5.0]})
    >>> to_matrix(df, freq="D").values.tolist()
    [[1.0, nan], [nan, nan], [3.0, 5.0]]
    """
    exog = list(exog or [])
    offset = _offset(freq or infer_freq(df))
    ids_all = df[ID].to_numpy()
    if len(df) == 0:
        raise FrameError("the frame has no rows")
    starts = np.r_[0, np.flatnonzero(ids_all[1:] != ids_all[:-1]) + 1]
    ends = np.r_[starts[1:], len(df)] - 1
    N = len(starts)
    counts = ends - starts + 1
    # flat position of each row in the (T, N) matrix, built in place: frames of 100 million rows
    flat = _steps(df[DS], offset)
    last_step = flat[ends]
    n_obs = last_step - flat[starts] + 1
    T = int(n_obs.max()) if max_length is None else int(min(n_obs.max(), max_length))
    flat -= np.repeat(last_step - (T - 1), counts)  # now the row
    keep = flat >= 0 if max_length is not None else None
    flat *= N
    flat += np.repeat(np.arange(N), counts)
    values = np.full((T, N), np.nan)
    y = df[Y].to_numpy(dtype=float)
    if keep is None:
        values.ravel()[flat] = y
    else:
        values.ravel()[flat[keep]] = y[keep]
    X = np.zeros((T, N, len(exog)))
    if exog:
        xv = df[exog].to_numpy(dtype=float)
        X.reshape(T * N, len(exog))[flat if keep is None else flat[keep]] = xv if keep is None else xv[keep]
    return SeriesMatrix(
        values=values,
        ids=ids_all[starts],
        last_ds=pd.DatetimeIndex(df[DS].to_numpy()[ends]),
        n_obs=np.minimum(n_obs, T),
        exog=X,
        exog_names=exog,
        offset=offset,
    )


def future_dates(ids: np.ndarray, last_ds: pd.DatetimeIndex, h: int, offset: pd.DateOffset) -> pd.DataFrame:
    """The ``h`` time stamps after each series' last one, as a frame ``unique_id, ds``.

    Examples
    --------
    >>> future_dates(np.array([7]), pd.DatetimeIndex(["2024-01-31"]), 2, pd.offsets.Day())["ds"].dt.day.tolist()
    [1, 2]
    """
    n = len(ids)
    nanos = _fixed_nanos(offset)
    if nanos is not None:
        ds = np.repeat(last_ds.to_numpy(), h) + np.tile(np.arange(1, h + 1), n) * np.timedelta64(nanos, "ns")
    elif isinstance(offset, pd.offsets.MonthBegin) and offset.n == 1:
        months = np.repeat(last_ds.to_period("M").asi8, h) + np.tile(np.arange(1, h + 1), n)
        ds = pd.PeriodIndex.from_ordinals(months, freq="M").to_timestamp().to_numpy()
    else:
        ds = np.concatenate([pd.date_range(d, periods=h + 1, freq=offset)[1:].to_numpy() for d in last_ds])
    return pd.DataFrame({ID: np.repeat(ids, h), DS: pd.to_datetime(ds)})
