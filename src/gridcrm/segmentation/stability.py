"""How stable are the segments? Agreement across seeds and bootstrap resamples.

Segments are only worth a service rule if they come back when the data are
drawn again. Two checks, on a sample of the customers:

* **seeds** — refit with other random initialisations: adjusted Rand index
  (ARI) between each refit's labels and the fitted segments;
* **bootstrap** — refit on resamples (with replacement) of the customers and
  label every sampled customer with the refit: ARI against the fitted
  segments, and for each segment the Jaccard similarity to the refit cluster
  that matches it best (Hennig's clusterwise stability: below 0.5 a segment
  has "dissolved", above 0.75 it is a real pattern).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score
from sklearn.utils import check_random_state

from gridcrm.segmentation._kmeans import fit_kmeans, nearest_center, parallel_map, sample_rows, seeds

__all__ = ["StabilityReport", "assess_stability", "DISSOLVED_JACCARD"]

#: Mean bootstrap Jaccard below which a segment is said to have dissolved.
DISSOLVED_JACCARD = 0.5


@dataclass(frozen=True)
class StabilityReport:
    """Agreement of refits with the fitted segments.

    Attributes
    ----------
    ari_seeds : ndarray
        ARI of each refit with another seed.
    ari_bootstrap : ndarray
        ARI of each refit on a bootstrap resample.
    segment_jaccard : Series
        Per segment, mean Jaccard similarity to its best-matching cluster
        over the bootstrap refits.
    threshold : float
        Mean ARI below which the segments are called unstable.
    n_rows : int
        Customers in the sample the refits were made on.
    """

    ari_seeds: np.ndarray
    ari_bootstrap: np.ndarray
    segment_jaccard: pd.Series
    threshold: float
    n_rows: int

    @property
    def mean_ari(self) -> float:
        """Mean ARI over all refits."""
        both = np.concatenate([self.ari_seeds, self.ari_bootstrap])
        return float(both.mean()) if both.size else float("nan")

    @property
    def dissolved_segments(self) -> list[int]:
        """Segments whose mean bootstrap Jaccard is below :data:`DISSOLVED_JACCARD`."""
        return [int(s) for s in self.segment_jaccard.index[self.segment_jaccard < DISSOLVED_JACCARD]]

    @property
    def is_stable(self) -> bool:
        """Mean ARI at least ``threshold`` and no dissolved segment."""
        return bool(self.mean_ari >= self.threshold and not self.dissolved_segments)

    def summary(self) -> str:
        """One line for logs and warnings."""
        parts = [
            f"mean ARI {self.mean_ari:.2f} (seeds {_range(self.ari_seeds)}, bootstrap {_range(self.ari_bootstrap)})",
            f"segment Jaccard {_range(self.segment_jaccard.to_numpy())}",
        ]
        if self.dissolved_segments:
            parts.append(f"dissolved segments {self.dissolved_segments}")
        return "; ".join(parts) + f"; {self.n_rows} customers"

    def to_frame(self) -> pd.DataFrame:
        """One row per refit: ``kind`` (seed or bootstrap), ``run`` and ``ari``."""
        return pd.DataFrame(
            {
                "kind": ["seed"] * len(self.ari_seeds) + ["bootstrap"] * len(self.ari_bootstrap),
                "run": list(range(len(self.ari_seeds))) + list(range(len(self.ari_bootstrap))),
                "ari": np.concatenate([self.ari_seeds, self.ari_bootstrap]),
            }
        )


def _range(values: np.ndarray) -> str:
    return "n/a" if len(values) == 0 else f"{np.min(values):.2f}–{np.max(values):.2f}"


def assess_stability(
    Z: np.ndarray,
    centers: np.ndarray,
    *,
    n_runs: int = 5,
    n_init: int = 4,
    random_state: int | np.random.RandomState | None = None,
    sample_size: int | None = 20_000,
    minibatch_threshold: int = 100_000,
    threshold: float = 0.75,
    n_jobs: int | None = None,
) -> StabilityReport:
    """Refit k-means ``n_runs`` times with other seeds and ``n_runs`` times on bootstrap resamples.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Data as the segments were fitted on (preprocessed).
    centers : ndarray of shape (n_clusters, n_features)
        The fitted centres; the reference labels are each row's nearest centre.
    n_runs : int, default=5
        Refits of each kind.
    n_init : int, default=4
        Initialisations per refit.
    random_state : int, RandomState or None
    sample_size : int or None, default=20_000
        Customers (rows) drawn once, on which all refits are made.
    minibatch_threshold : int, default=100_000
    threshold : float, default=0.75
        Mean ARI below which :attr:`StabilityReport.is_stable` is False.
    n_jobs : int or None, default=None
        Refits run side by side (threads); ``None``: 1, ``-1``: all cores.

    Returns
    -------
    StabilityReport

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Z = np.vstack([rng.normal(c, 0.3, size=(60, 2)) for c in (0, 4)])
    >>> report = assess_stability(Z, np.array([[0.0, 0.0], [4.0, 4.0]]), n_runs=2, random_state=0)
    >>> report.is_stable, round(report.mean_ari, 2)
    (True, 1.0)
    """
    rng = check_random_state(random_state)
    k = centers.shape[0]
    rows = sample_rows(Z.shape[0], sample_size, seeds(rng, 1)[0])
    Zs = Z if rows is None else Z[rows]
    m = Zs.shape[0]
    ref, _ = nearest_center(Zs, centers)

    def refit(job: tuple[str, int]) -> np.ndarray:
        kind, seed = job
        if kind == "seed":
            return fit_kmeans(Zs, k, seed=seed, n_init=n_init, minibatch_threshold=minibatch_threshold).labels
        idx = np.random.default_rng(seed).integers(0, m, size=m)
        boot = fit_kmeans(Zs[idx], k, seed=seed, n_init=n_init, minibatch_threshold=minibatch_threshold)
        return nearest_center(Zs, boot.centers)[0]

    jobs = [("seed", s) for s in seeds(rng, n_runs)] + [("bootstrap", s) for s in seeds(rng, n_runs)]
    labels = parallel_map(refit, jobs, n_jobs)
    ari_seeds = [adjusted_rand_score(ref, lab) for lab in labels[:n_runs]]
    ari_boot = [adjusted_rand_score(ref, lab) for lab in labels[n_runs:]]
    jaccards = [_best_jaccard(ref, lab, k) for lab in labels[n_runs:]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        jac = np.nanmean(jaccards, axis=0) if jaccards else np.full(k, np.nan)
    return StabilityReport(
        ari_seeds=np.asarray(ari_seeds, dtype=float),
        ari_bootstrap=np.asarray(ari_boot, dtype=float),
        segment_jaccard=pd.Series(jac, index=pd.RangeIndex(k, name="segment"), name="jaccard"),
        threshold=threshold,
        n_rows=m,
    )


def _best_jaccard(ref: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """For each reference cluster, the highest Jaccard similarity with a cluster of ``other``."""
    k_other = int(other.max()) + 1
    both = np.bincount(ref * k_other + other, minlength=k * k_other).reshape(k, k_other).astype(float)
    size_ref = both.sum(axis=1, keepdims=True)
    size_other = both.sum(axis=0, keepdims=True)
    union = size_ref + size_other - both
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, both / union, 0.0)
    best = jac.max(axis=1)
    best[size_ref[:, 0] == 0] = np.nan  # a segment absent from the sample cannot be judged
    return best
