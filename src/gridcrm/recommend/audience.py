"""Audience selection for a campaign (the case studies' "customer screening"): customers by a tag expression.

An expression is a rule of the tag rule language over the tags, features and model columns
of the customers, written either as YAML-like data (``{all: [high_value, "contracted_kva >= 315"]}``)
or as text with ``and``, ``or``, ``not`` and parentheses around tag ids and ``"column op value"``
conditions::

    large_capacity and (outage_complaint or power_quality_complaint) and not chronic_late_payer
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm.errors import InputError
from gridcrm.recommend.catalogue import CatalogueError, _Rules, parse_rule
from gridcrm.tags.rules import Rule as RuleTree

__all__ = ["Audience", "audience_customers", "parse_expression", "select"]

_TOKENS = re.compile(r"(\(|\)|\band\b|\bor\b|\bnot\b)")


@dataclass(frozen=True)
class Audience:
    """Customers an expression selects, and how many in each group.

    Attributes
    ----------
    expression : str
        The rule, as read.
    customers : DataFrame
        Index ``customer_id``; the group columns and the extra columns asked for.
    counts : DataFrame
        Per group: ``selected``, ``customers`` (in the group), ``share_of_group``, ``share_of_audience``;
        a last row ``all``.
    unknown_columns : tuple of str
        Columns the expression reads that the customers lack (their conditions were unknown: not selected).
    """

    expression: str
    customers: pd.DataFrame
    counts: pd.DataFrame
    unknown_columns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.customers)

    def to_csv(self, path: str | Path) -> Path:
        """Write the customer list for the campaign (one row per customer); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.customers.to_csv(path)
        return path


def parse_expression(expression: str | Mapping[str, Any] | Sequence[Any]) -> RuleTree:
    """An audience expression as a rule: text with and/or/not/parentheses, a rule mapping, or a list (all of).

    Raises
    ------
    CatalogueError
        The expression does not parse (unbalanced parentheses, an operator without operand, a bad condition).

    Examples
    --------
    >>> str(parse_expression("large_capacity and (outage_complaint or complaints_365d >= 2)"))
    '(large_capacity == True and (outage_complaint == True or complaints_365d >= 2.0))'
    >>> str(parse_expression("not prompt_payer"))
    'not prompt_payer == True'
    """
    if isinstance(expression, str):
        return parse_rule(_text_rule(expression), f"expression {expression!r}")
    if isinstance(expression, Sequence):
        return parse_rule({"all": list(expression)}, "expression")
    return parse_rule(expression, "expression")


def _text_rule(text: str) -> Any:
    tokens = [t.strip() for t in _TOKENS.split(text) if t.strip()]
    pos = 0

    def fail(why: str) -> CatalogueError:
        return CatalogueError(f"expression {text!r}: {why}")

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise fail("ends where a tag or condition is expected")
        pos += 1
        return tokens[pos - 1]

    def expr() -> Any:
        parts = [term()]
        while peek() == "or":
            take()
            parts.append(term())
        return parts[0] if len(parts) == 1 else {"any": parts}

    def term() -> Any:
        parts = [factor()]
        while peek() == "and":
            take()
            parts.append(factor())
        return parts[0] if len(parts) == 1 else {"all": parts}

    def factor() -> Any:
        tok = take()
        if tok == "not":
            return {"not": factor()}
        if tok == "(":
            inner = expr()
            if peek() != ")":
                raise fail("a '(' is not closed")
            take()
            return inner
        if tok in ("and", "or", ")"):
            raise fail(f"{tok!r} where a tag or condition is expected")
        return tok

    rule = expr()
    if pos != len(tokens):
        raise fail(f"unexpected {tokens[pos]!r}")
    return rule


def select(customers: pd.DataFrame, expression: str | Mapping[str, Any] | Sequence[Any], *,
           by: str | Sequence[str] = "customer_class", columns: Sequence[str] = ()) -> Audience:
    """The customers an expression selects, with counts by group.

    Parameters
    ----------
    customers : DataFrame
        Index ``customer_id``: features, tags (bool columns, or band levels), model columns.
    expression : str, mapping or list
        See :func:`parse_expression`.
    by : str or list of str
        Group columns of the counts (e.g. ``customer_class``, ``segment_name``, ``credit_grade``).
    columns : list of str
        Extra columns copied to the customer list.

    Returns
    -------
    Audience

    Raises
    ------
    InputError
        A ``by`` or ``columns`` column is missing.
    CatalogueError
        The expression does not parse.

    Examples
    --------
    >>> f = pd.DataFrame({"customer_class": ["residential", "commercial", "commercial", "industrial"],
    ...                   "high_value": [True, True, False, True], "complaints_365d": [0, 3, 5, 1]},
    ...                  index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> aud = select(f, "high_value and complaints_365d >= 1")
    >>> aud.customers.index.tolist()
    [2, 4]
    >>> aud.counts  # doctest: +NORMALIZE_WHITESPACE
                    selected  customers  share_of_group  share_of_audience
    customer_class
    commercial             1          2             0.5                0.5
    industrial             1          1             1.0                0.5
    residential            0          1             0.0                0.0
    all                    2          4             0.5                1.0
    """
    by = [by] if isinstance(by, str) else list(by)
    lacking = [c for c in [*by, *columns] if c not in customers.columns]
    if lacking:
        raise InputError(f"select: customers have no column(s) {lacking}; columns are {list(customers.columns)[:20]}")
    rule = parse_expression(expression)
    ev = _Rules(customers)
    hit = ev(rule, "expression")
    chosen = customers.loc[hit, [*by, *columns]]
    groups = customers[by].astype("object").fillna("(missing)")
    size = groups.groupby(by).size()
    selected = groups[hit].groupby(by).size().reindex(size.index, fill_value=0)
    counts = pd.DataFrame({"selected": selected, "customers": size})
    total = pd.DataFrame({"selected": [int(hit.sum())], "customers": [len(customers)]},
                         index=pd.Index(["all"], name=counts.index.name) if len(by) == 1 else
                         pd.MultiIndex.from_tuples([("all",) * len(by)], names=by))
    counts = pd.concat([counts, total])
    counts["share_of_group"] = counts["selected"] / counts["customers"]
    counts["share_of_audience"] = counts["selected"] / max(int(hit.sum()), 1)
    return Audience(str(rule), chosen, counts, tuple(sorted(ev.absent)))


def audience_customers(dataset: Any, as_of: pd.Timestamp | str | None = None, *, windows: Sequence[int] = (30, 90, 365),
                       tags: Any = None, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """The customers a campaign screens: features at ``as_of``, model columns, and the tags evaluated on both.

    Parameters
    ----------
    dataset : Dataset
        Validated data (:func:`gridcrm.data.load_dataset`).
    as_of : Timestamp-like, optional
        Default: the extract date.
    windows : sequence of int
        Feature windows (as the run config's ``features.windows``).
    tags : TagLibrary, path, mapping or None
        The tag library (:func:`gridcrm.tags.load_tags` source); None: no tags (features and model
        columns only).
    scores : DataFrame, optional
        Model columns per customer (index ``customer_id``), e.g. the ``scores.parquet`` ``gridcrm score``
        writes (credit grade, segment, value rank, churn and arrears risk): joined, and the tags on
        model columns evaluated on them. Its ``tag_*`` columns are left out (the tags are evaluated again
        at ``as_of``).

    Returns
    -------
    DataFrame
        Index ``customer_id``: the features, the model columns of ``scores``, the tags.
    """
    from gridcrm.features import build_features

    when = pd.Timestamp(as_of) if as_of is not None else dataset.extracted_on
    features = build_features(dataset, as_of=when, windows=tuple(windows))
    extra = None
    if scores is not None:
        if scores.index.name != "customer_id":
            raise InputError(f"audience_customers: scores must be indexed by customer_id, got {scores.index.name!r}")
        extra = scores[[c for c in scores.columns if not str(c).startswith("tag_") and c not in features.columns]]
        extra = extra.reindex(features.index)
    frame = features if extra is None else pd.concat([features, extra], axis=1)
    if tags is not None:
        from gridcrm.tags import load_tags

        wide = load_tags(tags).evaluate(features, extra=extra).wide
        frame = pd.concat([frame, wide[[c for c in wide.columns if c not in frame.columns]]], axis=1)
    return frame
