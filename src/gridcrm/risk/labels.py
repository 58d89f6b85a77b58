"""Point-in-time labels, stacked training sets and time splits for the risk models.

A label at ``as_of`` looks only at what happens *on or after* ``as_of`` and
within its horizon; the features of the same row are built from the dataset
truncated at ``as_of`` (:meth:`gridcrm.data.Dataset.truncate`), so nothing the
label sees can reach the features. Every labelled row also carries the last
date its label looked at (``observed_until``), which :func:`time_split` uses to
purge training rows whose outcome was not yet known when the validation or test
period starts.

Definitions
-----------
arrears
    The customer's *next bill* — the first bill issued in
    ``[as_of, as_of + horizon_days)`` — is not paid in full by
    ``due_on + late_days`` (paid more than ``late_days`` days late, or not at
    all); a bill of zero amount is never in arrears. Customers without a bill
    in the window get no label. A bill whose
    deadline ``due_on + late_days`` is on or after the extraction date cannot be
    labelled yet and is left out (logged).
churn
    The account closes in ``[as_of, as_of + horizon_days)``; for customers of
    the ``large_classes``, also when their mean daily kWh over that window falls
    below ``consumption_share`` of their mean over the ``baseline_days`` before
    ``as_of`` (the load moved elsewhere). Only customers open at ``as_of`` are
    labelled, and ``as_of + horizon_days`` must not pass the extraction date.
"""

from __future__ import annotations

import logging
import reprlib
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
from sklearn.exceptions import DataConversionWarning

from gridcrm.risk.errors import LabelError

if TYPE_CHECKING:
    from gridcrm.data import Dataset

__all__ = [
    "ArrearsLabel",
    "ChurnLabel",
    "LabelSpec",
    "TrainingSet",
    "arrears_labels",
    "build_training_set",
    "churn_labels",
    "plan_split",
    "snapshot_dates",
    "time_split",
]

logger = logging.getLogger(__name__)

#: Payments within this amount of the bill count as paying it in full (rounding of cents).
PAYMENT_TOLERANCE = 0.005

FeatureBuilder = Callable[["Dataset", pd.Timestamp], pd.DataFrame]


def _as_of(as_of: object) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"as_of must be a date, got {as_of!r}") from exc
    if pd.isna(ts):
        raise ValueError(f"as_of must be a date, got {as_of!r}")
    return ts.normalize()


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number of days ≥ 0, got {value!r}")
    return int(value)


def _active_customers(dataset: Dataset, as_of: pd.Timestamp) -> pd.DataFrame:
    c = dataset.customers
    active = (c["connected_on"] < as_of) & (c["closed_on"].isna() | (c["closed_on"] >= as_of))
    return c.loc[active]


def arrears_labels(
    dataset: Dataset, as_of: pd.Timestamp | str, late_days: int = 15, horizon_days: int = 45
) -> pd.DataFrame:
    """Arrears label of every customer with a bill issued in ``[as_of, as_of + horizon_days)``.

    Parameters
    ----------
    dataset : Dataset
        The full extract (the label reads rows dated on or after ``as_of``).
    as_of : Timestamp-like
        Snapshot date.
    late_days : int
        Days after the due date by which the bill must be paid in full.
    horizon_days : int
        Window after ``as_of`` in which the next bill must be issued.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted), columns ``label`` (int8: 1 = in
        arrears), ``bill_id``, ``amount``, ``due_on``, ``paid_in_full_on`` (NaT
        unless paid in full by the deadline) and ``observed_until`` (the
        deadline ``due_on + late_days``: the last day the label looks at).

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(300, "2023-01-01", "2024-06-30", seed=1).dataset
    >>> lab = arrears_labels(ds, "2024-03-01")
    >>> list(lab.columns)
    ['label', 'bill_id', 'amount', 'due_on', 'paid_in_full_on', 'observed_until']
    >>> bool(lab["label"].isin([0, 1]).all()), bool((lab["observed_until"] < ds.extracted_on).all())
    (True, True)
    """
    cut = _as_of(as_of)
    late_days = _positive_int("late_days", late_days)
    horizon_days = _positive_int("horizon_days", horizon_days)
    bills = dataset.bills
    ids = _active_customers(dataset, cut)["customer_id"]
    window = bills.loc[
        (bills["issued_on"] >= cut)
        & (bills["issued_on"] < cut + pd.Timedelta(days=horizon_days))
        & bills["customer_id"].isin(ids)
    ]
    nxt = window.sort_values(["customer_id", "issued_on", "bill_id"]).drop_duplicates("customer_id", keep="first")
    deadline = nxt["due_on"] + pd.Timedelta(days=late_days)
    observable = deadline < dataset.extracted_on
    if not observable.all():
        logger.info(
            "arrears labels at %s: %d customer(s) left out, their next bill's deadline is not before extracted_on %s",
            cut.date(), int((~observable).sum()), dataset.extracted_on.date(),
        )
    nxt = nxt.loc[observable]
    paid_on = _paid_in_full_on(dataset.payments, nxt)
    nothing_owed = nxt["amount"] < PAYMENT_TOLERANCE
    paid_on = paid_on.mask(nothing_owed, nxt["issued_on"])
    deadline = nxt["due_on"] + pd.Timedelta(days=late_days)
    late = paid_on.isna() | (paid_on > deadline)
    paid_on = paid_on.mask(late)  # what happens after the deadline is outside the label's window
    out = pd.DataFrame(
        {
            "label": late.astype("int8").to_numpy(),
            "bill_id": nxt["bill_id"].to_numpy(),
            "amount": nxt["amount"].to_numpy(),
            "due_on": nxt["due_on"].to_numpy(),
            "paid_in_full_on": paid_on.to_numpy(),
            "observed_until": deadline.to_numpy(),
        },
        index=pd.Index(nxt["customer_id"].to_numpy(), name="customer_id"),
    )
    return out.sort_index()


def _paid_in_full_on(payments: pd.DataFrame, bills: pd.DataFrame) -> pd.Series:
    """Date each bill's cumulative payments first reach its amount (NaT if never), aligned to ``bills``."""
    if bills.empty:
        return pd.Series([], index=bills.index, dtype="datetime64[ns]")
    pay = payments.loc[payments["bill_id"].isin(bills["bill_id"]), ["bill_id", "paid_on", "amount"]]
    pay = pay.sort_values(["bill_id", "paid_on"], kind="stable")
    cum = pay.groupby("bill_id")["amount"].cumsum()
    due = pay["bill_id"].map(bills.set_index("bill_id")["amount"])
    full = pay.loc[cum >= due - PAYMENT_TOLERANCE].groupby("bill_id")["paid_on"].min()
    paid = pd.Series(full.reindex(bills["bill_id"].to_numpy()).to_numpy(), index=bills.index)
    return paid.astype("datetime64[ns]")


def churn_labels(
    dataset: Dataset,
    as_of: pd.Timestamp | str,
    horizon_days: int = 90,
    large_classes: Sequence[str] = ("large_industry",),
    consumption_share: float | None = 0.3,
    baseline_days: int = 365,
) -> pd.DataFrame:
    """Churn label of every customer open at ``as_of``.

    Parameters
    ----------
    dataset : Dataset
        The full extract.
    as_of : Timestamp-like
        Snapshot date.
    horizon_days : int
        Churn window after ``as_of``.
    large_classes : sequence of str
        Customer classes for which a fall in consumption also counts as churn.
    consumption_share : float or None
        The fall: mean daily kWh in the window below this share of the mean
        over the ``baseline_days`` before ``as_of``. None: closure only.
    baseline_days : int
        Length of the reference period before ``as_of``.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, columns ``label`` (int8), ``closed`` (bool),
        ``consumption_drop`` (bool) and ``observed_until``.

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(300, "2023-01-01", "2024-06-30", seed=1).dataset
    >>> lab = churn_labels(ds, "2024-03-01", horizon_days=90)
    >>> int(lab["label"].sum()) == int((lab["closed"] | lab["consumption_drop"]).sum())
    True

    Raises
    ------
    ValueError
        ``as_of + horizon_days`` lies after the dataset's ``extracted_on``
        (the outcome is not known yet).
    """
    cut = _as_of(as_of)
    horizon_days = _positive_int("horizon_days", horizon_days)
    baseline_days = _positive_int("baseline_days", baseline_days)
    if consumption_share is not None and not 0 < consumption_share < 1:
        raise ValueError(f"consumption_share must lie in (0, 1) or be None, got {consumption_share!r}")
    end = cut + pd.Timedelta(days=horizon_days)
    if end > dataset.extracted_on:
        raise ValueError(
            f"churn labels at as_of={cut.date()} need data until {end.date()} but the dataset ends "
            f"{dataset.extracted_on.date()}; use an earlier as_of or a shorter horizon_days"
        )
    active = _active_customers(dataset, cut)
    closed = (active["closed_on"] >= cut) & (active["closed_on"] < end)
    drop = pd.Series(False, index=active.index)
    large = active["customer_class"].astype("str").isin(list(large_classes))
    if consumption_share is not None and large.any():
        ids = active.loc[large, "customer_id"]
        m = dataset.meter_daily
        m = m.loc[m["customer_id"].isin(ids) & (m["date"] >= cut - pd.Timedelta(days=baseline_days)) & (m["date"] < end)]
        after = m["date"] >= cut
        before_mean = m.loc[~after].groupby("customer_id")["kwh"].mean()
        after_mean = m.loc[after].groupby("customer_id")["kwh"].mean()
        ratio = after_mean.reindex(before_mean.index) / before_mean.where(before_mean > 0)
        fell = (ratio < consumption_share).reindex(active["customer_id"], fill_value=False)
        drop = pd.Series(fell.to_numpy(), index=active.index) & large & ~closed
    out = pd.DataFrame(
        {
            "label": (closed | drop).astype("int8").to_numpy(),
            "closed": closed.to_numpy(),
            "consumption_drop": drop.to_numpy(),
            "observed_until": np.full(len(active), end - pd.Timedelta(days=1), dtype="datetime64[ns]"),
        },
        index=pd.Index(active["customer_id"].to_numpy(), name="customer_id"),
    )
    return out.sort_index()


class LabelSpec(Protocol):
    """What a label definition provides to :func:`build_training_set`."""

    kind: str

    def labels(self, dataset: Dataset, as_of: pd.Timestamp) -> pd.DataFrame: ...  # pragma: no cover

    def last_as_of(self, dataset: Dataset) -> pd.Timestamp: ...  # pragma: no cover


@dataclass(frozen=True)
class ArrearsLabel:
    """The arrears label definition (see :func:`arrears_labels`).

    Examples
    --------
    >>> ArrearsLabel(late_days=30).kind
    'arrears'
    """

    late_days: int = 15
    horizon_days: int = 45
    kind: str = field(default="arrears", init=False)

    def labels(self, dataset: Dataset, as_of: pd.Timestamp | str) -> pd.DataFrame:
        """Labels at ``as_of``; see :func:`arrears_labels`."""
        return arrears_labels(dataset, as_of, self.late_days, self.horizon_days)

    def last_as_of(self, dataset: Dataset, max_due_days: int = 31) -> pd.Timestamp:
        """Latest snapshot whose next bills (due within ``max_due_days`` of issue) can all be labelled."""
        days = self.horizon_days + max_due_days + self.late_days
        return dataset.extracted_on - pd.Timedelta(days=days)


@dataclass(frozen=True)
class ChurnLabel:
    """The churn label definition (see :func:`churn_labels`).

    Examples
    --------
    >>> ChurnLabel().horizon_days
    90
    """

    horizon_days: int = 90
    large_classes: tuple[str, ...] = ("large_industry",)
    consumption_share: float | None = 0.3
    baseline_days: int = 365
    kind: str = field(default="churn", init=False)

    def labels(self, dataset: Dataset, as_of: pd.Timestamp | str) -> pd.DataFrame:
        """Labels at ``as_of``; see :func:`churn_labels`."""
        return churn_labels(
            dataset, as_of, self.horizon_days, self.large_classes, self.consumption_share, self.baseline_days
        )

    def last_as_of(self, dataset: Dataset) -> pd.Timestamp:
        """Latest snapshot whose horizon ends by the extraction date."""
        return dataset.extracted_on - pd.Timedelta(days=self.horizon_days)


def snapshot_dates(
    dataset: Dataset, label: LabelSpec, n: int = 12, freq: str = "MS", min_history_days: int = 365
) -> list[pd.Timestamp]:
    """The last ``n`` snapshot dates (``freq`` apart) that have history and labelable outcomes.

    Parameters
    ----------
    dataset : Dataset
    label : ArrearsLabel or ChurnLabel
    n : int
        Number of snapshots wanted (fewer if the data is too short).
    freq : str
        pandas frequency of the snapshots; ``"MS"`` = first of each month.
    min_history_days : int
        Days of data before the first snapshot (features look back a year).

    Returns
    -------
    list of Timestamp
        Ascending.

    Raises
    ------
    ValueError
        No date satisfies both constraints.

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(50, "2023-01-01", "2024-12-31", seed=1).dataset
    >>> [d.date().isoformat() for d in snapshot_dates(ds, ChurnLabel(), n=3)]
    ['2024-08-01', '2024-09-01', '2024-10-01']
    """
    first_day = dataset.meter_daily["date"].min()
    start = first_day + pd.Timedelta(days=min_history_days)
    stop = label.last_as_of(dataset)
    dates = pd.date_range(start, stop, freq=freq)
    if len(dates) == 0:
        raise LabelError(
            f"no snapshot date between {start.date()} (first read + {min_history_days} days of history) "
            f"and {stop.date()} (last date whose {label.kind} label is known); lower min_history_days "
            "or use a longer extract"
        )
    return list(dates[-n:])


@dataclass
class TrainingSet:
    """Features and labels stacked over snapshot dates.

    Rows are indexed by ``(as_of, customer_id)``; ``X``, ``y`` and ``info``
    share that index.

    Attributes
    ----------
    X : DataFrame
        Features, each row built from the data known before its ``as_of``.
    y : Series
        Labels (int8).
    info : DataFrame
        What the label function returned besides the label (bill, amount,
        ``observed_until``, ...).
    kind : str
        ``"arrears"`` or ``"churn"``.
    """

    X: pd.DataFrame
    y: pd.Series
    info: pd.DataFrame
    kind: str = "risk"

    @property
    def snapshots(self) -> list[pd.Timestamp]:
        """The distinct ``as_of`` dates, ascending."""
        return sorted(self.X.index.get_level_values("as_of").unique())

    @property
    def time(self) -> pd.Series:
        """The ``as_of`` of each row, as a Series aligned with ``X`` (for ``RiskClassifier.fit(time=...)``)."""
        return pd.Series(self.X.index.get_level_values("as_of"), index=self.X.index, name="as_of")

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, mask: np.ndarray | pd.Series) -> TrainingSet:
        """The rows where ``mask`` is true."""
        m = np.asarray(mask, dtype=bool)
        return TrainingSet(self.X.loc[m], self.y.loc[m], self.info.loc[m], self.kind)

    def __repr__(self) -> str:
        snaps = self.snapshots
        span = f"{snaps[0].date()}..{snaps[-1].date()}" if snaps else "empty"
        rate = float(self.y.mean()) if len(self.y) else float("nan")
        return (
            f"TrainingSet(kind={self.kind!r}, rows={len(self):,}, features={self.X.shape[1]}, "
            f"snapshots={len(snaps)} [{span}], positive_rate={rate:.3f})"
        )


def _default_features() -> FeatureBuilder:
    from gridcrm.features import build_features  # the feature layer sits below models

    return build_features


def build_training_set(
    dataset: Dataset,
    snapshots: Iterable[pd.Timestamp | str],
    label: LabelSpec,
    features: FeatureBuilder | None = None,
) -> TrainingSet:
    """Stack features and labels over snapshot dates.

    For every ``as_of``, the features are built from ``dataset.truncate(as_of)``
    (only what was known before ``as_of``) and the labels from the full dataset
    (only what happens from ``as_of`` on); customers with both are kept.

    Parameters
    ----------
    dataset : Dataset
        The full extract.
    snapshots : iterable of Timestamp-like
        Snapshot dates; see :func:`snapshot_dates`.
    label : ArrearsLabel or ChurnLabel
        Label definition.
    features : callable, optional
        ``features(dataset, as_of) -> DataFrame`` indexed by ``customer_id``;
        defaults to :func:`gridcrm.features.build_features`.

    Returns
    -------
    TrainingSet

    Raises
    ------
    ValueError
        No snapshot given, or a snapshot yields no labelled customer with features.

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(300, "2023-01-01", "2024-12-31", seed=1).dataset
    >>> label = ArrearsLabel()
    >>> ts = build_training_set(ds, snapshot_dates(ds, label, n=4), label)
    >>> ts.X.index.names, len(ts.snapshots)
    (FrozenList(['as_of', 'customer_id']), 4)
    >>> train, valid, test = time_split(ts, purge=False)
    """
    build = features if features is not None else _default_features()
    dates = sorted({_as_of(s) for s in snapshots})
    if not dates:
        raise ValueError("snapshots is empty; give at least one as_of date (see snapshot_dates)")
    xs, ys, infos = [], [], []
    for cut in dates:
        lab = label.labels(dataset, cut)
        feats = build(dataset.truncate(cut), cut)
        common = feats.index.intersection(lab.index)
        if len(common) == 0:
            raise LabelError(
                f"snapshot {cut.date()} has no customer with both features and a {label.kind} label "
                f"({len(feats)} with features, {len(lab)} labelled)"
            )
        idx = pd.MultiIndex.from_arrays([np.full(len(common), cut), common], names=["as_of", "customer_id"])
        xs.append(feats.loc[common].set_axis(idx))
        ys.append(pd.Series(lab.loc[common, "label"].to_numpy(), index=idx, name=label.kind))
        infos.append(lab.loc[common].drop(columns="label").set_axis(idx))
        logger.info("%s snapshot %s: %d rows, positive rate %.3f", label.kind, cut.date(), len(common),
                    float(ys[-1].mean()))
    X = pd.concat(xs)
    return TrainingSet(X, pd.concat(ys).astype("int8"), pd.concat(infos), label.kind)


def plan_split(
    dataset: Dataset,
    snapshots: Iterable[pd.Timestamp | str],
    label: LabelSpec,
    valid_snapshots: int = 1,
    test_snapshots: int = 1,
    purge: bool = True,
) -> tuple[list[pd.Timestamp], list[pd.Timestamp], list[pd.Timestamp]]:
    """The snapshots :func:`time_split` would give train, validation and test, from the labels alone.

    A dry run before any feature is built: the main job calls it to refuse, up front, an ``as_of``
    or a snapshot setting that leaves a model nothing to train on.

    Parameters
    ----------
    dataset : Dataset
        The data as known at the job's ``as_of`` (``dataset.truncate(as_of)``).
    snapshots : iterable of dates
    label : ArrearsLabel or ChurnLabel
    valid_snapshots, test_snapshots : int
    purge : bool
        As in :func:`time_split`.

    Returns
    -------
    train, valid, test : list of Timestamp

    Raises
    ------
    LabelError
        Too few snapshots for the split, or a snapshot with no labelled customer.

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(60, "2023-01-01", "2024-06-30", seed=2).dataset
    >>> label = ChurnLabel()
    >>> train, valid, test = plan_split(ds, snapshot_dates(ds, label, n=12, min_history_days=180), label)
    >>> [[d.strftime("%Y-%m") for d in part] for part in (train, valid, test)]
    [['2023-07', '2023-08', '2023-09', '2023-10'], ['2024-01'], ['2024-04']]
    """
    dates = sorted({_as_of(s) for s in snapshots})
    if not dates:
        raise LabelError("snapshots is empty; give at least one as_of date (see snapshot_dates)")
    ys, infos = [], []
    for cut in dates:
        lab = label.labels(dataset, cut)
        if len(lab) == 0:
            raise LabelError(f"snapshot {cut.date()} has no customer with a {label.kind} label")
        idx = pd.MultiIndex.from_arrays([np.full(len(lab), cut), lab.index], names=["as_of", "customer_id"])
        ys.append(pd.Series(lab["label"].to_numpy(), index=idx, name=label.kind))
        infos.append(lab.drop(columns="label").set_axis(idx))
    y = pd.concat(ys)
    plan = TrainingSet(pd.DataFrame(index=y.index), y, pd.concat(infos), label.kind)
    train, valid, test = time_split(plan, valid_snapshots=valid_snapshots, test_snapshots=test_snapshots, purge=purge)
    return train.snapshots, valid.snapshots, test.snapshots


def time_split(
    data: TrainingSet, valid_snapshots: int = 1, test_snapshots: int = 1, purge: bool = True
) -> tuple[TrainingSet, TrainingSet, TrainingSet]:
    """Split by snapshot date: earliest for training, then validation, latest for test.

    Parameters
    ----------
    data : TrainingSet
    valid_snapshots, test_snapshots : int
        Number of snapshot dates for validation and for test (test may be 0,
        which returns an empty test set).
    purge : bool
        Leave a gap so that every label used for validation was known by the
        first test date, and every training label by the first validation
        date, as it would be in production (``info["observed_until"]``): the
        validation snapshots are then the latest ones whose labels all closed
        before the test period, the training snapshots those whose labels all
        closed before the validation period, and the snapshots in the gaps are
        left out (whole, so that no snapshot is biased towards bills due early).

    Returns
    -------
    train, valid, test : TrainingSet

    Raises
    ------
    ValueError
        Too few snapshots for the split.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_product([pd.date_range("2024-01-01", periods=6, freq="MS"), [1, 2]],
    ...                                  names=["as_of", "customer_id"])
    >>> seen = idx.get_level_values("as_of") + pd.Timedelta(days=40)
    >>> ts = TrainingSet(pd.DataFrame({"x": range(12)}, index=idx), pd.Series([0, 1] * 6, index=idx),
    ...                  pd.DataFrame({"observed_until": seen}, index=idx))
    >>> [len(part.snapshots) for part in time_split(ts)]
    [2, 1, 1]
    """
    if valid_snapshots < 1 or test_snapshots < 0:
        raise ValueError(f"valid_snapshots must be ≥ 1 and test_snapshots ≥ 0, got {valid_snapshots}, {test_snapshots}")
    snaps = data.snapshots
    as_of = data.X.index.get_level_values("as_of")
    if purge and "observed_until" in data.info.columns:
        closes = data.info["observed_until"].groupby(as_of).max()
    else:
        closes = pd.Series([s - pd.Timedelta(days=1) for s in snaps], index=snaps)  # every label closes at once
    test = snaps[len(snaps) - test_snapshots:] if test_snapshots else []
    rest = snaps[: len(snaps) - test_snapshots]
    if test:
        rest = [s for s in rest if closes[s] < test[0]]
    valid = rest[-valid_snapshots:] if len(rest) >= valid_snapshots else []
    train = [s for s in rest[: len(rest) - valid_snapshots] if valid and closes[s] < valid[0]]
    if not train or len(valid) < valid_snapshots:
        raise LabelError(
            f"time_split needs {test_snapshots} test, {valid_snapshots} validation and at least one training "
            f"snapshot{' with labels closed before the next period (purge=True)' if purge else ''}; the training "
            f"set has {len(snaps)} snapshots ({snaps[0].date() if snaps else '-'}..{snaps[-1].date() if snaps else '-'})"
            "; add earlier snapshots"
        )
    dropped = sorted(set(snaps) - set(train) - set(valid) - set(test))
    if dropped:
        logger.info("time_split: %d snapshot(s) left out as a gap (labels still open): %s", len(dropped),
                    [d.date().isoformat() for d in dropped])
    parts = (as_of.isin(train), as_of.isin(valid), as_of.isin(test))
    return tuple(data.subset(np.asarray(m)) for m in parts)  # type: ignore[return-value]


def check_labels(y: pd.Series | np.ndarray, name: str = "y", two_classes: bool = True) -> np.ndarray:
    """Check that ``y`` is one-dimensional, has no missing value and (by default) two classes.

    Returns
    -------
    ndarray
        ``y`` as an array.

    Raises
    ------
    LabelError
        Missing labels, a single class, or more than two.

    Examples
    --------
    >>> check_labels([0, 1, None])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.risk.errors.LabelError: y has 1 missing label(s); drop those rows first ...
    """
    if y is None:
        raise LabelError(f"{type(None).__name__} given: a risk model requires y to be passed, but the target y is None")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(f"A column-vector {name} was passed when a 1d array was expected; it is flattened",
                      DataConversionWarning, stacklevel=3)
        arr = arr.ravel()
    if arr.ndim != 1:
        raise LabelError(f"{name} should be a 1d array, got shape {arr.shape}")
    missing = pd.isna(arr)
    if missing.any():
        raise LabelError(
            f"{name} has {int(missing.sum())} missing label(s); drop those rows first (labels near the end "
            "of the data are censored)"
        )
    classes = np.unique(arr)
    if len(classes) > 2 and arr.dtype.kind == "f" and not np.all(np.mod(classes, 1) == 0):
        raise LabelError(f"{name} is continuous ({len(classes)} distinct values such as "
                         f"{reprlib.repr(classes[:3].tolist())}); a risk model needs a binary target")
    if len(classes) > 2:
        raise LabelError(f"Only binary classification is supported: {name} must hold exactly two classes, got "
                         f"{reprlib.repr(classes.tolist())}")
    if two_classes and len(classes) != 2:
        raise LabelError(
            f"{name} has only one class ({reprlib.repr(classes.tolist())}) but must hold exactly two classes; a risk "
            "model needs both events and non-events (add snapshots or customers)"
        )
    return arr
