"""Probability calibration of a fitted risk model on held-out data.

Isotonic regression (a monotone step function, flexible, needs a few hundred
events) or sigmoid (Platt: a logistic regression on the log-odds, two
parameters, safe on little data). With ``method="auto"`` both, and leaving
the probabilities as they are, are scored by k-fold cross-validated Brier
score on the held-out predictions, and the simplest candidate (none, then
sigmoid, then isotonic) within one standard error of the best is kept: a
validation snapshot holds a few hundred events, and a calibrator fitted to
their noise makes the test Brier score worse, not better.
"""

from __future__ import annotations

import logging
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import RANDOM_STATE, Interval, Options, ValidatedParams
from gridcrm.risk.labels import check_labels

__all__ = ["ProbabilityCalibrator"]

logger = logging.getLogger(__name__)

_EPS = 1e-6
#: Candidates of method="auto", fewest parameters first.
_SIMPLEST_FIRST: tuple[str, ...] = ("none", "sigmoid", "isotonic")


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q)).reshape(-1, 1)


def _fit_one(method: str, p: np.ndarray, y: np.ndarray) -> object:
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    if method == "sigmoid":
        return LogisticRegression(C=1e6).fit(_logit(p), y)
    return None


def _apply(method: str, model: object, p: np.ndarray) -> np.ndarray:
    if method == "isotonic":
        return np.clip(model.predict(p), 0.0, 1.0)  # type: ignore[union-attr]
    if method == "sigmoid":
        return model.predict_proba(_logit(p))[:, 1]  # type: ignore[union-attr]
    return p


class ProbabilityCalibrator(ValidatedParams, BaseEstimator):
    """Map raw probabilities to calibrated ones, the method chosen on held-out data.

    Parameters
    ----------
    method : {"auto", "isotonic", "sigmoid", "none"}
        "auto" compares no calibration, sigmoid and isotonic by cross-validated
        Brier score and keeps the simplest within one standard error of the best.
    cv : int
        Folds of that comparison.
    random_state : int or None, default=0
        Seed of the folds. None: not seeded, results vary from run to run; an
        int: reproducible.

    Attributes
    ----------
    method_ : str
        The method used.
    cv_brier_ : dict of str to float
        Cross-validated Brier score of each candidate (auto only).
    brier_before_, brier_after_ : float
        Brier score on the fitting data before calibration, and cross-validated
        after (in-sample for an explicit method).
    n_samples_, n_positive_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> true = rng.uniform(0, 0.5, 2000)
    >>> y = (rng.random(2000) < true).astype(int)
    >>> raw = np.sqrt(true)          # ranks right, probabilities too high
    >>> cal = ProbabilityCalibrator().fit(raw, y)
    >>> cal.method_ in ("isotonic", "sigmoid"), bool(cal.brier_after_ < cal.brier_before_)
    (True, True)
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "method": [Options({"auto", "isotonic", "sigmoid", "none"})],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "random_state": RANDOM_STATE,
    }

    def __init__(self, *, method: str = "auto", cv: int = 5, random_state: int | None = 0) -> None:
        self.method = method
        self.cv = cv
        self.random_state = random_state

    def fit(self, proba: np.ndarray, y: np.ndarray) -> ProbabilityCalibrator:
        """Fit on raw probabilities of the positive class and the true labels.

        Parameters
        ----------
        proba : array-like of shape (n_samples,)
            Raw probabilities in [0, 1].
        y : array-like of shape (n_samples,)
            0/1 labels.

        Returns
        -------
        self
        """
        self._validate_params()
        p = self._check_proba(proba)
        target = check_labels(y).astype(int)
        if len(target) != len(p):
            raise ValueError(f"proba has {len(p)} values but y has {len(target)}")
        if set(np.unique(target)) != {0, 1}:
            raise ValueError(f"y must be 0/1 for calibration, got classes {np.unique(target).tolist()}")
        self.n_samples_, self.n_positive_ = len(target), int(target.sum())
        self.brier_before_ = float(brier_score_loss(target, p))
        if self.method == "auto":
            self.cv_brier_, self.method_ = self._cross_validate(p, target)
            self.brier_after_ = self.cv_brier_[self.method_]
        else:
            self.method_ = self.method
        self.model_ = _fit_one(self.method_, p, target)
        if self.method != "auto":
            self.brier_after_ = float(brier_score_loss(target, _apply(self.method_, self.model_, p)))
        logger.info("calibration: %s, Brier %.5f -> %.5f on %d rows", self.method_, self.brier_before_,
                    self.brier_after_, len(target))
        return self

    def _cross_validate(self, p: np.ndarray, y: np.ndarray) -> tuple[dict[str, float], str]:
        """Cross-validated Brier score of each candidate, and the simplest one within a standard error of the best."""
        folds = min(self.cv, int(y.sum()), int(len(y) - y.sum()))
        if folds < 2:
            logger.info("too few events to compare calibration methods; using sigmoid")
            return {"sigmoid": float("nan")}, "sigmoid"
        oof = {m: np.empty_like(p) for m in _SIMPLEST_FIRST}
        skf = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        for fit_idx, val_idx in skf.split(p.reshape(-1, 1), y):
            for m in oof:
                oof[m][val_idx] = _apply(m, _fit_one(m, p[fit_idx], y[fit_idx]), p[val_idx])
        loss = {m: (q - y) ** 2 for m, q in oof.items()}
        scores = {m: float(v.mean()) for m, v in loss.items()}
        best = min(scores, key=scores.__getitem__)
        for m in _SIMPLEST_FIRST:  # a held-out set of a few hundred events is noisy: prefer fewer parameters
            if m == best:
                break
            diff = loss[m] - loss[best]
            if diff.mean() <= diff.std(ddof=1) / np.sqrt(len(diff)):
                return scores, m
        return scores, best

    @staticmethod
    def _check_proba(proba: object) -> np.ndarray:
        p = np.asarray(proba, dtype=np.float64)
        if p.ndim == 2 and p.shape[1] == 2:
            p = p[:, 1]
        if p.ndim != 1:
            raise ValueError(f"proba must be one value per row (or predict_proba's two columns), got shape {p.shape}")
        if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
            raise ValueError("proba must hold probabilities in [0, 1] without NaN")
        return p

    def transform(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of the positive class."""
        check_is_fitted(self, "method_")
        return _apply(self.method_, self.model_, self._check_proba(proba))

    predict = transform
