"""Flag rules for risk lists, written in the tag rule language (:mod:`gridcrm.tags.rules`).

A flag is a tag rule evaluated on the risk list's columns: the probabilities
(``p_arrears``, ``p_churn``), every feature column and the grades. Any rule of
the tag grammar works (``{feature: f, op: OP, value: v}``, ``{column: c, ...}``,
percentiles within groups, ``all`` / ``any`` / ``not``), and so does the
shorthand ``"column op value"`` (:func:`gridcrm.tags.rules.parse_condition`),
with ``op`` one of ``>= <= > < == !=`` and ``value`` a number, ``true`` /
``false``, a quoted string, or ``pNN`` — the NN-th percentile of the column
over the customers being listed (``bill_amount_mean_365d >= p80``: the top 20%
by bill). A flag is a condition, a mapping with an optional ``description`` and
``rule:`` (one rule of the tag grammar), or a mapping with an optional
``description`` and ``all:`` and/or ``any:`` (both: all of the first and at
least one of the second), which nest::

    internal_blacklist:
      description: Theft on record, or likely arrears on top of unpaid bills
      any:
        - theft_count > 0
        - blacklisted == true
        - all: [p_arrears >= 0.5, arrears_count >= 2]
        - {not: {column: p_churn, op: "<", value: 0.5}}

A missing value never raises a flag (``NaN >= 2`` is false; see the tag
grammar for ``not``). Flags cannot refer to tags: write the condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.features.registry import FEATURES
from gridcrm.risk.errors import RiskConfigError
from gridcrm.tags._evaluate import Evaluator
from gridcrm.tags.rules import AllOf, AnyOf, Compare, Parser, Quantile, TagRef, walk
from gridcrm.tags.rules import Rule as RuleTree

__all__ = ["Rule", "parse_rule", "parse_rules"]


@dataclass(frozen=True)
class Rule:
    """A named flag: a tag rule (``tree``) and a description.

    Examples
    --------
    >>> import pandas as pd
    >>> r = parse_rule("bad", {"any": ["theft_count > 0", {"all": ["p_arrears >= 0.5", "arrears_count >= 2"]}]})
    >>> str(r.tree)
    '(theft_count > 0.0 or (p_arrears >= 0.5 and arrears_count >= 2.0))'
    """

    name: str
    tree: RuleTree
    description: str = ""

    def evaluate(self, frame: pd.DataFrame, evaluator: Evaluator | None = None) -> pd.Series:
        """Boolean Series over ``frame``'s rows: whether the rule holds.

        Parameters
        ----------
        frame : DataFrame
            The rows to flag, with every column the rule reads.
        evaluator : Evaluator, optional
            A :class:`gridcrm.tags._evaluate.Evaluator` on ``frame``, shared by several
            rules (percentiles are computed once).

        Examples
        --------
        >>> import pandas as pd
        >>> r = parse_rule("bad", {"any": ["theft_count > 0", {"all": ["p_arrears >= 0.5", "arrears_count >= 2"]}]})
        >>> f = pd.DataFrame({"theft_count": [0, 1, 0], "p_arrears": [0.7, 0.1, 0.7], "arrears_count": [2, 0, 1]})
        >>> r.evaluate(f).tolist()
        [True, True, False]
        """
        missing = sorted(self.columns - set(frame.columns))
        if missing:
            raise KeyError(f"rule {self.name!r} uses column {missing[0]!r}, which the risk list does not have; "
                           f"columns are {sorted(frame.columns)}")
        ev = Evaluator(frame, None, {}) if evaluator is None else evaluator
        ev.what = "rule"
        out = ev.rule(self.tree, self.name)[0]
        return pd.Series(np.asarray(out, dtype=bool), index=frame.index, name=self.name)

    @property
    def columns(self) -> set[str]:
        """Every column the rule reads."""
        out: set[str] = set()
        for r in walk(self.tree):
            if isinstance(r, Compare):
                out.add(r.name)
            elif isinstance(r, Quantile):
                out |= {r.feature, *r.by}
        return out

    def __str__(self) -> str:
        return f"{self.name}: {self.tree}"


_GRAMMAR_KEYS = frozenset({"feature", "column", "tag", "not", "all", "any"})


def _tree(spec: Any, key: str, top: bool) -> RuleTree:
    """The tag rule of one flag (or part of one); errors name ``key``."""
    if isinstance(spec, Mapping) and top and "rule" in spec:
        unknown = sorted(set(map(str, spec)) - {"description", "rule"})
        if unknown:
            raise RiskConfigError(f"{key}: unknown key(s) {unknown} next to 'rule'; allowed: ['description', 'rule']")
        return _tree(spec["rule"], f"{key}.rule", False)
    if isinstance(spec, Mapping) and ("all" in spec or "any" in spec or not _GRAMMAR_KEYS & set(map(str, spec))):
        allowed = {"description", "all", "any"}
        unknown = sorted(set(map(str, spec)) - allowed)
        if unknown:
            raise RiskConfigError(f"{key}: unknown key(s) {unknown}; allowed keys are ['all', 'any', 'description']"
                                  " or one rule of the tag grammar")
        if "all" not in spec and "any" not in spec:
            raise RiskConfigError(f"{key}: a rule needs 'all' or 'any' (a list of conditions)")
        parts: dict[str, list[RuleTree]] = {}
        for kind in ("all", "any"):
            items = spec.get(kind, [])
            if not isinstance(items, list):
                raise RiskConfigError(f"{key}.{kind}: expected a list of conditions, got {items!r}")
            parts[kind] = [_tree(item, f"{key}.{kind}[{i}]", False) for i, item in enumerate(items)]
        if not parts["all"] and not parts["any"]:
            raise RiskConfigError(f"{key}: 'all' and 'any' are empty; give at least one condition")
        # all of the first list and at least one of the second: {all: [*all, {any: any}]}
        terms = list(parts["all"])
        if parts["any"]:
            terms.append(parts["any"][0] if len(parts["any"]) == 1 else AnyOf(tuple(parts["any"])))
        return terms[0] if len(terms) == 1 else AllOf(tuple(terms))
    if not isinstance(spec, (str, Mapping)):
        raise RiskConfigError(f"{key}: expected a condition string or a mapping with 'all'/'any', got {spec!r}")
    problems: list[tuple[str, str]] = []
    tree = Parser(key, FEATURES, problems, shorthand=True).rule(dict(spec) if isinstance(spec, Mapping) else spec)
    if problems or tree is None:
        raise RiskConfigError("; ".join(f"{key}: {why}" for _, why in problems) or f"{key}: cannot read {spec!r}")
    refs = [r for r in walk(tree) if isinstance(r, TagRef)]
    if refs:
        raise RiskConfigError(f"{key}: {refs[0].tag!r} is not a condition; write 'column op value' "
                              "(flags cannot refer to tags), e.g. 'arrears_count >= 2'")
    return tree


def parse_rule(name: str, spec: Mapping[str, Any] | str, where: str = "rules") -> Rule:
    """Build a :class:`Rule` from its configuration; errors name ``where.name``.

    Examples
    --------
    >>> parse_rule("watch", "p_arrears >= 0.4").tree
    Compare(source='column', name='p_arrears', op='>=', value=0.4)
    >>> str(parse_rule("big", {"feature": "kwh_mean_365d", "op": ">=", "percentile": 90}))
    'big: kwh_mean_365d >= p90'
    """
    key = f"{where}.{name}"
    tree = _tree(spec, key, True)
    description = spec.get("description", "") if isinstance(spec, Mapping) else ""
    if not isinstance(description, str):
        raise RiskConfigError(f"{key}.description: expected a string, got {description!r}")
    return Rule(name, tree, description)


def parse_rules(spec: Mapping[str, Any], where: str = "risk_list.rules") -> dict[str, Rule]:
    """Build every rule of a ``rules:`` mapping.

    Examples
    --------
    >>> list(parse_rules({"watch": "p_arrears >= 0.4", "vip": {"all": ["p_churn < 0.01"]}}))
    ['watch', 'vip']
    """
    if not isinstance(spec, Mapping):
        raise RiskConfigError(f"{where}: expected a mapping of rule name → rule, got {spec!r}")
    return {name: parse_rule(str(name), r, where) for name, r in spec.items()}
