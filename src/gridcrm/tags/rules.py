"""Tag rules: the grammar of ``configs/tags.yaml``, parsed and checked into rule objects.

A tag has either a ``rule`` (a yes/no *flag* tag) or ``bands`` (a *band* tag whose
value is one of several ordered levels). A rule is one of:

``{feature: f, op: OP, value: v}``
    A threshold on a feature of the registry. ``OP`` is one of ``<``, ``<=``,
    ``>``, ``>=``, ``==``, ``!=``, ``between`` (``value: [lo, hi]``, both
    inclusive), ``in`` / ``not_in`` (``value: [...]``), ``is_missing`` /
    ``not_missing`` (no value).
``{feature: f, quantile: [lo, hi], by: g}``
    The customer's percentile of ``f`` within its group ``g`` (a feature or a
    list of features; the whole population without ``by``) lies in ``[lo, hi)``.
    Percentiles are mid-ranks, ``(rank - 0.5) / n``, ties sharing one.
``{column: c, op: OP, value: v}``
    A threshold on a column that another model adds (a score, a segment);
    checked when the tags are evaluated, not when they are loaded.
``{feature: f, op: OP, percentile: NN}`` (or ``column: c``)
    A threshold at the NN-th percentile (0 to 100, linear interpolation, missing
    values ignored) of the feature or column over the customers being evaluated:
    ``{column: bill_amount_mean_365d, op: ">=", percentile: 80}`` is the top 20% by bill.
``"c OP v"`` (shorthand, where the parser allows it: risk-list flags)
    The same as ``{column: c, op: OP, value: v}`` with ``OP`` one of ``<``, ``<=``,
    ``>``, ``>=``, ``==``, ``!=`` and ``v`` a number, ``true`` / ``false``, a quoted
    string, or ``pNN`` (``percentile: NN``): ``"arrears_count >= 2"``, ``"p_churn <= 0.02"``,
    ``"bill_amount_mean_365d >= p80"``.
``{all: [rule, ...]}``, ``{any: [rule, ...]}``, ``{not: rule}``
    Boolean combinations.
``{at_least: k, of: [rule, ...]}``
    At least ``k`` of the rules hold (``k`` from 1 to the number of rules):
    ``{at_least: 3, of: [demand_power_quality, demand_cash_flow, ...]}``.
``tag_id`` or ``{tag: tag_id, in: [level, ...]}``
    Another flag tag, or a band tag at one of its levels.

Bands are ``{feature: f, scale: quantile | value, by: g, levels: [{label, from, to}, ...]}``:
contiguous, non-overlapping ranges ``[from, to)`` of the percentile within the
group (``scale: quantile``, covering 0 to 1) or of the value itself (``scale: value``;
``.inf`` and ``-.inf`` allowed; a value outside every band has no level).

Missing values follow three-valued logic inside a rule: a threshold or percentile
on a missing feature is *unknown*; ``not`` keeps unknown unknown; ``all`` is false
as soon as one part is false and ``any`` true as soon as one part is true (``at_least``
is true once ``k`` parts are true and false once too few parts can still be). A tag
whose rule ends up unknown is False (a band tag has no level), and a rule that
refers to another tag sees it as published, False where its rule was unknown. So
``{not: {feature: satisfaction_mean_365d, op: "<=", value: 2}}`` is False for a
customer without a survey, while ``{not: dissatisfied}`` is True: write the condition
inline to carry "unknown" through. A missing feature never raises.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from dataclasses import dataclass

from gridcrm.data.schemas import CHANNELS, CUSTOMER_CLASSES
from gridcrm.errors import ConfigError
from gridcrm.features.registry import FeatureSpec

__all__ = [
    "TagRuleError",
    "Compare",
    "Quantile",
    "TagRef",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "Not",
    "Level",
    "Bands",
    "Rule",
    "OPERATORS",
    "Percentile",
    "parse_condition",
]

COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
#: Operators of threshold rules.
OPERATORS: tuple[str, ...] = (*COMPARISONS, "between", "in", "not_in", "is_missing", "not_missing")
_NUMERIC_OPS = OPERATORS
_CATEGORY_OPS = ("==", "!=", "in", "not_in", "is_missing", "not_missing")
_BOOL_OPS = ("==", "!=")
#: Category features whose values the data model fixes: rule values are checked against them.
KNOWN_VALUES: dict[str, tuple[str, ...]] = {"customer_class": CUSTOMER_CLASSES, "preferred_channel": CHANNELS}


class TagRuleError(ConfigError):
    """Tag definitions break the rules; ``.problems`` lists ``(tag_id, reason)`` for each.

    Examples
    --------
    >>> err = TagRuleError([("x", "unknown feature 'kwh'")])
    >>> print(err)
    1 problem in the tag definitions:
    - tag 'x': unknown feature 'kwh'
    """

    def __init__(self, problems: list[tuple[str, str]], source: str = "the tag definitions") -> None:
        self.problems = list(problems)
        lines = [f"- tag {t!r}: {why}" if t else f"- {why}" for t, why in self.problems]
        s = "" if len(self.problems) == 1 else "s"
        super().__init__(f"{len(self.problems)} problem{s} in {source}:\n" + "\n".join(lines))


# ---------------------------------------------------------------------------------------
# rule objects
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Compare:
    """``name op value`` on a registry feature (``source="feature"``) or another model's column."""

    source: str
    name: str
    op: str
    value: object = None

    def __str__(self) -> str:
        if self.op in ("is_missing", "not_missing"):
            return f"{self.name} {self.op.replace('_', ' ')}"
        value = str(self.value) if isinstance(self.value, Percentile) else repr(self.value)
        return f"{self.name} {self.op.replace('_', ' ')} {value}"


@dataclass(frozen=True)
class Percentile:
    """The value of a threshold: the ``q``-th percentile (0 to 100) of the compared column.

    Taken over the customers being evaluated when the rule is evaluated (linear
    interpolation, missing values ignored).
    """

    q: float

    def __str__(self) -> str:
        return f"p{self.q:g}"


_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$")
_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?|100)$")


def parse_condition(text: str) -> Compare:
    """The shorthand ``"column op value"`` as the rule ``{column: column, op: op, value: value}``.

    ``op`` is one of ``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``; ``value`` a number,
    ``true`` / ``false``, a quoted string, or ``pNN`` (:class:`Percentile`).

    Raises
    ------
    ValueError
        ``text`` is not such a condition; the message says why.

    Examples
    --------
    >>> parse_condition("arrears_count >= 2")
    Compare(source='column', name='arrears_count', op='>=', value=2.0)
    >>> str(parse_condition("bill_amount_mean_365d >= p80"))
    'bill_amount_mean_365d >= p80'
    """
    m = _CONDITION.match(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"{text!r} is not a condition; write 'column op value' with op one of "
                         f"{list(COMPARISONS)}, e.g. 'arrears_count >= 2'")
    name, op, raw = m.groups()
    pct = _PERCENTILE.match(raw)
    if pct:
        return Compare("column", name, op, Percentile(float(pct.group(1))))
    low = raw.lower()
    if low in ("true", "false"):
        return Compare("column", name, op, low == "true")
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return Compare("column", name, op, raw[1:-1])
    try:
        return Compare("column", name, op, float(raw))
    except ValueError:
        raise ValueError(f"value {raw!r} is not a number, true/false, a quoted string or a percentile like p80"
                         ) from None


@dataclass(frozen=True)
class Quantile:
    """Percentile of ``feature`` within the groups ``by`` in ``[lo, hi)``."""

    feature: str
    lo: float
    hi: float
    by: tuple[str, ...] = ()
    min_group_size: int = 1

    def __str__(self) -> str:
        within = f" within {' × '.join(self.by)}" if self.by else ""
        return f"{self.feature} in percentiles [{self.lo:g}, {self.hi:g}){within}"


@dataclass(frozen=True)
class TagRef:
    """Another flag tag, or a band tag at one of ``levels``."""

    tag: str
    levels: tuple[str, ...] | None = None

    def __str__(self) -> str:
        return self.tag if self.levels is None else f"{self.tag} in {list(self.levels)}"


@dataclass(frozen=True)
class AllOf:
    """All parts hold."""

    parts: tuple[Rule, ...]

    def __str__(self) -> str:
        return "(" + " and ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds."""

    parts: tuple[Rule, ...]

    def __str__(self) -> str:
        return "(" + " or ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class AtLeast:
    """At least ``k`` of the parts hold."""

    k: int
    parts: tuple[Rule, ...]

    def __str__(self) -> str:
        return f"at least {self.k} of (" + ", ".join(map(str, self.parts)) + ")"


@dataclass(frozen=True)
class Not:
    """The part does not hold (unknown stays unknown)."""

    part: Rule

    def __str__(self) -> str:
        return f"not {self.part}"


Rule = Compare | Quantile | TagRef | AllOf | AnyOf | AtLeast | Not


@dataclass(frozen=True)
class Level:
    """One band: ``label`` for ``from_ <= x < to``."""

    label: str
    lo: float
    hi: float


@dataclass(frozen=True)
class Bands:
    """Ordered levels of ``feature`` (its value, or its percentile within ``by``)."""

    feature: str
    levels: tuple[Level, ...]
    scale: str = "quantile"
    by: tuple[str, ...] = ()
    min_group_size: int = 1

    def __str__(self) -> str:
        what = "percentile of " + self.feature if self.scale == "quantile" else self.feature
        within = f" within {' × '.join(self.by)}" if self.by else ""
        cuts = ", ".join(f"{lv.label} [{lv.lo:g}, {lv.hi:g})" for lv in self.levels)
        return f"{what}{within}: {cuts}"


def references(rule: Rule | Bands) -> set[str]:
    """Tag ids that ``rule`` refers to."""
    if isinstance(rule, TagRef):
        return {rule.tag}
    if isinstance(rule, (AllOf, AnyOf, AtLeast)):
        return set().union(*(references(p) for p in rule.parts))
    if isinstance(rule, Not):
        return references(rule.part)
    return set()


def walk(rule: Rule | Bands) -> list[Rule | Bands]:
    """``rule`` and all the rules inside it."""
    if isinstance(rule, (AllOf, AnyOf, AtLeast)):
        return [rule, *(r for p in rule.parts for r in walk(p))]
    if isinstance(rule, Not):
        return [rule, *walk(rule.part)]
    return [rule]


# ---------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------
class Parser:
    """Parses the rules of one tag, collecting problems instead of stopping at the first."""

    def __init__(self, tag_id: str, registry: dict[str, FeatureSpec], problems: list[tuple[str, str]],
                 shorthand: bool = False) -> None:
        self.tag_id = tag_id
        self.registry = registry
        self.problems = problems
        #: Whether a string that is not a tag id is a ``"column op value"`` condition (:func:`parse_condition`).
        self.shorthand = shorthand

    def fail(self, reason: str) -> None:
        self.problems.append((self.tag_id, reason))

    def _keys(self, raw: dict, allowed: set[str], what: str) -> bool:
        extra = sorted(set(map(str, raw)) - allowed)
        if extra:
            self.fail(f"{what} has unknown key(s) {extra}; allowed: {sorted(allowed)}")
            return False
        return True

    def feature(self, name: object, what: str = "feature") -> FeatureSpec | None:
        if not isinstance(name, str):
            self.fail(f"{what} must be a feature name, got {name!r}")
            return None
        spec = self.registry.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(self.registry), n=3)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            self.fail(f"unknown feature {name!r}{hint}")
        return spec

    def group(self, raw: object) -> tuple[str, ...] | None:
        names = [] if raw is None else [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list):
            self.fail(f"'by' must be a feature name or a list of them, got {raw!r}")
            return None
        ok = [self.feature(n, "'by'") for n in names]
        return tuple(names) if all(ok) else None

    def rule(self, raw: object) -> Rule | None:
        if isinstance(raw, str):
            if self.shorthand and not raw.isidentifier():
                try:
                    return parse_condition(raw)
                except ValueError as e:
                    self.fail(str(e))
                    return None
            return TagRef(raw)
        if not isinstance(raw, dict) or not raw:
            self.fail(f"a rule must be a tag id or a mapping, got {raw!r}")
            return None
        for key, cls in (("all", AllOf), ("any", AnyOf)):
            if key in raw:
                if not self._keys(raw, {key}, f"'{key}' rule"):
                    return None
                parts = raw[key]
                if not isinstance(parts, list) or not parts:
                    self.fail(f"'{key}' needs a non-empty list of rules, got {parts!r}")
                    return None
                parsed = [self.rule(p) for p in parts]
                return cls(tuple(parsed)) if all(p is not None for p in parsed) else None
        if "at_least" in raw:
            return self._at_least(raw)
        if "not" in raw:
            if not self._keys(raw, {"not"}, "'not' rule"):
                return None
            part = self.rule(raw["not"])
            return Not(part) if part is not None else None
        if "tag" in raw:
            return self._tag_ref(raw)
        if "feature" in raw and "quantile" in raw:
            return self._quantile(raw)
        if "feature" in raw or "column" in raw:
            return self._compare(raw)
        self.fail(f"cannot tell what rule {raw!r} is: expected one of feature/op/value, feature/quantile, "
                  "column/op/value, all, any, at_least/of, not, tag")
        return None

    def _at_least(self, raw: dict) -> AtLeast | None:
        if not self._keys(raw, {"at_least", "of"}, "'at_least' rule"):
            return None
        k, parts = raw["at_least"], raw.get("of")
        if not isinstance(parts, list) or not parts:
            self.fail(f"'at_least' needs 'of', a non-empty list of rules, got {parts!r}")
            return None
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(parts):
            self.fail(f"'at_least' must be a whole number from 1 to the {len(parts)} rules of 'of', got {k!r}")
            return None
        parsed = [self.rule(p) for p in parts]
        return AtLeast(k, tuple(parsed)) if all(p is not None for p in parsed) else None

    def _tag_ref(self, raw: dict) -> TagRef | None:
        if not self._keys(raw, {"tag", "in"}, "'tag' rule"):
            return None
        levels = raw.get("in")
        if levels is not None:
            if isinstance(levels, str):
                levels = [levels]
            if not isinstance(levels, list) or not levels or not all(isinstance(v, str) for v in levels):
                self.fail(f"'in' of a tag reference needs a list of level labels, got {raw['in']!r}")
                return None
            levels = tuple(levels)
        if not isinstance(raw["tag"], str):
            self.fail(f"'tag' must be a tag id, got {raw['tag']!r}")
            return None
        return TagRef(raw["tag"], levels)

    def _fraction_pair(self, raw: object, what: str) -> tuple[float, float] | None:
        if (not isinstance(raw, list) or len(raw) != 2 or not all(_is_number(v) for v in raw)
                or not 0 <= raw[0] < raw[1] <= 1):
            self.fail(f"{what} must be [lo, hi] with 0 <= lo < hi <= 1, got {raw!r}")
            return None
        return float(raw[0]), float(raw[1])

    def _min_group(self, raw: object) -> int | None:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
            self.fail(f"min_group_size must be a positive whole number, got {raw!r}")
            return None
        return raw

    def _quantile(self, raw: dict) -> Quantile | None:
        if not self._keys(raw, {"feature", "quantile", "by", "min_group_size"}, "quantile rule"):
            return None
        spec = self.feature(raw["feature"])
        if spec is not None and spec.kind not in ("float", "int"):
            self.fail(f"quantile rule on {spec.name!r}, a {spec.kind} feature: quantiles need a number")
            spec = None
        pair = self._fraction_pair(raw["quantile"], "quantile")
        by = self.group(raw.get("by"))
        size = self._min_group(raw.get("min_group_size", 1))
        if spec is None or pair is None or by is None or size is None:
            return None
        return Quantile(spec.name, pair[0], pair[1], by, size)

    def _compare(self, raw: dict) -> Compare | None:
        source = "feature" if "feature" in raw else "column"
        if not self._keys(raw, {source, "op", "value", "percentile"}, f"{source} rule"):
            return None
        name, op = raw[source], raw.get("op")
        if op not in OPERATORS:
            self.fail(f"bad operator {op!r} on {name!r}; use one of {list(OPERATORS)}")
            return None
        if "percentile" in raw:
            return self._percentile_compare(raw, source, name, op)
        if source == "column":
            if not isinstance(name, str) or not name:
                self.fail(f"column must be a column name, got {name!r}")
                return None
            value = self._value(raw, op, "any", name)
            return None if value is _BAD else Compare("column", name, op, value)
        spec = self.feature(name)
        if spec is None:
            return None
        kind = "number" if spec.kind in ("float", "int") else spec.kind
        allowed = {"number": _NUMERIC_OPS, "category": _CATEGORY_OPS, "bool": _BOOL_OPS}[kind]
        if op not in allowed:
            self.fail(f"operator {op!r} does not apply to {name!r}, a {spec.kind} feature; use one of {list(allowed)}")
            return None
        value = self._value(raw, op, kind, name)
        if value is _BAD:
            return None
        return Compare("feature", name, op, value)

    def _percentile_compare(self, raw: dict, source: str, name: object, op: str) -> Compare | None:
        q = raw["percentile"]
        if "value" in raw:
            self.fail(f"a rule on {name!r} has both 'value' and 'percentile'; give one")
            return None
        if op not in COMPARISONS:
            self.fail(f"'percentile' on {name!r} needs one of {list(COMPARISONS)}, got {op!r}")
            return None
        if not _is_number(q) or not 0 <= q <= 100:
            self.fail(f"'percentile' on {name!r} must be a number from 0 to 100, got {q!r}")
            return None
        if source == "feature":
            spec = self.feature(name)
            if spec is None:
                return None
            if spec.kind not in ("float", "int"):
                self.fail(f"'percentile' on {name!r}, a {spec.kind} feature: percentiles need a number")
                return None
        elif not isinstance(name, str) or not name:
            self.fail(f"column must be a column name, got {name!r}")
            return None
        return Compare(source, str(name), op, Percentile(float(q)))

    def _value(self, raw: dict, op: str, kind: str, name: str) -> object:
        if op in ("is_missing", "not_missing"):
            if "value" in raw:
                self.fail(f"operator {op!r} on {name!r} takes no value")
                return _BAD
            return None
        if "value" not in raw:
            self.fail(f"operator {op!r} on {name!r} needs a value")
            return _BAD
        value = raw["value"]
        check = {"number": _is_number, "category": lambda v: isinstance(v, str),
                 "bool": lambda v: isinstance(v, bool), "any": lambda v: _is_number(v) or isinstance(v, str)}[kind]
        what = {"number": "a number", "category": "a string", "bool": "true or false",
                "any": "a number or a string"}[kind]
        if op == "between":
            if not isinstance(value, list) or len(value) != 2 or not all(_is_number(v) for v in value) \
                    or value[0] > value[1]:
                self.fail(f"'between' on {name!r} needs [lo, hi] with lo <= hi, got {value!r}")
                return _BAD
            return (float(value[0]), float(value[1]))
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value or not all(check(v) for v in value):
                self.fail(f"{op!r} on {name!r} needs a non-empty list, each {what}; got {value!r}")
                return _BAD
            self._known_values(name, value)
            return tuple(value)
        if not check(value):
            self.fail(f"{op!r} on {name!r} needs {what}, got {value!r}")
            return _BAD
        if op in ("<", "<=", ">", ">=") and kind == "any" and not _is_number(value):
            self.fail(f"{op!r} on {name!r} needs a number, got {value!r}")
            return _BAD
        if kind == "category":
            self._known_values(name, [value])
        return value

    def _known_values(self, name: str, values: list) -> None:
        known = KNOWN_VALUES.get(name)
        unknown = [v for v in values if known is not None and v not in known]
        if unknown:
            self.fail(f"{name!r} never takes the value(s) {unknown}; its values are {list(known)}")

    def bands(self, raw: object) -> Bands | None:
        if not isinstance(raw, dict):
            self.fail(f"'bands' must be a mapping with feature, scale, levels, got {raw!r}")
            return None
        if not self._keys(raw, {"feature", "scale", "by", "levels", "min_group_size"}, "'bands'"):
            return None
        spec = self.feature(raw.get("feature"))
        if spec is not None and spec.kind not in ("float", "int"):
            self.fail(f"bands on {spec.name!r}, a {spec.kind} feature: bands need a number")
            spec = None
        scale = raw.get("scale", "quantile")
        if scale not in ("quantile", "value"):
            self.fail(f"bands scale must be 'quantile' or 'value', got {scale!r}")
            return None
        by = self.group(raw.get("by"))
        size = self._min_group(raw.get("min_group_size", 1))
        levels = self._levels(raw.get("levels"), scale)
        if spec is None or by is None or size is None or levels is None:
            return None
        return Bands(spec.name, levels, scale, by, size)

    def _levels(self, raw: object, scale: str) -> tuple[Level, ...] | None:
        if not isinstance(raw, list) or not raw:
            self.fail(f"bands need a non-empty list of levels, got {raw!r}")
            return None
        levels = []
        for i, lv in enumerate(raw):
            if not isinstance(lv, dict) or set(lv) != {"label", "from", "to"}:
                self.fail(f"band level #{i + 1} must have exactly label, from and to; got {lv!r}")
                return None
            lo, hi = lv["from"], lv["to"]
            if not isinstance(lv["label"], str) or not (_is_number(lo) and _is_number(hi)) or not lo < hi:
                self.fail(f"band {lv.get('label')!r} needs a text label and numbers from < to, got {lv!r}")
                return None
            levels.append(Level(lv["label"], float(lo), float(hi)))
        labels = [lv.label for lv in levels]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            self.fail(f"band labels {dup} are used more than once")
            return None
        ok = True
        for a, b in zip(levels, levels[1:], strict=False):
            if a.hi > b.lo:
                self.fail(f"bands {a.label!r} [{a.lo:g}, {a.hi:g}) and {b.label!r} [{b.lo:g}, {b.hi:g}) overlap "
                          "(list bands in increasing order, each starting where the previous ends)")
                ok = False
            elif a.hi < b.lo:
                self.fail(f"gap between bands {a.label!r} (to {a.hi:g}) and {b.label!r} (from {b.lo:g})")
                ok = False
        if scale == "quantile" and (levels[0].lo != 0 or levels[-1].hi != 1):
            self.fail(f"quantile bands must cover 0 to 1, these cover {levels[0].lo:g} to {levels[-1].hi:g} (gap)")
            ok = False
        return tuple(levels) if ok else None


class _Bad:
    pass


_BAD = _Bad()


def _is_number(v: object) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))
