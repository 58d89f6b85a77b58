"""The k-means core shared by the customer segmenter and the load-shape clusterer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import pairwise_distances_argmin_min
from threadpoolctl import threadpool_limits

__all__ = ["KMeansFit", "fit_kmeans", "fit_all", "nearest_center", "sample_rows", "seeds", "parallel_map", "n_threads"]

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger(__name__)

#: Rows per mini-batch of MiniBatchKMeans: large batches use both cores' BLAS well.
BATCH_SIZE = 4096


@dataclass
class KMeansFit:
    """Result of one k-means fit, clusters numbered by decreasing size."""

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    algorithm: str


def seeds(random_state: np.random.RandomState, n: int) -> list[int]:
    """``n`` integer seeds drawn from ``random_state`` (reproducible sub-streams)."""
    return [int(s) for s in random_state.randint(np.iinfo(np.int32).max, size=n)]


def sample_rows(n: int, size: int | None, seed: int) -> np.ndarray | None:
    """Sorted positions of a random sample of ``size`` of ``n`` rows; ``None`` when all rows are used."""
    if size is None or n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def fit_kmeans(
    Z: np.ndarray,
    n_clusters: int,
    *,
    n_init: int,
    seed: int,
    minibatch_threshold: int,
    init: np.ndarray | None = None,
    max_iter: int = 300,
) -> KMeansFit:
    """Fit k-means on ``Z`` with ``KMeans``, or ``MiniBatchKMeans`` above ``minibatch_threshold`` rows.

    ``init``: start from these centres (one run) instead of ``n_init``
    k-means++ initialisations. Clusters are renumbered by decreasing size, so
    that results read the same whatever order the initialisation found them in.
    """
    n = Z.shape[0]
    start = {"init": "k-means++", "n_init": n_init} if init is None else {"init": init, "n_init": 1}
    if n > minibatch_threshold:
        model = MiniBatchKMeans(
            n_clusters=n_clusters,
            random_state=seed,
            batch_size=min(BATCH_SIZE, n),
            max_iter=max_iter,
            **start,
        )
        algorithm = "minibatch"
    else:
        model = KMeans(n_clusters=n_clusters, random_state=seed, max_iter=max_iter, **start)
        algorithm = "kmeans"
    model.fit(Z)
    centers, labels = _by_size(model.cluster_centers_, model.labels_.astype(np.int64), n_clusters)
    return KMeansFit(centers, labels, float(model.inertia_), int(model.n_iter_), algorithm)


def fit_all(
    Z: np.ndarray,
    n_clusters: int,
    *,
    rows: np.ndarray | None,
    sample_fit: KMeansFit | None,
    n_init: int,
    seed: int,
    minibatch_threshold: int,
) -> KMeansFit:
    """Fit k-means on all rows of ``Z``: on the sample ``rows`` first (``n_init`` starts), then refined on all rows.

    Choosing among several starts on a sample and refining the best on all
    customers costs one run over the full data instead of ``n_init``, and
    keeps the segments that k was chosen for. ``sample_fit`` (the fit of the
    k scan) is reused when given; ``rows=None`` means the sample is all rows.
    """
    args = {"seed": seed, "minibatch_threshold": minibatch_threshold}
    if rows is None:
        return sample_fit or fit_kmeans(Z, n_clusters, n_init=n_init, **args)
    sample_fit = sample_fit or fit_kmeans(Z[rows], n_clusters, n_init=n_init, **args)
    return fit_kmeans(Z, n_clusters, n_init=1, init=sample_fit.centers, **args)


def n_threads(n_jobs: int | None) -> int:
    """Threads that ``n_jobs`` stands for (joblib's convention: None is 1, -1 is all cores)."""
    return max(1, int(effective_n_jobs(n_jobs)))


def parallel_map(fn: Callable[[T], R], items: Iterable[T], n_jobs: int | None) -> list[R]:
    """``[fn(x) for x in items]`` on ``n_jobs`` threads, each k-means single-threaded.

    Many small k-means fits (one per k, one per stability refit) use cores
    better side by side than each spread over all cores: OpenMP threads that
    wait for each other spin, and on a shared machine a fit can become ten
    times slower. scikit-learn's k-means releases the GIL, so threads suffice.
    """
    items = list(items)
    workers = min(n_threads(n_jobs), len(items))
    with threadpool_limits(limits=1):
        if workers <= 1:
            return [fn(x) for x in items]
        return Parallel(n_jobs=workers, prefer="threads")(delayed(fn)(x) for x in items)


def nearest_center(Z: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label of the nearest centre of each row and the squared distance to it (computed in chunks)."""
    labels, dist = pairwise_distances_argmin_min(Z, centers)
    return labels.astype(np.int64), dist**2


def _by_size(centers: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(labels, minlength=k)
    order = np.argsort(-counts, kind="stable")
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return centers[order], rank[labels]
