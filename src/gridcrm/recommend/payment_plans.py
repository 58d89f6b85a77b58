"""Payment plans by credit grade (``configs/payment_plans.yaml``): who may pay how, and who should change.

Each credit grade allows some payment arrangements (post-payment terms, a partner bank's
credit line, instalment pre-payment, pre-payment, a deposit), recommends one and asks a
deposit of some months of the customer's average bill. :meth:`PaymentPlans.assign` reads
each scored customer's current arrangement from its data (rules of the tag rule language,
first match wins) and says whether it should change: when the current arrangement is not
one its grade allows, it moves to the recommended one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcrm._yaml import read_config
from gridcrm.errors import InputError
from gridcrm.recommend.catalogue import CatalogueError, _keys, _number, _Rules, _text, parse_rule
from gridcrm.tags.rules import Rule as RuleTree

__all__ = ["GradePlan", "PaymentPlans", "load_payment_plans"]


@dataclass(frozen=True)
class GradePlan:
    """The arrangements one credit grade allows, the one recommended and the deposit in months of bill."""

    allowed: tuple[str, ...]
    recommended: str
    deposit_months: float = 0.0


@dataclass(frozen=True)
class PaymentPlans:
    """Grade → plan, and how the current arrangement is read from the data.

    Examples
    --------
    >>> plans = load_payment_plans()
    >>> list(plans.plans)
    ['AAA', 'AA', 'A', 'B', 'C']
    >>> f = pd.DataFrame({"credit_grade": ["AAA", "C", "B", None], "prepaid": [False, False, True, False],
    ...                   "bill_amount_mean_365d": [1000.0, 200.0, 50.0, 10.0]},
    ...                  index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> out = plans.assign(f)
    >>> out[["current", "recommended", "change", "deposit"]]  # doctest: +NORMALIZE_WHITESPACE
                           current       recommended  change  deposit
    customer_id
    1             post_payment_15d  post_payment_30d   False      0.0
    2             post_payment_15d        prepayment    True    400.0
    3                   prepayment  instalment_prepayment   False   50.0
    4             post_payment_15d               NaN   False      NaN
    """

    arrangements: dict[str, str]
    plans: dict[str, GradePlan]
    current: tuple[tuple[str, RuleTree], ...]
    otherwise: str
    source: Path | None = None

    def assign(self, customers: pd.DataFrame, *, grade_column: str = "credit_grade",
               amount_column: str = "bill_amount_mean_365d") -> pd.DataFrame:
        """Each customer's plan by its grade, and whether its current arrangement should change.

        Parameters
        ----------
        customers : DataFrame
            Index ``customer_id``; ``grade_column`` and the columns the ``current`` rules read
            (a column that is absent is unknown: its rule does not match).
        grade_column : str
        amount_column : str
            The average bill the deposit is counted in (absent: deposits are NaN).

        Returns
        -------
        DataFrame
            ``credit_grade``, ``current``, ``allowed`` (comma-separated), ``recommended``,
            ``deposit_months``, ``deposit``, ``change`` (bool) and ``action`` in words. A customer
            without a grade (or with a grade the plans lack) has no plan and no change.

        Raises
        ------
        InputError
            ``grade_column`` is not a column of ``customers``.
        """
        if grade_column not in customers.columns:
            raise InputError(f"payment plans: customers have no {grade_column!r} column (the credit grades); "
                             f"columns are {list(customers.columns)[:20]}")
        grade = customers[grade_column].astype("object").where(customers[grade_column].notna())
        ev = _Rules(customers)
        current = pd.Series(self.otherwise, index=customers.index, dtype=object)
        decided = np.zeros(len(customers), dtype=bool)
        for arrangement, rule in self.current:  # first match wins
            hit = ev(rule, f"current.{arrangement}") & ~decided
            current[hit] = arrangement
            decided |= hit
        known = grade.isin(list(self.plans)).to_numpy()
        pick = {g: p for g, p in self.plans.items()}
        recommended = grade.map({g: p.recommended for g, p in pick.items()})
        allowed = grade.map({g: ", ".join(p.allowed) for g, p in pick.items()})
        months = grade.map({g: p.deposit_months for g, p in pick.items()}).astype(float)
        ok = pd.Series([False] * len(grade), index=grade.index)
        for g, p in pick.items():  # loops over grades, vectorised over customers
            ok |= (grade == g) & current.isin(p.allowed)
        change = known & ~ok.to_numpy()
        amount = customers[amount_column].astype(float) if amount_column in customers.columns else np.nan
        action = np.where(~known, "no credit grade: no plan",
                          np.where(change, "move from " + current + " to " + recommended.fillna(""),
                                   "keep " + current))
        return pd.DataFrame({"credit_grade": grade, "current": current, "allowed": allowed,
                             "recommended": recommended, "deposit_months": months, "deposit": months * amount,
                             "change": change, "action": action}, index=customers.index)


def load_payment_plans(source: str | Path | Mapping[str, Any] | PaymentPlans | None = None) -> PaymentPlans:
    """Read and check the payment plans.

    Parameters
    ----------
    source : path, mapping, PaymentPlans or None
        A YAML file, its content, loaded plans (returned unchanged) or None for the shipped
        ``configs/payment_plans.yaml``.

    Raises
    ------
    CatalogueError
        A key is unknown, an arrangement is not declared, the recommended one is not allowed, a
        deposit is negative, a rule does not parse; the message names the file and the key.

    Examples
    --------
    >>> load_payment_plans({"arrangements": {"cash": "Cash"}, "plans": {"A": {"allowed": ["card"],
    ...                     "recommended": "card"}}, "otherwise": "cash"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.recommend.catalogue.CatalogueError: payment plans: plans.A.allowed: ['card'] are not arrangements; ...
    """
    if isinstance(source, PaymentPlans):
        return source
    raw, path = read_config(source, what="payment plans", error=CatalogueError, shipped="payment_plans.yaml")
    try:
        return _plans(raw, path)
    except CatalogueError as exc:
        where = f"payment plans {path}" if path is not None else "payment plans"
        raise CatalogueError(f"{where}: {exc}") from None


def _plans(raw: Mapping[str, Any], path: Path | None) -> PaymentPlans:
    raw = _keys(raw, "top level", {"version", "arrangements", "plans", "current", "otherwise"},
                {"arrangements", "plans", "otherwise"})
    if raw.get("version", 1) != 1:
        raise CatalogueError(f"version: expected 1, got {raw['version']!r}")
    arrangements = raw["arrangements"]
    if not isinstance(arrangements, Mapping) or not arrangements:
        raise CatalogueError("arrangements: expected a mapping of arrangement id → description")
    arrangements = {str(k): _text(v, f"arrangements.{k}") for k, v in arrangements.items()}

    def known(values: list[str], key: str) -> None:
        bad = [v for v in values if v not in arrangements]
        if bad:
            raise CatalogueError(f"{key}: {bad} are not arrangements; arrangements are {sorted(arrangements)}")

    if not isinstance(raw["plans"], Mapping) or not raw["plans"]:
        raise CatalogueError("plans: expected a mapping of credit grade → plan")
    plans = {}
    for grade, plan in raw["plans"].items():
        key = f"plans.{grade}"
        plan = _keys(plan, key, {"allowed", "recommended", "deposit_months"}, {"allowed", "recommended"})
        allowed = plan["allowed"]
        if not isinstance(allowed, list) or not allowed or not all(isinstance(a, str) for a in allowed):
            raise CatalogueError(f"{key}.allowed: expected a non-empty list of arrangements, got {allowed!r}")
        known(allowed, f"{key}.allowed")
        if plan["recommended"] not in allowed:
            raise CatalogueError(f"{key}.recommended: {plan['recommended']!r} is not one of its allowed {allowed}")
        plans[str(grade)] = GradePlan(tuple(allowed), plan["recommended"],
                                      _number(plan.get("deposit_months", 0), f"{key}.deposit_months", minimum=0))
    current = raw.get("current") or []
    if not isinstance(current, list):
        raise CatalogueError(f"current: expected a list of {{arrangement, when}}, got {current!r}")
    rules = []
    for i, item in enumerate(current):
        key = f"current[{i}]"
        item = _keys(item, key, {"arrangement", "when"}, {"arrangement", "when"})
        known([item["arrangement"]], f"{key}.arrangement")
        rules.append((item["arrangement"], parse_rule(item["when"], f"{key}.when")))
    known([raw["otherwise"]], "otherwise")
    return PaymentPlans(arrangements, plans, tuple(rules), raw["otherwise"], path)
