"""Ranked, explained risk lists for the people who act on them, and the flag lists derived from them.

:func:`risk_list` scores a feature table with one or more fitted risk models
and returns one row per customer: the probability of each risk, the expected
arrears amount, the top reasons in words, the risk grade (the same
:func:`~gridcrm.risk.grades.risk_grades` that batch scoring and the model
server give), chosen feature columns, and the
flags raised by the configured rules — among them the internal blacklist and
the premium-customer list of the case studies (:func:`flagged` extracts one).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.risk.classifier import RiskClassifier
from gridcrm.risk.grades import GRADE_SHARES, grade_cuts, risk_grades
from gridcrm.risk.rules import Rule

__all__ = ["flagged", "risk_list"]

logger = logging.getLogger(__name__)


def _kind(name: str | None, model: RiskClassifier) -> str:
    if name:
        return name
    spec = model.label if model.label is not None else getattr(model, "default_label", None)
    return spec.kind if spec is not None else "risk"


def risk_list(
    features: pd.DataFrame,
    models: RiskClassifier | Mapping[str, RiskClassifier],
    *,
    rules: Mapping[str, Rule] | None = None,
    n_reasons: int = 3,
    amount_column: str | None = "bill_amount_mean_365d",
    columns: Sequence[str] = (),
    sort_by: str | None = None,
    top: int | None = None,
    explain: int | None = None,
    descriptions: Mapping[str, Any] | None = None,
    grade_shares: Sequence[float] | None = GRADE_SHARES,
) -> pd.DataFrame:
    """Score, explain, flag and rank customers.

    Parameters
    ----------
    features : DataFrame
        One row per customer (index ``customer_id``), the columns the models
        were fitted on (more are fine: rules and ``columns`` may read them).
    models : RiskClassifier or mapping of str to RiskClassifier
        Fitted models by risk name (``{"arrears": m1, "churn": m2}``); a single
        model is named after its label (``ArrearsModel`` → ``"arrears"``).
    rules : mapping of str to Rule, optional
        Flags to raise (:func:`gridcrm.risk.rules.parse_rules`, or
        ``load_risk_config().risk_list.rules``): rules of the tag rule language
        (:mod:`gridcrm.tags.rules`) on ``p_<risk>``, ``expected_arrears_amount``,
        ``<risk>_risk_grade`` and any column of ``features``.
    n_reasons : int
        Reasons per risk and customer.
    amount_column : str or None
        Column of ``features`` with the expected amount of the next bill;
        ``expected_arrears_amount = p_arrears × amount`` (when there is an
        arrears model). None: no amount.
    columns : sequence of str
        Feature columns to copy into the list.
    sort_by : str, optional
        Probability column to rank by; default the first model's.
    top : int, optional
        Keep only the ``top`` highest-ranked customers.
    explain : int, optional
        Give reasons only to the first ``explain`` customers of the ranked list
        (the others get ""). None: all. Exact SHAP reasons for a million
        customers from a 300-tree, 15-leaf model take about 16 s on 2 cores
        (``experiments/bench_models.py speed``); trees of 31 leaves or more
        are explained row by row by LightGBM, about 13 minutes per million.
    descriptions : mapping, optional
        Feature texts for the reasons (see :func:`gridcrm.risk.explain.top_reasons`).
    grade_shares : (float, float) or None
        Shares of ``features`` graded "high" and at least "elevated" per risk
        (:func:`gridcrm.risk.grades.grade_cuts`, cut on every row of ``features``,
        before ``top``); default the top 5% and 20%. None: no grade columns.

    Returns
    -------
    DataFrame
        Indexed like ``features``, sorted by risk: ``rank``, ``p_<risk>`` per
        model, ``expected_arrears_amount``, ``<risk>_reasons`` (the reasons
        joined by "; "), ``<risk>_risk_grade`` ("high", "elevated" or "normal"),
        the ``columns``, one boolean column per rule and
        ``flags`` (the names of the rules raised, comma-separated). The
        reasons are only the features that raise the risk; a customer whose
        every feature lowers it has none.

    Raises
    ------
    KeyError
        A rule or ``columns`` names a column that is neither a feature nor a probability.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gridcrm.risk import RiskClassifier
    >>> from gridcrm.risk.rules import parse_rules
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"late_bills_365d": rng.poisson(1, 500), "bill_amount_mean_365d": rng.gamma(2, 50, 500)},
    ...                  index=pd.Index(range(500), name="customer_id"))
    >>> y = (rng.random(500) < 0.05 + 0.2 * (X["late_bills_365d"] > 1)).astype(int)
    >>> m = RiskClassifier(n_jobs=1).fit(X, y)
    >>> rules = parse_rules({"watch": {"all": ["p_arrears >= 0.2", "late_bills_365d >= 2"]}})
    >>> lst = risk_list(X, {"arrears": m}, rules=rules, n_reasons=1)
    >>> list(lst.columns)
    ['rank', 'p_arrears', 'expected_arrears_amount', 'arrears_reasons', 'arrears_risk_grade', 'watch', 'flags']
    >>> lst["arrears_risk_grade"].value_counts().to_dict()
    {'normal': 400, 'elevated': 75, 'high': 25}
    """
    if isinstance(models, RiskClassifier):
        models = {_kind(None, models): models}
    if not models:
        raise ValueError("models is empty; give at least one fitted model")
    missing_cols = [c for c in columns if c not in features.columns]
    if missing_cols:
        raise KeyError(f"columns {missing_cols} are not in the feature table")
    out = pd.DataFrame(index=features.index)
    for name, model in models.items():
        out[f"p_{name}"] = model.predict_proba(features)[:, 1]
    grades = {} if grade_shares is None else {  # cut on the whole population, whatever is kept
        name: risk_grades(out[f"p_{name}"], grade_cuts(out[f"p_{name}"], grade_shares)) for name in models}
    if "arrears" in models and amount_column is not None:
        if amount_column not in features.columns:
            raise KeyError(f"amount_column {amount_column!r} is not in the feature table; pass amount_column=None "
                           "to leave the expected arrears amount out")
        out["expected_arrears_amount"] = out["p_arrears"] * features[amount_column].astype("float64").to_numpy()
    for c in columns:
        out[c] = features[c]
    if rules:
        graded = pd.DataFrame({f"{name}_risk_grade": grade for name, grade in grades.items()}, index=out.index)
        view = pd.concat([features.drop(columns=[c for c in [*out.columns, *graded.columns] if c in features.columns]),
                          out, graded], axis=1)
        flags = pd.DataFrame({name: rule.evaluate(view) for name, rule in rules.items()}, index=out.index)
        for name in flags.columns:
            out[name] = flags[name].to_numpy()
        names = np.asarray(flags.columns, dtype=object)
        out["flags"] = [", ".join(names[row]) for row in flags.to_numpy()]
        for name in flags.columns:
            logger.info("risk list: %d customer(s) flagged %s", int(flags[name].sum()), name)
    key = sort_by or f"p_{next(iter(models))}"
    if key not in out.columns:
        raise KeyError(f"sort_by {key!r} is not a column of the list; use one of {[c for c in out if c.startswith('p_')]}")
    out = out.sort_values(key, ascending=False, kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    if top is not None:
        out = out.head(top)
    shown = out.index if explain is None else out.index[:explain]
    at = out.columns.get_loc("expected_arrears_amount" if "expected_arrears_amount" in out.columns
                             else f"p_{list(models)[-1]}") + 1
    for i, (name, model) in enumerate(models.items()):
        text = [""] * len(out)
        if len(shown):
            r = model.top_reasons(features.loc[shown], n_reasons=n_reasons, descriptions=descriptions)
            joined = r[[f"reason_{k}" for k in range(1, n_reasons + 1)]].to_numpy(dtype=object)
            text[: len(shown)] = ["; ".join(t for t in row if isinstance(t, str)) for row in joined]
        out.insert(at + i, f"{name}_reasons", text)
    at += len(models)
    for i, (name, grade) in enumerate(grades.items()):
        out.insert(at + i, f"{name}_risk_grade", pd.Series(grade, index=features.index).reindex(out.index).to_numpy())
    return out


def flagged(lst: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The rows of a risk list that a rule flags, in rank order (e.g. the internal blacklist).

    Examples
    --------
    >>> import pandas as pd
    >>> lst = pd.DataFrame({"rank": [1, 2], "internal_blacklist": [False, True]}, index=[7, 9])
    >>> flagged(lst, "internal_blacklist").index.tolist()
    [9]
    """
    if rule not in lst.columns or lst[rule].dtype != bool:
        flags = [c for c in lst.columns if lst[c].dtype == bool]
        raise KeyError(f"{rule!r} is not a flag of this risk list; flags are {flags}")
    return lst.loc[lst[rule]]
