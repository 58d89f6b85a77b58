"""Choosing the number of clusters k.

Every k of a range is fitted once and scored four ways:

* **silhouette** (higher is better) — how much closer each customer is to its
  own segment than to the next one; computed on a random sample of rows for
  large n, since it costs n² distances;
* **Calinski–Harabasz** (higher is better) — between- over within-segment
  dispersion, each per degree of freedom;
* **Davies–Bouldin** (lower is better) — mean similarity of each segment to
  its most similar other segment;
* **elbow** — the k after which the within-segment sum of squares (inertia)
  stops falling fast, found as the point of the inertia curve farthest from
  the chord joining its ends (the "kneedle" rule).

Each criterion names its best k; by default the k named most often wins and
ties go to the best silhouette.

On skewed utility data these criteria favour k = 2 (the big customers against
the rest). ``k_selection="stability"`` serves segments one acts on instead: every
k is also refitted across seeds and bootstrap resamples, and the **largest k whose
segments come back** (mean adjusted Rand index at least ``stability_threshold``, and
every segment's bootstrap Jaccard at least :data:`SEGMENT_JACCARD`: two halves of one
group do not come back) **and whose smallest segment is actionable** (at least ``min_segment_share`` of the
customers, and at least :data:`MIN_SEGMENT_SIZE` of them) wins; without such a k,
the most stable k whose segments are large enough, else the smallest k.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from gridcrm.segmentation._kmeans import KMeansFit, fit_all, fit_kmeans, n_threads, parallel_map, sample_rows, seeds
from gridcrm.segmentation.errors import SegmentationInputError

__all__ = ["CRITERIA", "K_SELECTION_METHODS", "score_k_range", "choose_k", "choose_stable_k", "elbow_k"]

logger = logging.getLogger(__name__)

#: The criteria scored for each k, as named in the score table and in the votes.
CRITERIA: tuple[str, ...] = ("silhouette", "calinski_harabasz", "davies_bouldin", "elbow")
#: Values of ``k_selection``: one criterion, ``"vote"`` among all four, or ``"stability"``.
K_SELECTION_METHODS: frozenset[str] = frozenset({*CRITERIA, "vote", "stability"})
#: Bootstrap Jaccard similarity every segment of a k needs under ``k_selection="stability"`` (see choose_stable_k).
SEGMENT_JACCARD = 0.8
#: Customers the smallest segment needs under ``k_selection="stability"`` (besides ``min_segment_share``).
MIN_SEGMENT_SIZE = 20
#: Customers on which the refits of ``k_selection="stability"`` are made, per k.
K_STABILITY_SAMPLE = 5_000


def score_k_range(
    Z: np.ndarray,
    k_range: tuple[int, int] = (2, 12),
    *,
    n_init: int = 4,
    random_state: int | np.random.RandomState | None = None,
    minibatch_threshold: int = 100_000,
    silhouette_sample_size: int | None = 4_000,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Fit k-means for every k in ``k_range`` and score each fit.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_features)
        Data ready for k-means (scaled, no NaN), e.g. the output of
        :class:`SegmentationPreprocessor`.
    k_range : (int, int), default=(2, 12)
        Smallest and largest k, both included; ``2 <= k_min <= k_max < n_samples``.
    n_init : int, default=4
        Initialisations per k.
    random_state : int, RandomState or None
        Seed of the initialisations and of the silhouette sample.
    minibatch_threshold : int, default=100_000
        Above this many rows, ``MiniBatchKMeans`` is used.
    silhouette_sample_size : int or None, default=4000
        Rows on which the silhouette is computed (the same rows for every k);
        ``None``: all rows.
    n_jobs : int or None, default=None
        Values of k fitted side by side (threads); ``None``: 1, ``-1``: all cores.

    Returns
    -------
    DataFrame
        Indexed by ``k``, with columns ``inertia``, ``silhouette``,
        ``calinski_harabasz`` and ``davies_bouldin`` (NaN where a fit found
        fewer than two distinct segments).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Z = np.vstack([rng.normal(c, 0.3, size=(50, 2)) for c in (0, 3, 6)])
    >>> scores = score_k_range(Z, (2, 5), random_state=0)
    >>> choose_k(scores)[0]
    3
    """
    table, _ = scan_k(
        Z,
        k_range,
        n_init=n_init,
        random_state=random_state,
        minibatch_threshold=minibatch_threshold,
        silhouette_sample_size=silhouette_sample_size,
        n_jobs=n_jobs,
    )
    return table


def scan_k(
    Z: np.ndarray,
    k_range: tuple[int, int],
    *,
    n_init: int,
    random_state: int | np.random.RandomState | None,
    minibatch_threshold: int,
    silhouette_sample_size: int | None,
    n_jobs: int | None = None,
    log_level: int = logging.DEBUG,
) -> tuple[pd.DataFrame, dict[int, KMeansFit]]:
    """:func:`score_k_range`, also returning the fit of each k (to reuse the chosen one)."""
    k_min, k_max = check_k_range(k_range, Z.shape[0])
    rng = check_random_state(random_state)
    fit_seeds = seeds(rng, k_max - k_min + 1)
    sil_rows = sample_rows(Z.shape[0], silhouette_sample_size, seeds(rng, 1)[0])

    def one_k(job: tuple[int, int]) -> tuple[KMeansFit, dict[str, float]]:
        k, seed = job
        fit = fit_kmeans(Z, k, n_init=n_init, seed=seed, minibatch_threshold=minibatch_threshold)
        return fit, {"k": k, "inertia": fit.inertia, **_scores(Z, fit.labels, sil_rows)}

    results = parallel_map(one_k, zip(range(k_min, k_max + 1), fit_seeds, strict=True), n_jobs)
    for _, row in results:
        logger.log(log_level, "k=%d: %s", row["k"], {key: round(v, 4) for key, v in row.items() if key != "k"})
    table = pd.DataFrame([row for _, row in results]).set_index("k")
    return table, {int(row["k"]): fit for fit, row in results}


def _scores(Z: np.ndarray, labels: np.ndarray, sil_rows: np.ndarray | None) -> dict[str, float]:
    nan = {"silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
    if np.unique(labels).size < 2:
        return nan
    Zs, ls = (Z, labels) if sil_rows is None else (Z[sil_rows], labels[sil_rows])
    n_sil = np.unique(ls).size
    with np.errstate(all="ignore"):
        return {
            "silhouette": float(silhouette_score(Zs, ls)) if 2 <= n_sil < len(ls) else np.nan,
            "calinski_harabasz": float(calinski_harabasz_score(Z, labels)),
            "davies_bouldin": float(davies_bouldin_score(Z, labels)),
        }


def check_k_range(k_range: object, n_samples: int) -> tuple[int, int]:
    """``k_range`` as ``(k_min, k_max)``, its top lowered to ``n_samples - 1``; a clear error if impossible."""
    ok = (
        isinstance(k_range, (tuple, list))
        and len(k_range) == 2
        and all(isinstance(k, Integral) and not isinstance(k, bool) for k in k_range)
        and 2 <= k_range[0] <= k_range[1]
    )
    if not ok:
        raise SegmentationInputError(f"k_range must be two whole numbers (k_min, k_max) with 2 <= k_min <= k_max, "
                                     f"got {k_range!r}")
    k_min, k_max = int(k_range[0]), int(k_range[1])
    if n_samples < k_min + 1:
        raise SegmentationInputError(
            f"choosing k in {k_min}..{k_max} needs at least {k_min + 1} rows (customers), X has n_samples={n_samples}; "
            "pass more rows or a fixed n_clusters"
        )
    if k_max > n_samples - 1:
        logger.info("k_range capped at %d: X has only %d rows", n_samples - 1, n_samples)
        k_max = n_samples - 1
    return k_min, k_max


def elbow_k(ks: np.ndarray, inertia: np.ndarray) -> int:
    """The k at the elbow of the inertia curve: the point farthest below the chord joining its ends.

    Examples
    --------
    >>> elbow_k(np.array([1, 2, 3, 4, 5, 6]), np.array([100.0, 40.0, 12.0, 10.0, 9.0, 8.5]))
    3
    """
    ks = np.asarray(ks, dtype=float)
    y = np.asarray(inertia, dtype=float)
    if ks.size < 3 or np.ptp(y) == 0:
        return int(ks[0])
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    yn = (y - y.min()) / np.ptp(y)
    chord = yn[0] + (yn[-1] - yn[0]) * x
    return int(ks[int(np.argmax(chord - yn))])


def choose_k(scores: pd.DataFrame, method: str = "vote") -> tuple[int, dict[str, int]]:
    """Pick k from a table of :func:`score_k_range`.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`score_k_range`.
    method : {"vote", "silhouette", "calinski_harabasz", "davies_bouldin", "elbow"}
        ``"vote"``: the k that most criteria find best, ties going to the
        higher silhouette; otherwise the best k of that criterion.

    Returns
    -------
    k : int
    votes : dict of str to int
        Best k of each criterion.
    """
    if method not in K_SELECTION_METHODS:
        raise SegmentationInputError(f"k_selection must be one of {sorted(K_SELECTION_METHODS)}, got {method!r}")
    if method == "stability":
        raise SegmentationInputError("k_selection='stability' needs the stability of each k: use choose_stable_k")
    valid = scores.dropna(subset=["silhouette", "calinski_harabasz", "davies_bouldin"])
    if valid.empty:
        return int(scores.index[0]), {}
    votes = {
        "silhouette": int(valid["silhouette"].idxmax()),
        "calinski_harabasz": int(valid["calinski_harabasz"].idxmax()),
        "davies_bouldin": int(valid["davies_bouldin"].idxmin()),
        "elbow": elbow_k(scores.index.to_numpy(), scores["inertia"].to_numpy()),
    }
    if method != "vote":
        return votes[method], votes
    counts = pd.Series(list(votes.values())).value_counts()
    tied = counts.index[counts == counts.max()]
    return int(valid["silhouette"].reindex(tied).fillna(-np.inf).idxmax()), votes


def stability_by_k(
    Z: np.ndarray,
    fits: dict[int, KMeansFit],
    *,
    n_runs: int,
    n_init: int,
    seed: int,
    minibatch_threshold: int,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Per k: ``stability`` (mean ARI of refits across seeds and bootstraps) and ``min_share`` (smallest segment)."""
    from gridcrm.segmentation.stability import assess_stability  # stability imports this module's helpers

    rows = []
    for k, seed_k in zip(sorted(fits), seeds(check_random_state(seed), len(fits)), strict=True):
        fit = fits[k]
        report = assess_stability(Z, fit.centers, n_runs=n_runs, n_init=n_init, random_state=seed_k,
                                  sample_size=K_STABILITY_SAMPLE, minibatch_threshold=minibatch_threshold,
                                  n_jobs=n_jobs)
        share = np.bincount(fit.labels, minlength=k) / max(len(fit.labels), 1)
        rows.append({"k": k, "stability": report.mean_ari, "min_jaccard": float(report.segment_jaccard.min()),
                     "min_share": float(share.min())})
    return pd.DataFrame(rows).set_index("k")


def choose_stable_k(scores: pd.DataFrame, threshold: float = 0.8, min_share: float = 0.03,
                    min_jaccard: float = SEGMENT_JACCARD) -> int:
    """The largest k whose segments are stable and none too small; else the most stable k with none too small.

    Parameters
    ----------
    scores : DataFrame
        Indexed by k, with ``stability`` (mean ARI across refits), ``min_share``
        (share of the customers in the smallest segment) and, optionally,
        ``min_jaccard`` (the least stable segment's mean bootstrap Jaccard).
    threshold : float, default=0.8
        Stability a k needs.
    min_share : float, default=0.03
        Share of the customers the smallest segment needs.
    min_jaccard : float, default=0.8
        Bootstrap Jaccard every segment needs (Hennig: above 0.75 a cluster is
        valid, above 0.85 highly stable): a k that splits one group in two has a
        mean ARI that can look fine, but the halves do not come back. 0.8 rather
        than 0.75: on the generator's homes, a k one too large passed 0.75 by noise.

    Returns
    -------
    int

    Examples
    --------
    >>> scores = pd.DataFrame({"stability": [0.99, 0.97, 0.9, 0.6], "min_share": [0.4, 0.1, 0.05, 0.04]},
    ...                       index=pd.Index([2, 3, 4, 5], name="k"))
    >>> choose_stable_k(scores), choose_stable_k(scores, min_share=0.08), choose_stable_k(scores, threshold=1.0)
    (4, 3, 2)
    >>> choose_stable_k(scores, threshold=1.0, min_share=0.5)  # no k keeps every segment that large: the smallest k
    2
    """
    ok = (scores["stability"] >= threshold) & (scores["min_share"] >= min_share)
    if "min_jaccard" in scores:
        ok &= scores["min_jaccard"] >= min_jaccard
    if ok.any():
        return int(scores.index[ok.to_numpy()].max())
    big_enough = scores["min_share"] >= min_share
    if not big_enough.any():
        return int(scores.index.min())
    return int(scores.loc[big_enough, "stability"].fillna(-np.inf).idxmax())


@dataclass
class Clustering:
    """What :func:`cluster` found: k, the fit on all rows, and (when k was chosen) the scores and votes."""

    k: int
    fit: KMeansFit
    scores: pd.DataFrame | None
    votes: dict[str, int] | None


def cluster(Z: np.ndarray, params: Any, random_state: np.random.RandomState, log_level: int) -> Clustering:
    """The estimators' common path: choose k on a sample (if ``params.n_clusters == "auto"``), fit on all rows.

    ``params`` is the estimator, read for ``n_clusters``, ``k_range``,
    ``k_selection``, ``n_init``, ``minibatch_threshold``,
    ``selection_sample_size``, ``silhouette_sample_size`` and ``n_jobs`` (and, for
    ``k_selection="stability"``, ``stability_runs``, ``stability_threshold`` and
    ``min_segment_share`` where it has them).
    """
    sample_seed, scan_seed, fit_seed = seeds(random_state, 3)
    rows = sample_rows(Z.shape[0], params.selection_sample_size, sample_seed)
    scores, votes, sample_fit = None, None, None
    if params.n_clusters == "auto":
        scores, fits = scan_k(
            Z if rows is None else Z[rows],
            params.k_range,
            n_init=params.n_init,
            random_state=scan_seed,
            minibatch_threshold=params.minibatch_threshold,
            silhouette_sample_size=params.silhouette_sample_size,
            n_jobs=params.n_jobs,
            log_level=log_level,
        )
        if params.k_selection == "stability":
            Zs = Z if rows is None else Z[rows]
            scores = scores.join(stability_by_k(
                Zs, fits, n_runs=max(int(getattr(params, "stability_runs", 3)), 2), n_init=min(int(params.n_init), 2),
                seed=seeds(random_state, 1)[0], minibatch_threshold=params.minibatch_threshold, n_jobs=params.n_jobs,
            ))  # fmt: skip
            # an actionable segment is a share of the customers, and never a handful of them
            min_share = max(getattr(params, "min_segment_share", 0.03), MIN_SEGMENT_SIZE / Zs.shape[0])
            k = choose_stable_k(scores, getattr(params, "stability_threshold", 0.8), min_share)
            votes = choose_k(scores)[1] | {"stability": k}
        else:
            k, votes = choose_k(scores, params.k_selection)
        sample_fit = fits[k]
        logger.log(log_level, "chose k=%d (%s; best k by criterion: %s)", k, params.k_selection, votes)
    else:
        k = int(params.n_clusters)
    with threadpool_limits(limits=n_threads(params.n_jobs)):
        fit = fit_all(
            Z, k, rows=rows, sample_fit=sample_fit, n_init=params.n_init, seed=fit_seed,
            minibatch_threshold=params.minibatch_threshold,
        )  # fmt: skip
    logger.log(log_level, "fitted %s with k=%d: sizes %s", fit.algorithm, k, np.bincount(fit.labels, minlength=k))
    return Clustering(k=k, fit=fit, scores=scores, votes=votes)
