"""A regularised logistic regression on a risk frame, with exact per-column contributions.

Its inverse regularisation C is chosen by 3-fold cross-validated log loss with
the one-standard-error rule.

The design matrix is built column by column so that every design column
belongs to one source column: a numeric column gives its standardised signed
``log1p`` value (median-imputed) and, if it had missing values in fit, a
standardised missing-value indicator; a categorical column gives one
standardised indicator per level seen at least ``min_frequency`` times, one
for the pooled rare (and unseen) levels and one for missing. A row's log-odds
is then ``intercept + Σ coef · z``, and the contribution of a source column
is ``Σ coef · (z - mean z)`` over its design columns (the linear model's
SHAP values with the training means as baseline).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from threadpoolctl import threadpool_limits

#: Grid of inverse regularisation strengths searched when ``C="auto"``.
C_GRID = np.logspace(-3, 1, 9)


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass
class _Column:
    name: str
    kind: str  # "num" or "cat"
    width: int
    median: float = 0.0
    indicator: bool = False
    levels: list[str] = field(default_factory=list)
    other: bool = False
    missing: bool = False


@dataclass
class LinearDesign:
    """How a frame (as prepared by ``FrameSchema.apply``) becomes a standardised design matrix."""

    columns: list[_Column]
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def learn(cls, data: pd.DataFrame, min_frequency: int = 10) -> LinearDesign:
        cols = []
        for name in data.columns:
            s = data[name]
            if isinstance(s.dtype, pd.CategoricalDtype):
                counts = s.value_counts(dropna=True)
                levels = [str(v) for v, c in counts.items() if c >= min_frequency]
                other = bool((counts < min_frequency).any())
                missing = bool(s.isna().any())
                cols.append(_Column(name, "cat", len(levels) + other + missing, levels=levels, other=other,
                                    missing=missing))
            else:
                x = s.to_numpy(dtype=np.float64)
                finite = x[np.isfinite(x)]
                median = float(np.median(finite)) if len(finite) else 0.0
                indicator = bool(np.isnan(x).any()) and len(finite) > 0
                cols.append(_Column(name, "num", 1 + indicator, median=median, indicator=indicator))
        design = cls(cols, np.zeros(0), np.ones(0))
        raw = design._raw(data)
        design.mean = raw.mean(axis=0)
        sd = raw.std(axis=0)
        design.scale = np.where(sd > 0, sd, 1.0)
        return design

    def _raw(self, data: pd.DataFrame, order: str = "C") -> np.ndarray:
        out = np.empty((len(data), sum(c.width for c in self.columns)), dtype=np.float64, order=order)
        j = 0
        for c in self.columns:
            s = data[c.name]
            if c.kind == "num":
                x = s.to_numpy(dtype=np.float64)
                nan = ~np.isfinite(x)
                out[:, j] = _signed_log1p(np.where(nan, c.median, x))
                if c.indicator:
                    out[:, j + 1] = nan
            else:
                values = s.astype(object).to_numpy()
                isna = pd.isna(values)
                text = np.where(isna, "", values.astype(str))
                known = np.zeros(len(s), dtype=bool)
                for k, level in enumerate(c.levels):
                    hit = text == level
                    out[:, j + k] = hit
                    known |= hit
                k = len(c.levels)
                if c.other:
                    out[:, j + k] = ~known & ~isna
                    k += 1
                if c.missing:
                    out[:, j + k] = isna
            j += c.width
        return out

    def transform(self, data: pd.DataFrame, order: str = "C") -> np.ndarray:
        """Standardised design matrix of ``data`` (``order="F"``: columns contiguous; same values)."""
        raw = self._raw(data, order)
        raw -= self.mean
        raw /= self.scale
        return raw

    def group_slices(self) -> list[tuple[str, slice]]:
        """The design columns of each source column."""
        out, j = [], 0
        for c in self.columns:
            out.append((c.name, slice(j, j + c.width)))
            j += c.width
        return out


def _one_standard_error_c(scores: np.ndarray, Cs: np.ndarray) -> float:
    """The strongest regularisation whose cross-validated score is within one standard error of the best.

    With a few dozen events the best C of a cross-validation is mostly noise and
    tends to overfit; the one-standard-error rule (as in glmnet's ``lambda.1se``)
    keeps the simpler model the data cannot tell apart from it.
    """
    mean = scores.mean(axis=0)
    best = int(np.argmax(mean))
    se = scores[:, best].std(ddof=1) / np.sqrt(scores.shape[0])
    ok = np.flatnonzero(mean >= mean[best] - se)
    return float(Cs[ok[np.argmin(Cs[ok])]])


class LinearPart:
    """Logistic regression on a :class:`LinearDesign`, C chosen by cross-validated log loss."""

    def __init__(self, C: float | str = "auto", max_rows: int = 200_000, cv_rows: int = 50_000,
                 min_frequency: int = 10, random_state: int = 0, max_iter: int = 1000) -> None:
        self.C, self.max_rows, self.cv_rows = C, max_rows, cv_rows
        self.min_frequency, self.random_state, self.max_iter = min_frequency, random_state, max_iter

    def _subsample(self, y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        if len(y) <= k:
            return np.arange(len(y))
        return np.sort(rng.choice(len(y), size=k, replace=False))

    def fit(self, data: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None) -> LinearPart:
        # a thin design matrix: BLAS threads only contend (15x slower on a busy 2-core machine)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(data, y, sample_weight)

    def _fit(self, data: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None) -> LinearPart:
        rng = np.random.default_rng(self.random_state)
        self.design_ = LinearDesign.learn(data, self.min_frequency)
        Z = self.design_.transform(data)
        C = self.C
        if C == "auto":
            idx = self._subsample(y, self.cv_rows, rng)
            folds = int(min(3, np.bincount(y[idx].astype(int), minlength=2).min()))
            if folds >= 2:
                cv = LogisticRegressionCV(Cs=C_GRID, cv=folds, scoring="neg_log_loss", max_iter=self.max_iter,
                                          l1_ratios=(0.0,), use_legacy_attributes=False)
                cv.fit(Z[idx], y[idx], sample_weight=None if sample_weight is None else sample_weight[idx])
                C = _one_standard_error_c(np.asarray(cv.scores_).reshape(folds, -1), np.asarray(cv.Cs_))
            else:
                C = float(C_GRID[0])
        idx = self._subsample(y, self.max_rows, rng)
        self.C_ = float(C)
        self.model_ = LogisticRegression(C=self.C_, max_iter=self.max_iter).fit(
            Z[idx], y[idx], sample_weight=None if sample_weight is None else sample_weight[idx])
        return self

    def decision_function(self, data: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="blas"):
            return self.model_.decision_function(self.design_.transform(data))

    def contributions(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per source column contributions (n, n_columns) and the bias (n,)."""
        Z = self.design_.transform(data, order="F")  # centred on the training means
        coef = self.model_.coef_.ravel()
        slices = [sl for _, sl in self.design_.group_slices()]
        contrib = np.zeros((len(data), len(slices)), order="F")
        for i, sl in enumerate(slices):
            if sl.stop - sl.start == 1:
                np.multiply(Z[:, sl.start], coef[sl.start], out=contrib[:, i])
            elif sl.stop > sl.start:
                contrib[:, i] = Z[:, sl] @ coef[sl]
        return contrib, np.full(len(data), float(self.model_.intercept_[0]))
