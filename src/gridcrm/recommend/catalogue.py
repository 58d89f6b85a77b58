"""The product catalogue (``configs/products.yaml``), validated into typed objects.

Every rule is parsed when the file is loaded (the tag rule language of
:mod:`gridcrm.tags.rules`, with the ``"column op value"`` shorthand); unknown keys,
unknown product ids in ``excludes`` and bad numbers are refused with the file and the
key path (``products[3].signals[0].lift: expected a number > 0``).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcrm._yaml import read_config
from gridcrm.errors import ConfigError
from gridcrm.features.registry import FEATURES
from gridcrm.tags._evaluate import Evaluator
from gridcrm.tags.rules import AllOf, AnyOf, AtLeast, Compare, Not, Parser, Percentile, Quantile, TagRef, walk
from gridcrm.tags.rules import Rule as RuleTree

__all__ = ["Campaign", "CatalogueError", "Product", "ProductCatalogue", "RecommenderSettings", "Signal", "load_product_catalogue"]


class CatalogueError(ConfigError):
    """The product catalogue or the payment plans break the rules (also a ``ValueError``)."""


@dataclass(frozen=True)
class Signal:
    """A fact that multiplies a product's prior acceptance probability by ``lift``; ``reason`` says it in words."""

    rule: RuleTree
    lift: float
    reason: str


@dataclass(frozen=True)
class Product:
    """One product of the catalogue (see ``configs/products.yaml`` for the meaning of each field)."""

    id: str
    product_class: str
    label: str
    description: str
    eligible: RuleTree | None
    value: float
    cost: float
    prior: float
    signals: tuple[Signal, ...] = ()
    capacity: int | None = None
    excludes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecommenderSettings:
    """The ``recommender:`` section: bundle size, acceptance horizon and when history replaces the priors."""

    k: int = 3
    horizon_days: int = 90
    window_days: int = 365
    min_offers: int = 30
    min_accepted: int = 3
    max_prior: float = 0.9
    min_expected_value: float = 0.0


_SETTINGS = {"k": (int, 1, 22), "horizon_days": (int, 1, 3660), "window_days": (int, 1, 3660),
             "min_offers": (int, 0, None), "min_accepted": (int, 0, None), "max_prior": (float, 0.0, 1.0),
             "min_expected_value": (float, None, None)}


@dataclass(frozen=True)
class Campaign:
    """One audience the main job selects and exports (``campaigns:`` of the catalogue).

    Attributes
    ----------
    name : str
        Identifier; the job writes ``campaign_<name>.csv``.
    audience : str
        A tag expression (:func:`gridcrm.recommend.audience.parse_expression`): text with and/or/not and
        parentheses over tag ids and ``"column op value"`` conditions.
    by : tuple of str
        Group columns of the counts.
    columns : tuple of str
        Extra columns of the exported list.
    """

    name: str
    audience: str
    by: tuple[str, ...] = ("customer_class",)
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductCatalogue:
    """Products in six classes, their rules, and the recommender's settings.

    Attributes
    ----------
    classes : dict
        Class id → label.
    products : tuple of Product
    settings : RecommenderSettings
    payment_plans : Path or None
        The payment-plan file named by the catalogue (relative paths resolved against it).
    campaigns : tuple of Campaign
        Audiences the main job selects and exports (``campaigns:``).
    source : Path or None
        The file read.

    Examples
    --------
    >>> cat = load_product_catalogue()
    >>> len(cat.products), len(cat.classes), cat.settings.k
    (22, 6, 3)
    >>> cat["instalment_prepayment"].excludes
    ('financial_payment',)
    >>> ex = cat.exclusions()  # both ways
    >>> bool(ex[cat.ids.index("financial_payment"), cat.ids.index("instalment_prepayment")])
    True
    """

    classes: dict[str, str]
    products: tuple[Product, ...]
    settings: RecommenderSettings = field(default_factory=RecommenderSettings)
    payment_plans: Path | None = None
    source: Path | None = None
    campaigns: tuple[Campaign, ...] = ()

    @property
    def ids(self) -> list[str]:
        """Product ids in file order."""
        return [p.id for p in self.products]

    def __getitem__(self, product_id: str) -> Product:
        for p in self.products:
            if p.id == product_id:
                return p
        raise KeyError(f"no product {product_id!r} in the catalogue; products are {self.ids}")

    def __len__(self) -> int:
        return len(self.products)

    def columns(self) -> set[str]:
        """Every column (feature, tag, model output) the rules read."""
        out: set[str] = set()
        for p in self.products:
            for tree in ([p.eligible] if p.eligible is not None else []) + [s.rule for s in p.signals]:
                out |= rule_columns(tree)
        return out

    def frozen(self, frame: pd.DataFrame) -> ProductCatalogue:
        """The catalogue with every percentile threshold (``bill_amount_mean_365d >= p75``) fixed at its value
        over ``frame``, so that a customer's eligibility and prior no longer depend on who else is scored
        with it (one served request, one customer).

        Examples
        --------
        >>> cat = load_product_catalogue().frozen(pd.DataFrame({"bill_amount_mean_365d": [100.0, 200.0, 300.0]}))
        >>> str(cat["instalment_prepayment"].signals[1].rule)
        'bill_amount_mean_365d >= 250.0'
        """
        products = tuple(replace(p, eligible=None if p.eligible is None else _freeze(p.eligible, frame),
                                 signals=tuple(replace(s, rule=_freeze(s.rule, frame)) for s in p.signals))
                         for p in self.products)
        return replace(self, products=products)

    def exclusions(self) -> np.ndarray:
        """Boolean matrix (products × products): True where two products may not be recommended together."""
        ids = {p: i for i, p in enumerate(self.ids)}
        m = np.zeros((len(ids), len(ids)), dtype=bool)
        for p in self.products:
            for q in p.excludes:
                m[ids[p.id], ids[q]] = m[ids[q], ids[p.id]] = True
        return m

    def eligibility(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Which customers (rows of ``frame``) may be offered each product (columns, bool).

        ``frame`` holds the features and, when present, the tags, ``credit_grade``, ``segment_name``, ...
        A column a rule reads that ``frame`` lacks is unknown: a rule that needs it is False.
        """
        ev = _Rules(frame)
        out = {p.id: (ev(p.eligible, p.id) if p.eligible is not None else np.ones(len(frame), bool))
               for p in self.products}
        return pd.DataFrame(out, index=frame.index)

    def signals(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per product, a bool matrix (customers × its signals): which signals hold."""
        ev = _Rules(frame)
        return {p.id: (np.column_stack([ev(s.rule, p.id) for s in p.signals]) if p.signals
                       else np.zeros((len(frame), 0), dtype=bool)) for p in self.products}

    def rule_propensity(self, frame: pd.DataFrame, held: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """The rule-based prior acceptance probability: ``prior × Π lifts of the signals that hold``, capped.

        Examples
        --------
        >>> cat = load_product_catalogue()
        >>> f = pd.DataFrame({"complaints_365d": [0, 3], "satisfaction_mean_365d": [4.0, 1.5]})
        >>> cat.rule_propensity(f)["fast_complaint_handling"].round(3).tolist()
        [0.1, 0.36]
        """
        held = self.signals(frame) if held is None else held
        out = {}
        for p in self.products:
            lifts = np.array([s.lift for s in p.signals], dtype=float)
            factor = np.exp(held[p.id].astype(float) @ np.log(lifts)) if len(lifts) else np.ones(len(frame))
            out[p.id] = np.clip(p.prior * factor, 0.0, self.settings.max_prior)
        return pd.DataFrame(out, index=frame.index)


def _freeze(tree: RuleTree, frame: pd.DataFrame) -> RuleTree:
    """The rule with each ``column op pNN`` threshold replaced by its value over ``frame``."""
    if isinstance(tree, Compare) and isinstance(tree.value, Percentile) and tree.name in frame.columns:
        x = pd.to_numeric(frame[tree.name], errors="coerce").astype(float)
        return Compare(tree.source, tree.name, tree.op, float(x.quantile(tree.value.q / 100.0)))
    if isinstance(tree, Not):
        return Not(_freeze(tree.part, frame))
    if isinstance(tree, (AllOf, AnyOf)):
        return type(tree)(tuple(_freeze(p, frame) for p in tree.parts))
    if isinstance(tree, AtLeast):
        return AtLeast(tree.k, tuple(_freeze(p, frame) for p in tree.parts))
    return tree


def rule_columns(tree: RuleTree) -> set[str]:
    """Every feature, column or tag a rule reads."""
    out: set[str] = set()
    for r in walk(tree):
        if isinstance(r, Compare):
            out.add(r.name)
        elif isinstance(r, Quantile):
            out |= {r.feature, *r.by}
        elif isinstance(r, TagRef):
            out.add(r.tag)
    return out


def _as_columns(tree: RuleTree) -> RuleTree:
    """The rule with tag references read as columns: a flag tag ``== true``, a band tag ``in`` its levels."""
    if isinstance(tree, TagRef):
        if tree.levels is None:
            return Compare("column", tree.tag, "==", True)
        return Compare("column", tree.tag, "in", tuple(tree.levels))
    if isinstance(tree, Not):
        return Not(_as_columns(tree.part))
    if isinstance(tree, (AllOf, AnyOf)):
        return type(tree)(tuple(_as_columns(p) for p in tree.parts))
    if isinstance(tree, AtLeast):
        return AtLeast(tree.k, tuple(_as_columns(p) for p in tree.parts))
    return tree


_UNKNOWN = "__gridcrm_unknown__"


def _unknown_absent(tree: RuleTree, absent: set[str]) -> RuleTree:
    """The rule with every part that reads an absent column replaced by an unknown one."""
    if isinstance(tree, Compare) and tree.name in absent:
        if tree.op in ("is_missing", "not_missing"):
            return Compare("column", _UNKNOWN, tree.op)
        return Compare("column", _UNKNOWN, ">=", 0.0)
    if isinstance(tree, Quantile) and {tree.feature, *tree.by} & absent:
        return Compare("column", _UNKNOWN, ">=", 0.0)
    if isinstance(tree, Not):
        return Not(_unknown_absent(tree.part, absent))
    if isinstance(tree, (AllOf, AnyOf)):
        return type(tree)(tuple(_unknown_absent(p, absent) for p in tree.parts))
    if isinstance(tree, AtLeast):
        return AtLeast(tree.k, tuple(_unknown_absent(p, absent) for p in tree.parts))
    return tree


class _Rules:
    """Evaluates rules on a frame; a column the frame lacks is unknown (a rule that needs it is False)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = pd.concat([frame, pd.DataFrame({_UNKNOWN: np.nan}, index=frame.index)], axis=1)
        self.ev = Evaluator(self.frame, None, {})
        self.ev.what = "rule"
        self.absent: set[str] = set()

    def __call__(self, tree: RuleTree, name: str) -> np.ndarray:
        absent = rule_columns(tree) - set(self.frame.columns)
        self.absent |= absent
        return self.ev.rule(_unknown_absent(tree, absent) if absent else tree, name)[0]


# --------------------------------------------------------------------------------------- loading
def _number(raw: Any, key: str, *, minimum: float | None = None, maximum: float | None = None,
            integer: bool = False, strict_min: bool = False) -> float:
    ok = isinstance(raw, numbers.Real) and not isinstance(raw, bool) and np.isfinite(float(raw))
    if integer:
        ok = ok and float(raw).is_integer()
    if ok and minimum is not None:
        ok = raw > minimum if strict_min else raw >= minimum
    if ok and maximum is not None:
        ok = raw <= maximum
    if not ok:
        what = "a whole number" if integer else "a number"
        bounds = []
        if minimum is not None:
            bounds.append(f"{'>' if strict_min else '>='} {minimum:g}")
        if maximum is not None:
            bounds.append(f"<= {maximum:g}")
        raise CatalogueError(f"{key}: expected {what}{' ' + ' and '.join(bounds) if bounds else ''}, got {raw!r}")
    return int(raw) if integer else float(raw)


def _keys(raw: Any, key: str, allowed: set[str], required: set[str] = frozenset()) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise CatalogueError(f"{key}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(map(str, raw)) - allowed)
    if unknown:
        raise CatalogueError(f"{key}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = sorted(required - set(raw))
    if missing:
        raise CatalogueError(f"{key}: missing key(s) {missing}")
    return raw


def _text(raw: Any, key: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise CatalogueError(f"{key}: expected a non-empty text, got {raw!r}")
    return raw


def parse_rule(raw: Any, key: str) -> RuleTree:
    """One rule of the tag rule language (shorthand conditions allowed), tag references read as columns.

    Raises
    ------
    CatalogueError
        The rule does not parse; the message names ``key`` and why.

    Examples
    --------
    >>> str(parse_rule({"all": ["contracted_kva >= 315", "high_value"]}, "eligible"))
    '(contracted_kva >= 315.0 and high_value == True)'
    """
    problems: list[tuple[str, str]] = []
    tree = Parser(key, FEATURES, problems, shorthand=True).rule(dict(raw) if isinstance(raw, Mapping) else raw)
    if problems or tree is None:
        raise CatalogueError("; ".join(f"{key}: {why}" for _, why in problems) or f"{key}: cannot read {raw!r}")
    return _as_columns(tree)


_PRODUCT_KEYS = {"id", "class", "label", "description", "eligible", "value", "cost", "prior", "signals", "capacity",
                 "excludes"}


def _product(raw: Any, key: str, classes: Mapping[str, str]) -> Product:
    raw = _keys(raw, key, _PRODUCT_KEYS, {"id", "class", "value", "cost", "prior"})
    pid = raw["id"]
    if not isinstance(pid, str) or not pid.isidentifier():
        raise CatalogueError(f"{key}.id: expected an identifier, got {pid!r}")
    cls = raw["class"]
    if cls not in classes:
        raise CatalogueError(f"{key}.class: {cls!r} is not one of the classes {sorted(classes)}")
    signals = raw.get("signals") or []
    if not isinstance(signals, list):
        raise CatalogueError(f"{key}.signals: expected a list, got {type(signals).__name__}")
    parsed = []
    for j, s in enumerate(signals):
        skey = f"{key}.signals[{j}]"
        s = _keys(s, skey, {"when", "lift", "reason"}, {"when", "lift", "reason"})
        parsed.append(Signal(parse_rule(s["when"], f"{skey}.when"),
                             _number(s["lift"], f"{skey}.lift", minimum=0, strict_min=True),
                             _text(s["reason"], f"{skey}.reason")))
    capacity = raw.get("capacity")
    excludes = raw.get("excludes") or []
    if not isinstance(excludes, list) or not all(isinstance(x, str) for x in excludes):
        raise CatalogueError(f"{key}.excludes: expected a list of product ids, got {excludes!r}")
    if pid in excludes:
        raise CatalogueError(f"{key}.excludes: product {pid!r} cannot exclude itself")
    return Product(
        id=pid, product_class=cls, label=str(raw.get("label", pid)), description=str(raw.get("description", "")),
        eligible=parse_rule(raw["eligible"], f"{key}.eligible") if raw.get("eligible") is not None else None,
        value=_number(raw["value"], f"{key}.value", minimum=0), cost=_number(raw["cost"], f"{key}.cost", minimum=0),
        prior=_number(raw["prior"], f"{key}.prior", minimum=0, maximum=1), signals=tuple(parsed),
        capacity=None if capacity is None else _number(capacity, f"{key}.capacity", minimum=0, integer=True),
        excludes=tuple(excludes),
    )


def load_product_catalogue(source: str | Path | Mapping[str, Any] | ProductCatalogue | None = None
                           ) -> ProductCatalogue:
    """Read and check a product catalogue.

    Parameters
    ----------
    source : path, mapping, ProductCatalogue or None
        A YAML file, its content, a loaded catalogue (returned unchanged) or None for the
        shipped ``configs/products.yaml``.

    Returns
    -------
    ProductCatalogue

    Raises
    ------
    CatalogueError
        The file is missing or not YAML, a key is unknown, a number out of range, a rule does
        not parse, a product id repeats or ``excludes`` names no product; the message names the
        file and the key.

    Examples
    --------
    >>> cat = load_product_catalogue()
    >>> sorted({p.product_class for p in cat.products}) == sorted(cat.classes)
    True
    >>> load_product_catalogue({"classes": {"a": "A"}, "products": [{"id": "x", "class": "a", "value": 1,
    ...                         "cost": 0, "prior": 0.1, "colour": "red"}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.recommend.catalogue.CatalogueError: product catalogue: products[0]: unknown key(s) ['colour']; allowed: [...]
    """
    if isinstance(source, ProductCatalogue):
        return source
    raw, path = read_config(source, what="product catalogue", error=CatalogueError, shipped="products.yaml")
    where = f"product catalogue {path}" if path is not None else "product catalogue"
    try:
        return _catalogue(raw, path)
    except CatalogueError as exc:
        raise CatalogueError(f"{where}: {exc}") from None


def _catalogue(raw: Mapping[str, Any], path: Path | None) -> ProductCatalogue:
    raw = _keys(raw, "top level", {"version", "classes", "recommender", "payment_plans", "products", "campaigns"},
                {"classes", "products"})
    if raw.get("version", 1) != 1:
        raise CatalogueError(f"version: expected 1, got {raw['version']!r}")
    classes = _keys(raw["classes"], "classes", set(map(str, raw["classes"] or {})))
    if not classes or not all(isinstance(v, str) for v in classes.values()):
        raise CatalogueError("classes: expected a mapping of class id → label")
    settings_raw = _keys(raw.get("recommender") or {}, "recommender", set(_SETTINGS))
    settings = {}
    for name, value in settings_raw.items():
        kind, lo, hi = _SETTINGS[name]
        settings[name] = _number(value, f"recommender.{name}", minimum=lo, maximum=hi, integer=kind is int)
    products_raw = raw["products"]
    if not isinstance(products_raw, list) or not products_raw:
        raise CatalogueError("products: expected a non-empty list")
    products = tuple(_product(p, f"products[{i}]", classes) for i, p in enumerate(products_raw))
    ids = [p.id for p in products]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        raise CatalogueError(f"products: id(s) {dup} used more than once")
    for i, p in enumerate(products):
        bad = [x for x in p.excludes if x not in ids]
        if bad:
            raise CatalogueError(f"products[{i}].excludes: {bad} are not products of the catalogue")
    plans = raw.get("payment_plans")
    if plans is not None:
        plans = Path(_text(plans, "payment_plans"))
        if not plans.is_absolute() and path is not None:
            plans = path.parent / plans
    campaigns = _campaigns(raw.get("campaigns") or [])
    return ProductCatalogue(dict(classes), products, RecommenderSettings(**settings), plans, path, campaigns)


def _campaigns(raw: Any) -> tuple[Campaign, ...]:
    """The ``campaigns:`` list: each audience expression parsed now (a broken one stops the job before it runs)."""
    from gridcrm.recommend.audience import parse_expression

    if not isinstance(raw, list):
        raise CatalogueError(f"campaigns: expected a list of {{name, audience, by, columns}}, got {raw!r}")
    out = []
    for i, item in enumerate(raw):
        key = f"campaigns[{i}]"
        item = _keys(item, key, {"name", "audience", "by", "columns"}, {"name", "audience"})
        name = _text(item["name"], f"{key}.name")
        if not name.isidentifier():
            raise CatalogueError(f"{key}.name: expected letters, digits and _ (it names campaign_<name>.csv), "
                                 f"got {name!r}")
        audience = _text(item["audience"], f"{key}.audience")
        try:
            parse_expression(audience)
        except CatalogueError as exc:
            raise CatalogueError(f"{key}.audience: {exc}") from None
        lists = {}
        for part, default in (("by", ["customer_class"]), ("columns", [])):
            value = item.get(part, default)
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise CatalogueError(f"{key}.{part}: expected a column name or a list of them, got {value!r}")
            lists[part] = tuple(value)
        if not lists["by"]:
            raise CatalogueError(f"{key}.by: expected at least one group column")
        out.append(Campaign(name, audience, lists["by"], lists["columns"]))
    names = [c.name for c in out]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise CatalogueError(f"campaigns: name(s) {dup} used more than once")
    return tuple(out)
