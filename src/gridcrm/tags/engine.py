"""The tag engine: tag definitions (``configs/tags.yaml``) → one vectorised evaluation over all customers.

See :mod:`gridcrm.tags.rules` for the rule grammar and the treatment of missing values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from gridcrm._yaml import read_config
from gridcrm.errors import ConfigError
from gridcrm.features.registry import FEATURES, FeatureSpec
from gridcrm.tags._evaluate import Evaluator, tag_column
from gridcrm.tags.result import TagResult
from gridcrm.tags.rules import (
    Bands,
    Compare,
    Parser,
    Quantile,
    Rule,
    TagRef,
    TagRuleError,
    references,
    walk,
)

__all__ = ["TagSpec", "TagSet", "TagResult", "load_tags"]

logger = logging.getLogger(__name__)

_TAG_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TAG_KEYS = {"id", "label", "category", "description", "rule", "bands"}


@dataclass(frozen=True)
class TagSpec:
    """One tag: its id, label, category, description and rule (or bands)."""

    id: str
    label: str
    category: str
    description: str
    rule: Rule | Bands

    @property
    def kind(self) -> Literal["flag", "band"]:
        """``"band"`` for a tag with levels, ``"flag"`` for a yes/no tag."""
        return "band" if isinstance(self.rule, Bands) else "flag"

    @property
    def levels(self) -> tuple[str, ...]:
        """Level labels of a band tag, in order; empty for a flag."""
        return tuple(lv.label for lv in self.rule.levels) if isinstance(self.rule, Bands) else ()

    @property
    def features(self) -> set[str]:
        """Registry features the rule reads (not those of the tags it refers to)."""
        out: set[str] = set()
        for r in walk(self.rule):
            if isinstance(r, Compare) and r.source == "feature":
                out.add(r.name)
            elif isinstance(r, (Quantile, Bands)):
                out.update((r.feature, *r.by))
        return out

    @property
    def columns(self) -> set[str]:
        """Columns of other models the rule reads."""
        return {r.name for r in walk(self.rule) if isinstance(r, Compare) and r.source == "column"}


class TagSet:
    """A validated set of tags in categories, ready to evaluate on a feature table.

    Build one with :func:`load_tags` (a YAML file) or :meth:`from_dict`.

    Attributes
    ----------
    categories : dict of str to str
        Category id → label, in display order.
    tags : dict of str to TagSpec
        Tag id → tag, in file order.
    registry : dict of str to FeatureSpec
        The features the rules were checked against.

    Examples
    --------
    >>> import pandas as pd
    >>> tags = TagSet.from_dict({
    ...     "categories": {"usage": "Electricity-use behaviour"},
    ...     "tags": [
    ...         {"id": "big", "label": "Big user", "category": "usage",
    ...          "rule": {"feature": "kwh_mean_365d", "op": ">=", "value": 20}},
    ...         {"id": "small", "label": "Small user", "category": "usage",
    ...          "rule": {"not": {"feature": "kwh_mean_365d", "op": ">=", "value": 20}}},
    ...         {"id": "not_big", "label": "Not a big user", "category": "usage", "rule": {"not": "big"}},
    ...     ]})
    >>> features = pd.DataFrame({"kwh_mean_365d": [35.0, 4.0, float("nan")]},
    ...                         index=pd.Index([7, 8, 9], name="customer_id"))
    >>> result = tags.evaluate(features)
    >>> result.wide  # doctest: +NORMALIZE_WHITESPACE
                   big  small  not_big
    customer_id
    7             True  False    False
    8            False   True     True
    9            False  False     True
    >>> result.long
       customer_id   tag_id level
    0            7      big   NaN
    1            8    small   NaN
    2            8  not_big   NaN
    3            9  not_big   NaN
    """

    def __init__(self, categories: dict[str, str], tags: dict[str, TagSpec], registry: dict[str, FeatureSpec],
                 order: list[str]) -> None:
        self.categories = categories
        self.tags = tags
        self.registry = registry
        self._order = order

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Mapping, registry: dict[str, FeatureSpec] | None = None,
                  source: str = "the tag definitions") -> TagSet:
        """Check and build a tag set from the parsed YAML structure.

        Parameters
        ----------
        raw : mapping
            ``{"categories": {id: label, ...}, "tags": [{id, label, category, description, rule | bands}, ...]}``.
        registry : dict of str to FeatureSpec, optional
            Features rules may use; defaults to :data:`gridcrm.features.FEATURES`.
        source : str
            Where the definitions come from, for error messages.

        Raises
        ------
        TagRuleError
            Listing every problem found, each with its tag id and the reason.
        """
        registry = FEATURES if registry is None else registry
        problems: list[tuple[str, str]] = []
        if not isinstance(raw, Mapping):
            raise TagRuleError([("", f"the top level must be a mapping with 'categories' and 'tags', got {raw!r}")],
                               source)
        extra = sorted(set(raw) - {"categories", "tags", "version"})
        if extra:
            problems.append(("", f"unknown top-level key(s) {extra}; allowed: categories, tags, version"))
        categories = raw.get("categories")
        if not isinstance(categories, Mapping) or not categories or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in categories.items()):
            raise TagRuleError(problems + [("", f"'categories' must map category ids to labels, got {categories!r}")],
                               source)
        entries = raw.get("tags")
        if not isinstance(entries, list) or not entries:
            raise TagRuleError(problems + [("", "'tags' must be a non-empty list of tags")], source)
        tags: dict[str, TagSpec] = {}
        ids: set[str] = set()
        for i, entry in enumerate(entries):
            spec = _parse_tag(entry, i, dict(categories), registry, problems, ids)
            if spec is not None:
                tags[spec.id] = spec
        _check_references(tags, problems)
        order = _topological(tags, problems)
        if problems:
            raise TagRuleError(problems, source)
        return cls(dict(categories), tags, registry, order)

    # -- access -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tags)

    def __iter__(self) -> Iterator[TagSpec]:
        return iter(self.tags.values())

    def __contains__(self, tag_id: object) -> bool:
        return tag_id in self.tags

    def __getitem__(self, tag_id: str) -> TagSpec:
        try:
            return self.tags[tag_id]
        except KeyError:
            raise KeyError(f"no tag {tag_id!r}; see TagSet.catalog() for the {len(self)} tags") from None

    def __repr__(self) -> str:
        per = ", ".join(f"{c}={sum(t.category == c for t in self)}" for c in self.categories)
        return f"TagSet({len(self)} tags: {per})"

    def catalog(self) -> pd.DataFrame:
        """One row per tag: label, category, kind, levels, description and the rule in words.

        Returns
        -------
        DataFrame
            Indexed by tag id.
        """
        rows = [
            {"tag_id": t.id, "label": t.label, "category": t.category, "category_label": self.categories[t.category],
             "kind": t.kind, "levels": " | ".join(t.levels), "description": t.description, "rule": str(t.rule)}
            for t in self
        ]
        return pd.DataFrame(rows).set_index("tag_id")

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, features: pd.DataFrame, extra: pd.DataFrame | None = None,
                 on_missing_column: Literal["skip", "raise"] = "skip") -> TagResult:
        """Evaluate every tag on every customer at once.

        Parameters
        ----------
        features : DataFrame
            From :func:`gridcrm.features.build_features` (index ``customer_id``).
        extra : DataFrame, optional
            Other models' outputs (scores, segments) used by ``column`` rules, indexed
            by ``customer_id``; aligned to ``features`` (customers it lacks get NaN).
        on_missing_column : {"skip", "raise"}
            What to do with a tag whose ``column`` is in neither frame (the model has
            not run): leave it out of the result (logged, listed in ``TagResult.skipped``,
            together with the tags that refer to it) or raise ``KeyError``.

        Returns
        -------
        TagResult

        Raises
        ------
        KeyError
            ``features`` lacks a feature a tag needs (naming the tags and features).
        """
        if not isinstance(features, pd.DataFrame):
            raise TypeError(f"features must be a DataFrame, got {type(features).__name__}")
        if on_missing_column not in ("skip", "raise"):
            raise ValueError(f"on_missing_column must be 'skip' or 'raise', got {on_missing_column!r}")
        if extra is not None:
            extra = extra.reindex(features.index)
        missing = {t.id: sorted(t.features - set(features.columns)) for t in self}
        missing = {k: v for k, v in missing.items() if v}
        if missing:
            shown = "; ".join(f"{k}: {v}" for k, v in list(missing.items())[:8])
            raise KeyError(f"the features frame lacks feature(s) that {len(missing)} tag(s) need — {shown}. "
                           "Build the features with the windows the tags use, or load the tags with that registry.")
        ev = Evaluator(features, extra, self.tags)
        skipped: list[str] = []
        results: dict[str, np.ndarray] = {}
        for tid in self._order:
            spec = self.tags[tid]
            absent = sorted(c for c in spec.columns if not ev.has_column(c))
            if absent and on_missing_column == "raise":
                raise KeyError(f"tag {tid!r} needs column(s) {absent}, in neither the features nor extra")
            if absent or references(spec.rule) & set(skipped):
                skipped.append(tid)
                continue
            results[tid] = ev.tag(spec)
        if skipped:
            logger.info("tags not evaluated (their model column is absent): %s", skipped)
        wide = pd.DataFrame(
            {tid: tag_column(self.tags[tid], results[tid]) for tid in self.tags if tid in results},
            index=features.index, copy=False,
        )
        return TagResult(wide=wide, tagset=self, skipped=tuple(skipped))


class _TagsFileError(TagRuleError):
    """A tags file that cannot be read (missing, not YAML, not a mapping): one problem, the message as is.

    Named ``TagRuleError`` in tracebacks: it is one, built from a single message.
    """

    __qualname__ = TagRuleError.__qualname__
    __module__ = TagRuleError.__module__

    def __init__(self, message: str) -> None:
        self.problems = [("", message)]
        ConfigError.__init__(self, message)


def load_tags(
    source: str | Path | Mapping[str, object] | TagSet | None = None,
    registry: dict[str, FeatureSpec] | None = None,
) -> TagSet:
    """Read and check a tags file (``configs/tags.yaml``).

    Parameters
    ----------
    source : str, Path, mapping, TagSet or None
        YAML file with ``categories`` and ``tags``, the same content as a mapping, an
        already loaded :class:`TagSet` (returned unchanged), or None (default) for the
        shipped ``tags.yaml`` (``gridcrm.configs.shipped("tags.yaml")``, the project's
        ``configs/tags.yaml``), found from any working directory. Read by
        :func:`gridcrm._yaml.read_config`.
    registry : dict of str to FeatureSpec, optional
        Features the rules may use; defaults to :data:`gridcrm.features.FEATURES`
        (pass ``feature_registry(windows)`` for other windows). Not with a loaded TagSet.

    Returns
    -------
    TagSet
        Evaluate it with :meth:`TagSet.evaluate`.

    Raises
    ------
    TagRuleError
        The file does not exist (also a ``FileNotFoundError``), is not YAML or not a mapping
        (the message names the file, in the shape every config loader uses), or tags break the
        rules (unknown feature, bad operator, overlapping or gapped bands, unknown tag referred
        to, a cycle of references...): every problem is listed with its tag id.

    Examples
    --------
    >>> tagset = load_tags()                   # the shipped tags, from any working directory
    >>> len(tagset.tags) > 50, "residential" in tagset.tags
    (True, True)
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "tags.yaml"
    >>> _ = f.write_text('''
    ... categories: {payment: Consumption & payment behaviour}
    ... tags:
    ...   - {id: prompt, label: Prompt payer, category: payment,
    ...      rule: {feature: on_time_rate_365d, op: ">=", value: 0.95}}
    ...   - {id: late, label: Late payer, category: payment,
    ...      rule: {feature: on_time_rate_365, op: "<", value: 0.5}}
    ... ''')
    >>> load_tags(f)
    Traceback (most recent call last):
    ...
    gridcrm.tags.rules.TagRuleError: 1 problem in ...tags.yaml:
    - tag 'late': unknown feature 'on_time_rate_365' (did you mean 'on_time_rate_365d', 'on_time_rate_730d'?)
    """
    if isinstance(source, TagSet):
        if registry is not None:
            raise _TagsFileError("registry applies when tags are loaded; pass the tags' path or mapping instead of a "
                                 "loaded TagSet")
        return source
    raw, path = read_config(source, what="tags file", error=_TagsFileError, shipped="tags.yaml")
    return TagSet.from_dict(raw, registry=registry, source="the tag definitions" if path is None else str(path))


# ---------------------------------------------------------------------------------------
# checking
# ---------------------------------------------------------------------------------------
def _parse_tag(entry: object, i: int, categories: dict[str, str], registry: dict[str, FeatureSpec],
               problems: list[tuple[str, str]], seen: set[str]) -> TagSpec | None:
    if not isinstance(entry, Mapping):
        problems.append((f"#{i + 1}", f"a tag must be a mapping, got {entry!r}"))
        return None
    tid = entry.get("id")
    name = tid if isinstance(tid, str) else f"#{i + 1}"
    n_before = len(problems)

    def fail(reason: str) -> None:
        problems.append((name, reason))

    if not isinstance(tid, str) or not _TAG_ID.match(tid):
        fail(f"id must be lower_snake_case text, got {tid!r}")
    elif tid in seen:
        fail("the id is used by another tag")
    else:
        seen.add(tid)
    extra = sorted(set(map(str, entry)) - _TAG_KEYS)
    if extra:
        fail(f"unknown key(s) {extra}; allowed: {sorted(_TAG_KEYS)}")
    label, category, description = entry.get("label"), entry.get("category"), entry.get("description", "")
    if not isinstance(label, str) or not label:
        fail(f"label must be text, got {label!r}")
    if category not in categories:
        fail(f"unknown category {category!r}; categories are {list(categories)}")
    if not isinstance(description, str):
        fail(f"description must be text, got {description!r}")
    parser = Parser(name, registry, problems)
    if ("rule" in entry) == ("bands" in entry):
        fail("a tag needs exactly one of 'rule' (a yes/no tag) or 'bands' (a tag with levels)")
        return None
    rule = parser.rule(entry["rule"]) if "rule" in entry else parser.bands(entry["bands"])
    if rule is None or len(problems) > n_before:
        return None
    return TagSpec(tid, label, category, description, rule)


def _check_references(tags: dict[str, TagSpec], problems: list[tuple[str, str]]) -> None:
    for spec in tags.values():
        for r in walk(spec.rule):
            if not isinstance(r, TagRef):
                continue
            target = tags.get(r.tag)
            if target is None:
                problems.append((spec.id, f"refers to unknown tag {r.tag!r}"))
            elif target.kind == "band" and r.levels is None:
                problems.append((spec.id, f"refers to {r.tag!r}, a tag with levels {list(target.levels)}: "
                                          f"write {{tag: {r.tag}, in: [...]}}"))
            elif target.kind == "flag" and r.levels is not None:
                problems.append((spec.id, f"refers to {r.tag!r} with levels, but it is a yes/no tag"))
            elif r.levels is not None and set(r.levels) - set(target.levels):
                problems.append((spec.id, f"levels {sorted(set(r.levels) - set(target.levels))} are not levels "
                                          f"of {r.tag!r} ({list(target.levels)})"))


def _topological(tags: dict[str, TagSpec], problems: list[tuple[str, str]]) -> list[str]:
    """Order tags so that every tag comes after the tags it refers to; report cycles."""
    deps = {t: sorted(references(s.rule) & set(tags)) for t, s in tags.items()}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(t: str, path: list[str]) -> None:
        state[t] = 1
        path.append(t)
        for d in deps[t]:
            if state.get(d) == 1:
                cycle = path[path.index(d):] + [d]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    problems.append((d, "tags refer to each other in a cycle: " + " → ".join(cycle)))
            elif d not in state:
                visit(d, path)
        path.pop()
        state[t] = 2
        order.append(t)

    for t in tags:
        if t not in state:
            visit(t, [])
    return order
