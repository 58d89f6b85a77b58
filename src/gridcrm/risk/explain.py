"""Explanations: SHAP contributions from LightGBM (``pred_contrib``), per-row reasons, global importance.

Contributions are exact TreeSHAP values on the log-odds scale of the
*uncalibrated* model, plus — when the model boosts from a linear base — the
linear model's own contributions (coefficient × standardised value, centred
on the training mean): they sum, with the ``bias`` column, to the raw score.
Calibration is monotone, so the features that raise the raw score are the ones
that raise the calibrated probability.

Reasons read the feature registry (:data:`gridcrm.features.FEATURES`): each
says what the feature is, its value with its unit, and what a missing value
means — "Bills past due and not fully paid at as_of: 3", "Share of bills ...
paid in full by their due date: 40%". Features the registry does not know are
shown by name, or by the ``descriptions`` the caller gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from gridcrm.risk.classifier import RiskClassifier

__all__ = ["contributions", "global_importance", "describe_value", "top_reasons"]


def _registry(descriptions: Mapping[str, Any] | None) -> dict[str, tuple[str, str, str]]:
    """name → (description, unit, meaning of missing)."""
    out: dict[str, tuple[str, str, str]] = {}
    try:
        from gridcrm.features.registry import FEATURES
    except ImportError:  # pragma: no cover - the registry ships with gridcrm
        FEATURES = {}
    for name, spec in FEATURES.items():
        out[name] = (spec.description, spec.unit, spec.missing)
    for name, d in (descriptions or {}).items():
        if isinstance(d, str):
            out[name] = (d, "", "")
        elif isinstance(d, tuple):
            out[name] = (tuple(d) + ("", "", ""))[:3]  # type: ignore[assignment]
        else:  # a FeatureSpec-like object
            out[name] = (getattr(d, "description", name), getattr(d, "unit", ""), getattr(d, "missing", ""))
    return out


def describe_value(value: Any, unit: str = "", missing: str = "") -> str:
    """A feature value as people read it, with its unit.

    Examples
    --------
    >>> describe_value(0.4, "share"), describe_value(3.0, "count"), describe_value(1234.5, "CNY")
    ('40%', '3', '1,234.5 CNY')
    >>> describe_value(float("nan"), "days", "never in arrears")
    'missing (never in arrears)'
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return f"missing ({missing})" if missing else "missing"
    if unit == "category" or isinstance(value, str):
        return str(value)
    if unit == "flag":
        return "yes" if bool(value) else "no"
    v = float(value)
    if unit == "share":
        return f"{v:.0%}"
    if unit == "count" or (unit in ("", "month") and v.is_integer()):
        return f"{v:,.0f}"
    text = f"{v:,.1f}" if abs(v) >= 100 else f"{v:,.3g}"
    return f"{text} {unit}".strip() if unit not in ("ratio",) else text


def _describe_numbers(v: np.ndarray, unit: str, prefix: str) -> np.ndarray:
    """``prefix + describe_value(x, unit)`` for an array of numbers without NaN, formatted by kind in bulk."""
    out = np.empty(len(v), dtype=object)
    if unit == "share":
        out[:] = [f"{prefix}{x:.0%}" for x in v.tolist()]
        return out
    if unit == "count":
        whole = np.ones(len(v), dtype=bool)
    elif unit in ("", "month"):
        whole = np.isfinite(v) & (v == np.floor(v))
    else:
        whole = np.zeros(len(v), dtype=bool)
    big = ~whole & (np.abs(v) >= 100)
    small = ~whole & ~big
    suffix = "" if unit == "ratio" else (" " + unit).rstrip()
    for mask, fmt in ((whole, "{}{:,.0f}"), (big, "{}{:,.1f}" + suffix), (small, "{}{:,.3g}" + suffix)):
        if mask.any():
            out[mask] = [fmt.format(prefix, x) for x in v[mask].tolist()]
    return out


def _describe_column(values: pd.Series, desc: str, unit: str, missing: str) -> np.ndarray:
    """``f"{desc}: {describe_value(v, unit, missing)}"`` for every value, each distinct value formatted once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    dtype = values.dtype
    prefix = f"{desc}: "
    if (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and unit not in ("category", "flag")):
        words = _describe_numbers(np.asarray(uniques, dtype=np.float64), unit, prefix)
    else:
        words = np.array([prefix + describe_value(u, unit, missing) for u in uniques], dtype=object)
    labels = np.append(words, prefix + describe_value(None, unit, missing))  # code -1: missing
    return labels[codes]


def contributions(model: RiskClassifier, X: pd.DataFrame, n_jobs: int | None = None) -> pd.DataFrame:
    """SHAP contribution of every feature to every row's log-odds.

    Parameters
    ----------
    model : RiskClassifier
        A fitted model.
    X : DataFrame
        Rows to explain (columns matched by name).
    n_jobs : int, optional
        Threads; default the model's ``n_jobs`` (None: 1, -1: all cores).

    Returns
    -------
    DataFrame
        Same index as ``X``; one column per model feature plus ``bias`` (the
        expected log-odds); each row sums to the raw score.

    Notes
    -----
    The tree part is LightGBM's exact TreeSHAP, computed once per pattern of
    split decisions rather than once per row (:mod:`gridcrm.risk._treeshap`):
    a million rows through 300 trees of 15 leaves (the default) take about
    10 s on 2 cores instead of 4–5 minutes, with the same values. Trees of 31
    leaves or more gain nothing from it (minutes per million rows).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gridcrm.risk import RiskClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> m = RiskClassifier(n_jobs=1).fit(X, (X["a"] + rng.normal(size=300) > 1).astype(int))
    >>> c = contributions(m, X.head(3))
    >>> bool(np.allclose(c.sum(axis=1), m.decision_function(X.head(3))))
    True
    """
    data = model._prepared(X)
    raw = model._tree_contributions(data, n_jobs=n_jobs)
    if getattr(model, "linear_", None) is not None:
        linear, bias = model.linear_.contributions(data)
        raw[:, :-1] += linear
        raw[:, -1] += bias
    cols = list(model.feature_names) + ["bias"]
    return pd.DataFrame(raw, index=X.index if isinstance(X, pd.DataFrame) else None, columns=cols, copy=False)


def top_reasons(
    model: RiskClassifier,
    X: pd.DataFrame,
    n_reasons: int = 3,
    descriptions: Mapping[str, Any] | None = None,
    direction: str = "increase",
    contrib: pd.DataFrame | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """The features that move each row's risk most, in words.

    Parameters
    ----------
    model : RiskClassifier
        A fitted model.
    X : DataFrame
        Rows to explain.
    n_reasons : int
        Reasons per row.
    descriptions : mapping, optional
        Extra or overriding feature texts: ``name -> description`` or
        ``name -> (description, unit, meaning of missing)``.
    direction : {"increase", "decrease", "both"}
        Reasons that raise the risk (the default), that lower it, or the
        largest in absolute value.
    contrib : DataFrame, optional
        Contributions already computed with :func:`contributions`.
    n_jobs : int, optional
        Threads for the contributions; default the model's ``n_jobs``.

    Returns
    -------
    DataFrame
        Same index as ``X``; for k = 1..n_reasons the columns ``reason_k``
        (text), ``reason_k_feature``, ``reason_k_value`` and
        ``reason_k_contribution`` (log-odds). A row with fewer than
        ``n_reasons`` features pushing in ``direction`` has None there.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gridcrm.risk import RiskClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"arrears_count": rng.poisson(0.5, 500), "tenure_years": rng.uniform(0, 20, 500)})
    >>> y = (rng.random(500) < 0.05 + 0.3 * (X["arrears_count"] > 1)).astype(int)
    >>> m = RiskClassifier(n_jobs=1).fit(X, y)
    >>> r = top_reasons(m, X.loc[X["arrears_count"] >= 3].head(1), n_reasons=1)
    >>> r["reason_1"].iloc[0]
    'Bills past due and not fully paid at as_of: 3'
    """
    if direction not in ("increase", "decrease", "both"):
        raise ValueError(f"direction must be 'increase', 'decrease' or 'both', got {direction!r}")
    if not isinstance(n_reasons, int) or n_reasons < 1:
        raise ValueError(f"n_reasons must be a positive whole number, got {n_reasons!r}")
    c = contributions(model, X, n_jobs=n_jobs) if contrib is None else contrib
    names = np.asarray(model.feature_names, dtype=object)
    values = c[list(names)].to_numpy()
    key = {"increase": -values, "decrease": values, "both": -np.abs(values)}[direction]
    k = min(n_reasons, values.shape[1])
    top = np.argpartition(key, k - 1, axis=1)[:, :k] if k < values.shape[1] else np.tile(np.arange(k), (len(c), 1))
    order = np.take_along_axis(key, top, axis=1).argsort(axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    reg = _registry(descriptions)
    frame = X.reindex(columns=list(names)) if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=list(names))
    out: dict[str, Any] = {}
    rows = np.arange(len(c))
    for slot in range(n_reasons):
        if slot >= k:
            for suffix in ("", "_feature", "_value", "_contribution"):
                out[f"reason_{slot + 1}{suffix}"] = [None] * len(c)
            continue
        idx = top[:, slot]
        contrib_k = values[rows, idx]
        keep = {"increase": contrib_k > 0, "decrease": contrib_k < 0, "both": contrib_k != 0}[direction]
        text = np.full(len(c), None, dtype=object)
        val = np.full(len(c), None, dtype=object)
        chosen = np.flatnonzero(keep)
        chosen = chosen[np.argsort(idx[chosen], kind="stable")]  # rows grouped by the feature they name
        features, starts = np.unique(idx[chosen], return_index=True)
        for f, sel in zip(features, np.split(chosen, starts[1:]) if len(chosen) else [], strict=True):
            desc, unit, missing = reg.get(names[f], (names[f], "", ""))
            col = frame.iloc[:, f].iloc[sel]
            val[sel] = col.astype(object).to_numpy()
            text[sel] = _describe_column(col, desc, unit, missing)
        feat = np.where(keep, names[idx], None)
        out[f"reason_{slot + 1}"] = text
        out[f"reason_{slot + 1}_feature"] = feat
        out[f"reason_{slot + 1}_value"] = val
        out[f"reason_{slot + 1}_contribution"] = np.where(keep, contrib_k, np.nan)
    return pd.DataFrame(out, index=c.index)


def global_importance(model: RiskClassifier, X: pd.DataFrame | None = None,
                      descriptions: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Importance of every feature: total gain, splits and (given ``X``) mean |SHAP|.

    Parameters
    ----------
    model : RiskClassifier
        A fitted model.
    X : DataFrame, optional
        Rows over which to average absolute SHAP contributions (e.g. the test set).
    descriptions : mapping, optional
        As in :func:`top_reasons`.

    Returns
    -------
    DataFrame
        Indexed by feature, sorted by ``mean_abs_shap`` (or ``gain``), with
        ``gain``, ``gain_share``, ``splits``, ``mean_abs_shap`` (if ``X``),
        ``description`` and ``unit``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gridcrm.risk import RiskClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"late_bills_365d": rng.poisson(1, 800), "noise": rng.normal(size=800)})
    >>> y = (rng.random(800) < 0.05 + 0.1 * X["late_bills_365d"]).astype(int)
    >>> imp = global_importance(RiskClassifier(n_jobs=1).fit(X, y), X)
    >>> imp.index[0], imp.loc["late_bills_365d", "unit"]
    ('late_bills_365d', 'count')
    """
    names = model.feature_names
    booster = model.booster_
    if model.best_iteration_ > 0:
        gain = booster.feature_importance("gain", iteration=model.best_iteration_)
        splits = booster.feature_importance("split", iteration=model.best_iteration_)
    else:
        gain = splits = np.zeros(len(names))
    total = gain.sum()
    out = pd.DataFrame({"gain": gain, "gain_share": gain / total if total > 0 else 0.0, "splits": splits},
                       index=pd.Index(names, name="feature"))
    sort_by = "gain"
    if X is not None:
        out["mean_abs_shap"] = contributions(model, X)[names].abs().mean().to_numpy()
        sort_by = "mean_abs_shap"
    reg = _registry(descriptions)
    out["description"] = [reg.get(n, (n, "", ""))[0] for n in names]
    out["unit"] = [reg.get(n, (n, "", ""))[1] for n in names]
    return out.sort_values(sort_by, ascending=False, kind="stable")
