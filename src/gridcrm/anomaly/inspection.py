"""``inspection_list``: where to send the inspection crews, ranked by expected recovered energy."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from gridcrm.data.dataset import Dataset
from gridcrm.data.dates import as_date
from gridcrm.errors import InputError

__all__ = ["inspection_list", "DEFAULT_PRICES", "recently_inspected"]

logger = logging.getLogger(__name__)

#: Default tariff per class, CNY/kWh (typical Chinese catalogue prices), used when no price is given.
DEFAULT_PRICES: dict[str, float] = {"residential": 0.55, "commercial": 0.80, "industrial": 0.70,
                                    "agricultural": 0.50, "large_industry": 0.65}
_NEEDED = ("score", "kind", "missing_kwh_per_day", "customer_class", "region")


def recently_inspected(dataset: Dataset, as_of: pd.Timestamp | str, days: int) -> np.ndarray:
    """Customers inspected (``inspections``) or found stealing (``events``) in the ``days`` days before ``as_of``.

    Examples
    --------
    >>> from gridcrm.data import validate_tables
    >>> c = pd.DataFrame({"customer_id": [1, 2], "customer_class": "residential", "region": "r", "industry_code": None,
    ...     "supply_station": "s", "tariff": "t", "contracted_kva": 8.0, "voltage_kv": 0.22,
    ...     "connected_on": "2020-01-01", "closed_on": None, "preferred_channel": "app"})
    >>> m = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"], "kwh": [3.0]})
    >>> e = pd.DataFrame({"customer_id": [2], "at": ["2024-01-10"], "kind": ["theft"], "detail": [None]})
    >>> ds = validate_tables({"customers": c, "meter_daily": m, "events": e}, extracted_on="2024-02-01")
    >>> recently_inspected(ds, "2024-02-01", 30).tolist(), recently_inspected(ds, "2024-02-01", 10).tolist()
    ([2], [])
    """
    cut = as_date(as_of, "as_of")
    start = cut - pd.Timedelta(days=days)
    found: list[np.ndarray] = []
    names = dataset.table_names
    if "events" in names and len(dataset.events):
        ev = dataset.events
        hit = (ev["kind"].astype(str) == "theft") & (ev["at"] >= start) & (ev["at"] < cut)
        found.append(ev.loc[hit, "customer_id"].to_numpy(dtype=np.int64))
    if "inspections" in names and len(dataset["inspections"]):
        ins = dataset["inspections"]
        found.append(ins.loc[(ins["date"] >= start) & (ins["date"] < cut), "customer_id"].to_numpy(dtype=np.int64))
    return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _quota_limits(quotas: Mapping[str, object] | None, capacity: int, frame: pd.DataFrame) -> dict[str, object]:
    if quotas is None:
        return {}
    if not isinstance(quotas, Mapping):
        raise InputError(f"inspection_list: quotas must be a mapping of column to limit, got {type(quotas).__name__}")
    out: dict[str, object] = {}
    for column, limit in quotas.items():
        if column not in ("region", "customer_class"):
            raise InputError(f"inspection_list: quotas.{column}: quotas apply to 'region' or 'customer_class'")
        if isinstance(limit, Mapping):
            bad = {k: v for k, v in limit.items() if isinstance(v, bool) or not isinstance(v, (int, np.integer))
                   or v < 0}
            if bad:
                raise InputError(f"inspection_list: quotas.{column}: limits must be whole numbers >= 0, got {bad}")
            out[column] = {str(k): int(v) for k, v in limit.items()}
        elif isinstance(limit, (float, int)) and not isinstance(limit, bool) and 0 < limit <= 1:
            out[column] = int(np.floor(limit * capacity + 1e-9))
        else:
            raise InputError(f"inspection_list: quotas.{column} must be a share of the capacity in (0, 1] or a "
                             f"mapping of value to a number of inspections, got {limit!r}")
    return out


def inspection_list(
    scores: pd.DataFrame,
    capacity: int,
    *,
    dataset: Dataset | None = None,
    exclude_days: int = 180,
    horizon_days: int = 365,
    prices: Mapping[str, float] | float | None = None,
    quotas: Mapping[str, object] | None = None,
    kinds: tuple[str, ...] = ("theft", "meter_fault", "other"),
) -> pd.DataFrame:
    """Rank customers for inspection by expected recovered energy and keep the ``capacity`` first.

    Expected recovered energy = ``score`` (the theft score, read as a probability) × ``missing_kwh_per_day`` ×
    ``horizon_days`` (the energy an inspection stops being lost over the horizon), valued at the
    class's tariff. Meter faults (no missing energy estimate) follow, by ``fault_score``.

    Parameters
    ----------
    scores : DataFrame
        :meth:`AnomalyDetector.score` output (``customer_id`` index).
    capacity : int
        Inspections available (at least 1).
    dataset : Dataset, optional
        Its ``inspections`` and theft ``events`` exclude customers visited in the ``exclude_days``
        days before ``scores.attrs["as_of"]``.
    exclude_days : int
        See ``dataset``; 0 excludes no one.
    horizon_days : int
        Days of loss an inspection is credited with stopping.
    prices : mapping of class to CNY/kWh, or float, optional
        Default :data:`DEFAULT_PRICES`.
    quotas : mapping, optional
        ``{"region": 0.3}`` — at most 30 % of the list in any one region; ``{"customer_class":
        {"residential": 100}}`` — at most 100 residential customers (a value missing from the mapping
        has no limit). Applied greedily down the ranking.
    kinds : tuple of str
        Kinds that may be listed (vacancies, closures and data errors are not inspection work).

    Returns
    -------
    DataFrame
        ``rank`` (1 = first), ``customer_id``, ``score``, ``kind``, ``onset``, ``expected_kwh``,
        ``expected_cny``, ``customer_class``, ``region``, ``reasons``; ``attrs`` count the customers
        excluded (``excluded_recent``, ``excluded_kind``, ``excluded_quota``).

    Raises
    ------
    gridcrm.errors.InputError
        On a bad argument or a ``scores`` table without the needed columns.

    Examples
    --------
    >>> s = pd.DataFrame({"score": [0.9, 0.2, 0.8], "kind": ["theft", "theft", "vacancy_closure"],
    ...     "missing_kwh_per_day": [10.0, 50.0, 0.0], "customer_class": "residential", "region": "r",
    ...     "onset": pd.NaT, "reasons": "", "fault_score": 0.0}, index=pd.Index([1, 2, 3], name="customer_id"))
    >>> out = inspection_list(s, 2, horizon_days=100, prices=1.0)
    >>> out[["customer_id", "expected_kwh", "expected_cny"]].to_dict("list")
    {'customer_id': [2, 1], 'expected_kwh': [1000.0, 900.0], 'expected_cny': [1000.0, 900.0]}
    >>> out.attrs["excluded_kind"]
    1
    """
    if not isinstance(scores, pd.DataFrame):
        raise InputError(f"inspection_list: scores must be the DataFrame AnomalyDetector.score returns, "
                         f"got {type(scores).__name__}")
    missing = [c for c in _NEEDED if c not in scores.columns]
    if missing:
        raise InputError(f"inspection_list: scores lacks the columns {missing} (use AnomalyDetector.score)")
    for name, value, low in (("capacity", capacity, 1), ("exclude_days", exclude_days, 0),
                             ("horizon_days", horizon_days, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"inspection_list: {name} must be a whole number >= {low}, got {value!r}")
    frame = scores.copy()
    if frame.index.name == "customer_id":
        frame = frame.reset_index()
    if isinstance(prices, Mapping):
        price = frame["customer_class"].astype(str).map({**DEFAULT_PRICES, **prices}).fillna(0.0).to_numpy()
    elif prices is None:
        price = frame["customer_class"].astype(str).map(DEFAULT_PRICES).fillna(0.0).to_numpy()
    elif isinstance(prices, (int, float)) and not isinstance(prices, bool) and prices >= 0:
        price = np.full(len(frame), float(prices))
    else:
        raise InputError(f"inspection_list: prices must be a mapping of class to CNY/kWh or a number >= 0, "
                         f"got {prices!r}")
    limits = _quota_limits(quotas, int(capacity), frame)
    frame["expected_kwh"] = frame["score"].to_numpy(dtype=float) * frame["missing_kwh_per_day"].to_numpy(
        dtype=float) * horizon_days
    frame["expected_cny"] = frame["expected_kwh"] * price
    ok_kind = frame["kind"].astype(str).isin(list(kinds)).to_numpy()
    recent = np.zeros(len(frame), dtype=bool)
    if dataset is not None and exclude_days > 0:
        as_of = scores.attrs.get("as_of")
        if as_of is None:
            raise InputError("inspection_list: scores.attrs['as_of'] is missing; use AnomalyDetector.score's table")
        recent = frame["customer_id"].isin(recently_inspected(dataset, as_of, exclude_days)).to_numpy()
    frame["_fault"] = frame["fault_score"].to_numpy(dtype=float) if "fault_score" in frame else 0.0
    cand = frame.loc[ok_kind & ~recent].sort_values(["expected_cny", "_fault", "score", "customer_id"],
                                                      ascending=[False, False, False, True], kind="stable")
    keep, skipped = _apply_quotas(cand, limits, int(capacity))
    out = cand.loc[keep].head(int(capacity)).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    columns = ["rank", "customer_id", "score", "kind", "onset", "expected_kwh", "expected_cny", "customer_class",
               "region", "reasons"]
    out = out[[c for c in columns if c in out.columns]]
    out.attrs.update(as_of=scores.attrs.get("as_of"), excluded_recent=int((recent & ok_kind).sum()),
                     excluded_kind=int((~ok_kind).sum()), excluded_quota=skipped)
    logger.info("inspection list: %d of capacity %d (%d excluded as recently inspected, %d by kind)", len(out),
                capacity, out.attrs["excluded_recent"], out.attrs["excluded_kind"])
    return out


def _apply_quotas(cand: pd.DataFrame, limits: dict[str, object], capacity: int) -> tuple[np.ndarray, int]:
    """Greedy: walk down the ranking, take a customer while its region and class are under their limits.

    Returns the rows kept and the number skipped for a quota before the list was full.
    """
    if not limits:
        return np.ones(len(cand), dtype=bool), 0
    keep = np.zeros(len(cand), dtype=bool)
    used: dict[str, dict[str, int]] = {c: {} for c in limits}
    values = {c: cand[c].astype(str).to_numpy() for c in limits}
    taken = skipped = 0
    for i in range(len(cand)):  # stops once the list is full: at most a few times the capacity
        ok = True
        for column, limit in limits.items():
            value = values[column][i]
            cap = limit.get(value) if isinstance(limit, dict) else limit
            if cap is not None and used[column].get(value, 0) >= cap:
                ok = False
                break
        skipped += not ok
        if ok:
            keep[i] = True
            taken += 1
            for column in limits:
                used[column][values[column][i]] = used[column].get(values[column][i], 0) + 1
            if taken == capacity:
                break
    return keep, skipped
