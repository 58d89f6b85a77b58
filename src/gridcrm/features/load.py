"""Load features from 15-minute interval data (large customers).

All load features look at the ``LOAD_WINDOW_DAYS`` days before ``as_of``;
a customer without interval rows there gets NaN. Hours are the local clock
hours of the interval start: peak hours are 08–11 and 18–21, valley hours
23–07, night 00–06 and evening 18–22 (each range includes its start hour and
excludes its end hour).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.features._common import count, group_max, ns, positions, ratio, total, window_mask

__all__ = ["load_features", "LOAD_FEATURE_NAMES", "LOAD_WINDOW_DAYS", "PEAK_HOURS", "VALLEY_HOURS",
           "NIGHT_HOURS", "EVENING_HOURS"]

#: Days of interval data the load features look back.
LOAD_WINDOW_DAYS: int = 30
PEAK_HOURS: tuple[int, ...] = (8, 9, 10, 18, 19, 20)
VALLEY_HOURS: tuple[int, ...] = (23, 0, 1, 2, 3, 4, 5, 6)
NIGHT_HOURS: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
EVENING_HOURS: tuple[int, ...] = (18, 19, 20, 21)
LOAD_FEATURE_NAMES: tuple[str, ...] = (
    "load_factor",
    "peak_kw",
    "peak_share",
    "valley_share",
    "night_share",
    "power_factor",
    "capacity_utilisation",
    "evening_share",
)
_HOUR_NS = 3_600 * 10**9


def load_features(
    load_interval: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp
) -> dict[str, np.ndarray]:
    """Load features of ``customers`` at ``as_of``, one array per feature.

    Parameters
    ----------
    load_interval : DataFrame
        ``customer_id``, ``timestamp``, ``kw`` and optionally ``kvar``.
    customers : DataFrame
        Sorted by ``customer_id``, with ``contracted_kva``.
    as_of : Timestamp
        Midnight; only intervals starting before it are used.

    Returns
    -------
    dict of str to ndarray
        Keyed by :data:`LOAD_FEATURE_NAMES`.

    Examples
    --------
    >>> import pandas as pd
    >>> stamps = pd.date_range("2024-03-01", periods=96, freq="15min")
    >>> load = pd.DataFrame({"customer_id": 5, "timestamp": stamps, "kw": 100.0 + 100.0 * (stamps.hour >= 12)})
    >>> f = load_features(load, pd.DataFrame({"customer_id": [5], "contracted_kva": [400.0]}),
    ...                   pd.Timestamp("2024-03-02"))
    >>> float(f["peak_kw"][0]), float(f["load_factor"][0]), float(f["capacity_utilisation"][0])
    (200.0, 0.75, 0.5)
    """
    ids = customers["customer_id"].to_numpy()
    n = len(ids)
    t = ns(load_interval["timestamp"])
    in_window = window_mask(t, as_of, LOAD_WINDOW_DAYS)
    frame = load_interval.loc[in_window]
    t = t[in_window]
    pos = positions(ids, frame["customer_id"].to_numpy())
    kw = frame["kw"].to_numpy(dtype=np.float64)
    hour = (t // _HOUR_NS) % 24
    has_kw = ~np.isnan(kw)

    energy = total(pos, kw, None, n)
    reads = count(pos, has_kw, n)
    peak = group_max(pos, kw, None, n)
    mean = ratio(energy, reads)

    def share(hours: tuple[int, ...]) -> np.ndarray:
        return ratio(total(pos, kw, np.isin(hour, hours), n), energy)

    out = {
        "load_factor": ratio(mean, peak),
        "peak_kw": peak,
        "peak_share": share(PEAK_HOURS),
        "valley_share": share(VALLEY_HOURS),
        "night_share": share(NIGHT_HOURS),
        "power_factor": np.full(n, np.nan),
        "capacity_utilisation": ratio(peak, customers["contracted_kva"].to_numpy(dtype=np.float64)),
        "evening_share": share(EVENING_HOURS),
    }
    if "kvar" in frame.columns:
        kvar = frame["kvar"].to_numpy(dtype=np.float64, na_value=np.nan)
        both = has_kw & ~np.isnan(kvar)
        p = total(pos, kw, both, n)
        q = total(pos, kvar, both, n)
        out["power_factor"] = ratio(p, np.sqrt(p * p + q * q))
    no_reads = reads == 0
    for name in out:
        out[name][no_reads] = np.nan
    return out
