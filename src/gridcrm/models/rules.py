"""Flag rules for risk lists: conditions on scores, events and payment history, from configuration.

A rule is a tree of conditions. A condition is a string ``"column op value"``
with ``op`` one of ``>= <= > < == !=`` and ``value`` a number, ``true`` /
``false``, a quoted string, or ``pNN`` — the NN-th percentile of the column
over the customers being listed (``bill_amount_mean_365d >= p80``: the top
20% by bill). ``all:`` and ``any:`` combine conditions and nest::

    internal_blacklist:
      description: Theft on record, or likely arrears on top of unpaid bills
      any:
        - theft_count > 0
        - blacklisted == true
        - all: [p_arrears >= 0.5, arrears_count >= 2]

A missing value never satisfies a condition (``NaN >= 2`` is false).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.models.errors import RiskConfigError

__all__ = ["Condition", "Rule", "parse_rule", "parse_rules"]

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
_COND = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$")
_PCT = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


@dataclass(frozen=True)
class Condition:
    """``column op value``; ``percentile`` set when the value is ``pNN``."""

    column: str
    op: str
    value: Any
    percentile: float | None = None

    @classmethod
    def parse(cls, text: str, where: str) -> Condition:
        m = _COND.match(text) if isinstance(text, str) else None
        if m is None:
            raise RiskConfigError(
                f"{where}: {text!r} is not a condition; write 'column op value' with op one of "
                f"{list(_OPS)}, e.g. 'arrears_count >= 2'"
            )
        column, op, raw = m.groups()
        pct = _PCT.match(raw)
        if pct:
            return cls(column, op, None, float(pct.group(1)))
        return cls(column, op, _literal(raw, where))

    def evaluate(self, frame: pd.DataFrame, rule: str) -> np.ndarray:
        if self.column not in frame.columns:
            raise KeyError(f"rule {rule!r} uses column {self.column!r}, which the risk list does not have; "
                           f"columns are {sorted(frame.columns)}")
        s = frame[self.column]
        if self.percentile is not None:
            value = s.astype("float64").quantile(self.percentile / 100.0)
        else:
            value = self.value
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        present = s.notna().to_numpy()
        out = np.zeros(len(s), dtype=bool)
        if present.any():
            try:
                out[present] = np.asarray(_OPS[self.op](s[present], value), dtype=bool)
            except TypeError:
                raise ValueError(f"rule {rule!r}: cannot compare column {self.column!r} ({s.dtype}) with "
                                 f"{value!r} using {self.op}") from None
        return out

    def __str__(self) -> str:
        value = f"p{self.percentile:g}" if self.percentile is not None else repr(self.value)
        return f"{self.column} {self.op} {value}"


def _literal(raw: str, where: str) -> Any:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    try:
        return float(raw)
    except ValueError:
        raise RiskConfigError(
            f"{where}: value {raw!r} is not a number, true/false, a quoted string or a percentile like p80"
        ) from None


@dataclass(frozen=True)
class Rule:
    """A named flag: ``all`` of some conditions and/or ``any`` of others (nested rules allowed)."""

    name: str
    description: str = ""
    all: tuple[Condition | Rule, ...] = ()
    any: tuple[Condition | Rule, ...] = ()

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """Boolean Series over ``frame``'s rows: whether the rule holds.

        Examples
        --------
        >>> import pandas as pd
        >>> r = parse_rule("bad", {"any": ["theft_count > 0", {"all": ["p_arrears >= 0.5", "arrears_count >= 2"]}]})
        >>> f = pd.DataFrame({"theft_count": [0, 1, 0], "p_arrears": [0.7, 0.1, 0.7], "arrears_count": [2, 0, 1]})
        >>> r.evaluate(f).tolist()
        [True, True, False]
        """
        out = np.ones(len(frame), dtype=bool)
        for part in self.all:
            out &= self._one(part, frame)
        if self.any:
            hit = np.zeros(len(frame), dtype=bool)
            for part in self.any:
                hit |= self._one(part, frame)
            out &= hit
        return pd.Series(out, index=frame.index, name=self.name)

    def _one(self, part: Condition | Rule, frame: pd.DataFrame) -> np.ndarray:
        if isinstance(part, Rule):
            return part.evaluate(frame).to_numpy()
        return part.evaluate(frame, self.name)

    @property
    def columns(self) -> set[str]:
        """Every column the rule reads."""
        out: set[str] = set()
        for part in self.all + self.any:
            out |= part.columns if isinstance(part, Rule) else {part.column}
        return out


def parse_rule(name: str, spec: Mapping[str, Any] | str, where: str = "rules") -> Rule:
    """Build a :class:`Rule` from its configuration; errors name ``where.name``."""
    key = f"{where}.{name}"
    if isinstance(spec, str):
        return Rule(name, all=(Condition.parse(spec, key),))
    if not isinstance(spec, Mapping):
        raise RiskConfigError(f"{key}: expected a condition string or a mapping with 'all'/'any', got {spec!r}")
    unknown = sorted(set(spec) - {"description", "all", "any"})
    if unknown:
        raise RiskConfigError(f"{key}: unknown key(s) {unknown}; allowed keys are ['all', 'any', 'description']")
    if "all" not in spec and "any" not in spec:
        raise RiskConfigError(f"{key}: a rule needs 'all' or 'any' (a list of conditions)")
    parts: dict[str, tuple] = {}
    for kind in ("all", "any"):
        items = spec.get(kind, [])
        if not isinstance(items, list):
            raise RiskConfigError(f"{key}.{kind}: expected a list of conditions, got {items!r}")
        parts[kind] = tuple(
            parse_rule(f"{name}[{i}]", item, f"{where}") if isinstance(item, Mapping)
            else Condition.parse(item, f"{key}.{kind}[{i}]")
            for i, item in enumerate(items)
        )
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise RiskConfigError(f"{key}.description: expected a string, got {description!r}")
    return Rule(name, description, parts["all"], parts["any"])


def parse_rules(spec: Mapping[str, Any], where: str = "risk_list.rules") -> dict[str, Rule]:
    """Build every rule of a ``rules:`` mapping."""
    if not isinstance(spec, Mapping):
        raise RiskConfigError(f"{where}: expected a mapping of rule name → rule, got {spec!r}")
    return {name: parse_rule(str(name), r, where) for name, r in spec.items()}
