"""Evaluation of risk scores: ranking, calibration and lift, against baselines.

:func:`evaluate` takes the true labels and any number of named scores (the
model, a logistic regression on the same features, the AHP credit score, the
generator's true probabilities ...) and returns an :class:`EvaluationReport`:
ROC-AUC, PR-AUC, KS, Brier, log loss, lift and capture rate at the top
5/10/20%, calibration curves, and the data behind every plot of
:mod:`gridcrm.risk.plots`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score, roc_curve
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import RANDOM_STATE, Interval, Options, ValidatedParams
from gridcrm.risk._frame import FrameSchema, to_frame
from gridcrm.risk._linear import LinearPart
from gridcrm.risk.labels import check_labels

__all__ = [
    "EvaluationReport",
    "LogisticBaseline",
    "calibration_table",
    "evaluate",
    "expected_brier",
    "expected_roc_auc",
    "ks_statistic",
    "lift_table",
    "score_metrics",
]

logger = logging.getLogger(__name__)

DEFAULT_FRACTIONS: tuple[float, ...] = (0.05, 0.10, 0.20)


def _binary(y: object) -> np.ndarray:
    arr = check_labels(y).astype(float)
    if set(np.unique(arr)) != {0.0, 1.0}:
        raise ValueError(f"y must be 0/1, got classes {np.unique(arr).tolist()}")
    return arr


def _score(s: object, n: int, name: str) -> np.ndarray:
    arr = np.asarray(s, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 2:
        arr = arr[:, 1]
    if arr.shape != (n,):
        raise ValueError(f"score {name!r} has shape {arr.shape}, expected ({n},) like y")
    if not np.isfinite(arr).all():
        raise ValueError(f"score {name!r} has {int((~np.isfinite(arr)).sum())} missing or infinite value(s)")
    return arr


def ks_statistic(y: object, score: object) -> float:
    """Kolmogorov–Smirnov statistic: the largest gap between the score distributions of events and non-events.

    Examples
    --------
    >>> ks_statistic([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    1.0
    """
    fpr, tpr, _ = roc_curve(_binary(y), _score(score, len(np.asarray(y)), "score"))
    return float(np.max(tpr - fpr))


def lift_table(y: object, score: object, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> pd.DataFrame:
    """Lift and capture rate of the highest-scored rows.

    Parameters
    ----------
    y : array-like of 0/1
    score : array-like
        Higher = riskier.
    fractions : sequence of float
        Top shares of rows, e.g. 0.05 for the top 5%.

    Returns
    -------
    DataFrame
        Indexed by ``fraction``: ``rows``, ``events``, ``event_rate`` (precision),
        ``lift`` (event rate over the base rate) and ``capture_rate`` (share of
        all events caught).

    Examples
    --------
    >>> lift_table([0, 0, 0, 1], [0.1, 0.2, 0.3, 0.9], fractions=[0.25])["lift"].tolist()
    [4.0]
    """
    yy = _binary(y)
    s = _score(score, len(yy), "score")
    order = np.argsort(-s, kind="stable")
    cum = np.cumsum(yy[order])
    base = yy.mean()
    rows = []
    for f in fractions:
        if not 0 < f <= 1:
            raise ValueError(f"fractions must lie in (0, 1], got {f!r}")
        k = max(1, int(np.ceil(f * len(yy))))
        events = cum[k - 1]
        rows.append({"fraction": f, "rows": k, "events": int(events), "event_rate": events / k,
                     "lift": (events / k) / base, "capture_rate": events / yy.sum()})
    return pd.DataFrame(rows).set_index("fraction")


def calibration_table(y: object, proba: object, n_bins: int = 10, strategy: str = "quantile") -> pd.DataFrame:
    """Mean predicted probability against the observed event rate, by bin.

    Parameters
    ----------
    y : array-like of 0/1
    proba : array-like of probabilities
    n_bins : int
    strategy : {"quantile", "uniform"}
        Bins of equal size, or of equal width on [0, 1].

    Returns
    -------
    DataFrame
        One row per non-empty bin: ``rows``, ``mean_predicted``, ``observed``.

    Examples
    --------
    >>> calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], n_bins=2)["observed"].tolist()
    [0.0, 1.0]
    """
    yy = _binary(y)
    p = _score(proba, len(yy), "proba")
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
    elif strategy == "uniform":
        edges = np.linspace(0, 1, n_bins + 1)
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    bins = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, max(len(edges) - 2, 0))
    frame = pd.DataFrame({"bin": bins, "p": p, "y": yy})
    out = frame.groupby("bin").agg(rows=("y", "size"), mean_predicted=("p", "mean"), observed=("y", "mean"))
    return out


def score_metrics(y: object, score: object, probabilistic: bool = True,
                  fractions: Sequence[float] = DEFAULT_FRACTIONS) -> dict[str, float]:
    """All metrics of one score.

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc`` (average precision), ``ks``, ``brier`` and
        ``log_loss`` (NaN unless ``probabilistic``), ``base_rate``, and
        ``lift_5``/``capture_5`` ... for each fraction (in percent).

    Examples
    --------
    >>> m = score_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["roc_auc"], m["lift_20"]
    (0.75, 2.0)
    """
    yy = _binary(y)
    s = _score(score, len(yy), "score")
    out = {
        "rows": float(len(yy)),
        "base_rate": float(yy.mean()),
        "roc_auc": float(roc_auc_score(yy, s)),
        "pr_auc": float(average_precision_score(yy, s)),
        "ks": ks_statistic(yy, s),
        "brier": float(brier_score_loss(yy, s)) if probabilistic else float("nan"),
        "log_loss": float(log_loss(yy, np.clip(s, 1e-15, 1 - 1e-15))) if probabilistic else float("nan"),
    }
    lt = lift_table(yy, s, fractions)
    for f, row in lt.iterrows():
        pct = f"{100 * f:g}"
        out[f"lift_{pct}"] = float(row["lift"])
        out[f"capture_{pct}"] = float(row["capture_rate"])
    return out


@dataclass
class EvaluationReport:
    """Metrics, lift and calibration of several scores on the same labels.

    Attributes
    ----------
    metrics : DataFrame
        One row per score (see :func:`score_metrics`).
    lift : DataFrame
        Long: ``score``, ``fraction``, ``rows``, ``events``, ``event_rate``, ``lift``, ``capture_rate``.
    calibration : DataFrame
        Long: ``score``, ``bin``, ``rows``, ``mean_predicted``, ``observed`` (probabilistic scores).
    y : ndarray
        The labels.
    scores : dict of str to ndarray
        The scores (higher = riskier).
    probabilistic : list of str
        Which scores are probabilities.
    importance : DataFrame or None
        Global feature importance of the model (:func:`gridcrm.risk.explain.global_importance`).
    """

    metrics: pd.DataFrame
    lift: pd.DataFrame
    calibration: pd.DataFrame
    y: np.ndarray
    scores: dict[str, np.ndarray]
    probabilistic: list[str]
    importance: pd.DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_markdown(self, columns: Sequence[str] = ("roc_auc", "pr_auc", "ks", "brier", "lift_10", "capture_10"),
                    digits: int = 3) -> str:
        """The main metrics as a Markdown table (for the README or a run's notes)."""
        table = self.metrics[list(columns)].round(digits)
        head = "| score | " + " | ".join(columns) + " |"
        sep = "| --- |" + " --- |" * len(columns)
        lines = [head, sep]
        for name, row in table.iterrows():
            lines.append(f"| {name} | " + " | ".join("" if pd.isna(v) else f"{v:.{digits}f}" for v in row) + " |")
        return "\n".join(lines)

    def save(self, directory: str | Path, plots: bool = True) -> dict[str, Path]:
        """Write ``metrics.csv``, ``lift.csv``, ``calibration.csv`` (and the plots) to ``directory``.

        Returns
        -------
        dict of str to Path
            What was written, by name.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        for name in ("metrics", "lift", "calibration"):
            path = out / f"{name}.csv"
            getattr(self, name).to_csv(path)
            written[name] = path
        if self.importance is not None:
            written["importance"] = out / "importance.csv"
            self.importance.to_csv(written["importance"])
        if plots:
            from gridcrm.risk.plots import save_plots

            written.update(save_plots(self, out))
        return written


def evaluate(
    y: object,
    scores: Mapping[str, object],
    probabilistic: Iterable[str] | None = None,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    n_bins: int = 10,
    importance: pd.DataFrame | None = None,
) -> EvaluationReport:
    """Evaluate named scores against the same labels.

    Parameters
    ----------
    y : array-like of 0/1
        True labels.
    scores : mapping of str to array-like
        Higher = riskier. Turn a credit score (higher = safer) round first:
        ``{"credit_score": -score}``.
    probabilistic : iterable of str, optional
        Names of the scores that are probabilities (Brier, log loss and a
        calibration curve are computed for them). Default: every score whose
        values all lie in [0, 1].
    fractions : sequence of float
        Top shares for lift and capture rate.
    n_bins : int
        Bins of the calibration curves.
    importance : DataFrame, optional
        Feature importance to keep with the report (and plot).

    Returns
    -------
    EvaluationReport

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0, 0.4, 1000)
    >>> y = (rng.random(1000) < p).astype(int)
    >>> rep = evaluate(y, {"truth": p, "noise": rng.random(1000)})
    >>> bool(rep.metrics.loc["truth", "roc_auc"] > rep.metrics.loc["noise", "roc_auc"])
    True
    """
    yy = _binary(y)
    if not scores:
        raise ValueError("scores is empty; give at least one named score")
    arrays = {name: _score(s, len(yy), name) for name, s in scores.items()}
    if probabilistic is None:
        probs = [n for n, a in arrays.items() if a.min() >= 0 and a.max() <= 1]
    else:
        probs = list(probabilistic)
        unknown = sorted(set(probs) - set(arrays))
        if unknown:
            raise ValueError(f"probabilistic names {unknown} are not among the scores {list(arrays)}")
    metrics = pd.DataFrame({n: score_metrics(yy, a, n in probs, fractions) for n, a in arrays.items()}).T
    metrics.index.name = "score"
    lifts = pd.concat({n: lift_table(yy, a, fractions) for n, a in arrays.items()}, names=["score"]).reset_index()
    cals = [calibration_table(yy, arrays[n], n_bins).reset_index().assign(score=n) for n in probs]
    calibration = (pd.concat(cals, ignore_index=True) if cals
                   else pd.DataFrame(columns=["bin", "rows", "mean_predicted", "observed", "score"]))
    return EvaluationReport(metrics, lifts, calibration, yy, arrays, probs, importance)


class LogisticBaseline(ValidatedParams, ClassifierMixin, BaseEstimator):
    """Logistic regression on the same frame as the risk model: the baseline to beat.

    Numeric columns: median imputation plus a missing-value indicator, signed
    ``log1p`` (amounts span orders of magnitude across customer classes) and
    standardisation. Categorical columns: one indicator per level seen at least
    ``min_frequency`` times, one for the rare and unseen levels, one for
    missing. L2 penalty of strength ``1 / C``. The same linear model is the
    base that :class:`~gridcrm.risk.RiskClassifier` boosts from.

    Parameters
    ----------
    C : float or "auto"
        Inverse regularisation strength. "auto" picks it from
        ``10**-3 .. 10**1`` by 3-fold cross-validated log loss (on at most
        50,000 rows) with the one-standard-error rule: with 1,000 rows and
        ``C=1`` the baseline overfits the indicator columns.
    max_rows : int
        The final fit uses at most this many rows (a random draw).
    min_frequency : int
        Categories seen fewer times are pooled.
    random_state : int or None, default=0
        Seed of the row draws. None: not seeded, results vary from run to run;
        an int: reproducible.

    Attributes
    ----------
    C_ : float
        The regularisation used.
    classes_ : ndarray
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": [0.0, 1, 2, 3, np.nan, 5], "c": list("xyxyxy")})
    >>> LogisticBaseline().fit(X, [0, 0, 0, 1, 1, 1]).predict_proba(X).shape
    (6, 2)
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "C": [Interval(Real, 0, None, closed="neither"), Options({"auto"})],
        "max_rows": [Interval(Integral, 1, None, closed="left")],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "random_state": RANDOM_STATE,
    }

    def __init__(self, *, C: float | str = "auto", max_rows: int = 200_000, min_frequency: int = 10,
                 random_state: int | None = 0) -> None:
        self.C = C
        self.max_rows = max_rows
        self.min_frequency = min_frequency
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: object) -> LogisticBaseline:
        """Fit the model; returns self."""
        self._validate_params()
        frame = to_frame(X)
        self._schema = FrameSchema.learn(frame, from_dataframe=isinstance(X, pd.DataFrame))
        data = self._schema.apply(frame, handle_unknown="ignore")
        yy = check_labels(y)
        if len(yy) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(yy)}")
        self.classes_ = np.unique(yy)
        self.n_features_in_ = frame.shape[1]
        self.linear_ = LinearPart(C=self.C, max_rows=self.max_rows, min_frequency=self.min_frequency,
                                  random_state=self.random_state).fit(data, (yy == self.classes_[1]).astype(int))
        self.C_ = self.linear_.C_
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probabilities of both classes."""
        check_is_fitted(self, "linear_")
        z = self.linear_.decision_function(self._schema.apply(to_frame(X), handle_unknown="ignore",
                                                              owner=type(self).__name__))
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Most likely class."""
        proba = self.predict_proba(X)[:, 1]
        return self.classes_[(proba >= 0.5).astype(int)]


def expected_roc_auc(p_true: object, score: object) -> float:
    """ROC-AUC that ``score`` has in expectation when outcomes are drawn from ``p_true``.

    With known event probabilities (a simulation's ground truth) a score can be
    judged without realised labels, and without their sampling noise: every
    pair (i, j) counts with weight ``p_i (1 - p_j)``, ties half. Ranking by
    ``p_true`` itself gives the best achievable value (the oracle's).

    Parameters
    ----------
    p_true : array-like of probabilities
    score : array-like, higher = riskier

    Returns
    -------
    float

    Examples
    --------
    >>> expected_roc_auc([0.0, 1.0], [0.2, 0.9]), expected_roc_auc([0.0, 1.0], [0.9, 0.2])
    (1.0, 0.0)
    """
    p = np.asarray(p_true, dtype=np.float64)
    s = _score(score, len(p), "score")
    if p.ndim != 1 or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_true must be one probability in [0, 1] per row, without NaN")
    order = np.argsort(s, kind="stable")
    s, p = s[order], p[order]
    uniq, start = np.unique(s, return_index=True)
    neg_tie = np.add.reduceat(1.0 - p, start)
    pos_tie = np.add.reduceat(p, start)
    neg_below = np.concatenate([[0.0], np.cumsum(neg_tie)[:-1]])
    # pairs within a tie group: p_i (1 - p_j) for i != j, counted half
    self_pairs = np.add.reduceat(p * (1.0 - p), start)
    concordant = np.sum(pos_tie * neg_below) + 0.5 * np.sum(pos_tie * neg_tie - self_pairs)
    total = p.sum() * (1.0 - p).sum() - np.sum(p * (1.0 - p))
    if total <= 0:
        raise ValueError("p_true gives no chance of both an event and a non-event; the AUC is undefined")
    return float(concordant / total)


def expected_brier(p_true: object, proba: object) -> float:
    """Brier score that ``proba`` has in expectation when outcomes are drawn from ``p_true``.

    ``mean((proba - p_true)²) + mean(p_true (1 - p_true))``; the oracle
    (``proba = p_true``) scores the second term alone.

    Examples
    --------
    >>> round(expected_brier([0.5, 0.5], [0.5, 0.5]), 3)
    0.25
    """
    p = np.asarray(p_true, dtype=np.float64)
    q = _score(proba, len(p), "proba")
    return float(np.mean((q - p) ** 2) + np.mean(p * (1.0 - p)))
