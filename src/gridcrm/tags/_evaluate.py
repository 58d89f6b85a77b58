"""Vectorised evaluation of parsed tag rules: every rule over every customer at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcrm.tags.rules import AllOf, AtLeast, Bands, Compare, Not, Percentile, Quantile, Rule, TagRef

if TYPE_CHECKING:
    from gridcrm.tags.engine import TagSpec

__all__ = ["Evaluator", "evaluate_rule", "tag_column"]

_CMP = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
        "!=": np.not_equal}


class Evaluator:
    """Evaluates rules as (value, known) pairs of bool arrays; ``value`` implies ``known``."""

    def __init__(self, features: pd.DataFrame, extra: pd.DataFrame | None, tags: dict[str, TagSpec]) -> None:
        self.features = features
        self.tags = tags
        self.extra = extra
        self.n = len(features)
        #: What errors call the rule being evaluated ("tag 'x': ...", "rule 'x': ...").
        self.what = "tag"
        self.done: dict[str, np.ndarray] = {}
        self._pct: dict[tuple, np.ndarray] = {}

    def has_column(self, name: str) -> bool:
        return name in self.features.columns or (self.extra is not None and name in self.extra.columns)

    def _series(self, name: str) -> pd.Series:
        if self.extra is not None and name in self.extra.columns and name not in self.features.columns:
            return self.extra[name]
        return self.features[name]

    def tag(self, spec: TagSpec) -> np.ndarray:
        out = self._bands(spec.rule) if isinstance(spec.rule, Bands) else self.rule(spec.rule, spec.id)[0]
        self.done[spec.id] = out  # referring tags see the tag as published: False where unknown
        return out

    def rule(self, r: Rule, tid: str) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(r, Compare):
            return self._compare(r, tid)
        if isinstance(r, Quantile):
            p = self._percentile(r.feature, r.by, r.min_group_size)
            known = ~np.isnan(p)
            with np.errstate(invalid="ignore"):
                return known & (p >= r.lo) & (p < r.hi), known
        if isinstance(r, TagRef):
            done = self.done[r.tag]
            known = np.ones(self.n, dtype=bool)
            if r.levels is None:
                return done, known
            levels = self.tags[r.tag].levels
            return np.isin(done, [levels.index(x) for x in r.levels]), known
        if isinstance(r, Not):
            value, known = self.rule(r.part, tid)
            return known & ~value, known
        parts = [self.rule(p, tid) for p in r.parts]
        if isinstance(r, AtLeast):
            n_true = np.sum([v for v, _ in parts], axis=0)
            n_false = np.sum([k & ~v for v, k in parts], axis=0)
            value = n_true >= r.k
            return value, value | (n_false > len(parts) - r.k)
        if isinstance(r, AllOf):
            all_true = np.logical_and.reduce([v for v, _ in parts])
            any_false = np.logical_or.reduce([k & ~v for v, k in parts])
            return all_true, all_true | any_false
        any_true = np.logical_or.reduce([v for v, _ in parts])
        all_false = np.logical_and.reduce([k & ~v for v, k in parts])
        return any_true, any_true | all_false

    def _compare(self, r: Compare, tid: str) -> tuple[np.ndarray, np.ndarray]:
        s = self._series(r.name)
        if r.op in ("is_missing", "not_missing"):
            isna = s.isna().to_numpy()
            return (isna if r.op == "is_missing" else ~isna), np.ones(self.n, bool)
        if pd.api.types.is_bool_dtype(s.dtype):
            x = s.to_numpy(dtype=bool, na_value=False)
            known = s.notna().to_numpy()
            if r.op not in ("==", "!=") or isinstance(r.value, Percentile):
                raise ValueError(f"{self.what} {tid!r}: cannot compare column {r.name!r} (yes/no) with {r.value} "
                                 f"using {r.op}; use == or != with true or false")
            return known & _CMP[r.op](x, bool(r.value)), known
        if pd.api.types.is_numeric_dtype(s.dtype):
            x = s.to_numpy(dtype=np.float64, na_value=np.nan)
            known = ~np.isnan(x)
            if r.op in ("in", "not_in"):
                hit = np.isin(x, np.asarray(r.value, dtype=np.float64))
                return known & (hit if r.op == "in" else ~hit), known
            if r.op == "between":
                with np.errstate(invalid="ignore"):
                    return known & (x >= r.value[0]) & (x <= r.value[1]), known
            if isinstance(r.value, Percentile):
                value = pd.Series(x).quantile(r.value.q / 100.0)
                with np.errstate(invalid="ignore"):
                    return known & _CMP[r.op](x, value), known
            if isinstance(r.value, str):
                raise ValueError(f"{self.what} {tid!r}: cannot compare column {r.name!r} (numbers) with {r.value!r}")
            with np.errstate(invalid="ignore"):
                return known & _CMP[r.op](x, r.value), known
        known = s.notna().to_numpy()
        if r.op in ("in", "not_in", "==", "!=") and not isinstance(r.value, Percentile):
            values = list(r.value) if isinstance(r.value, tuple) else [r.value]
            hit = s.isin([str(v) for v in values]).to_numpy(dtype=bool, na_value=False)
            return known & (hit if r.op in ("in", "==") else ~hit), known
        raise ValueError(f"{self.what} {tid!r}: cannot compare column {r.name!r} (text) with {r.value} using {r.op}; "
                         "the operator needs numbers")

    def _percentile(self, feature: str, by: tuple[str, ...], min_group_size: int) -> np.ndarray:
        key = (feature, by, min_group_size)
        if key not in self._pct:
            x = pd.Series(self.features[feature].to_numpy(dtype=np.float64, na_value=np.nan))
            if by:
                keys = [self.features[b].to_numpy() for b in by]
                grouped = x.groupby(keys, observed=True, dropna=True, sort=False)
            else:
                grouped = x.groupby(np.zeros(self.n, dtype=np.int8), sort=False)
            rank = grouped.rank(method="average").to_numpy(dtype=np.float64, na_value=np.nan)
            size = grouped.transform("count").to_numpy(dtype=np.float64, na_value=np.nan)
            p = (rank - 0.5) / size
            p[~(size >= min_group_size)] = np.nan
            self._pct[key] = p
        return self._pct[key]

    def _bands(self, b: Bands) -> np.ndarray:
        if b.scale == "quantile":
            x = self._percentile(b.feature, b.by, b.min_group_size)
        else:
            x = self.features[b.feature].to_numpy(dtype=np.float64, na_value=np.nan)
        edges = np.array([lv.lo for lv in b.levels] + [b.levels[-1].hi])
        codes = np.searchsorted(edges, x, side="right") - 1
        outside = np.isnan(x) | (codes < 0) | (codes >= len(b.levels))
        if b.scale == "quantile":  # a percentile of exactly 1 belongs to the top band
            outside &= ~(x == 1.0)
            codes = np.minimum(codes, len(b.levels) - 1)
        return np.where(outside, -1, codes).astype(np.int16)


def evaluate_rule(rule: Rule, frame: pd.DataFrame, name: str = "rule") -> np.ndarray:
    """Where ``rule`` holds on each row of ``frame`` (a bool array; unknown counts as False).

    Every feature and column the rule names is read from ``frame``; the rule may not
    refer to tags. Errors name the rule ``name``.

    Examples
    --------
    >>> import pandas as pd
    >>> from gridcrm.tags.rules import AnyOf, parse_condition
    >>> f = pd.DataFrame({"p_arrears": [0.7, 0.1, None], "theft_count": [0, 1, 0]})
    >>> rule = AnyOf((parse_condition("p_arrears >= 0.5"), parse_condition("theft_count > 0")))
    >>> evaluate_rule(rule, f).tolist()
    [True, True, False]
    """
    ev = Evaluator(frame, None, {})
    ev.what = "rule"
    return ev.rule(rule, name)[0]


def tag_column(spec: TagSpec, values: np.ndarray) -> object:
    if spec.kind == "band":
        return pd.Categorical.from_codes(values, categories=list(spec.levels), ordered=True)
    return values
