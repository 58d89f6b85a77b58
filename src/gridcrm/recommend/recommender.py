"""``ProductRecommender``: eligible products ranked by expected value, bundled with exclusions and capacity.

For each customer and product of the catalogue:

* **eligibility** — the product's rule (tag rule language) over the customer's features, tags,
  credit grade, segment, ...;
* **propensity** — the probability that the customer accepts the product within ``horizon_days``
  of an offer: learned from the offer history when the product has at least ``min_offers``
  offers and ``min_accepted`` acceptances in the training window, else the rule-based prior of
  the catalogue (cold start: ``prior × lifts of the signals that hold``). Learned by one pooled
  gradient-boosted model over (customer features, product, rule-based prior), or
  (``propensity="hierarchical"``) by one logistic regression over the principal components of
  every numeric customer column, with a main effect shared by all products and each product's
  own deviation from it, penalised (shrunk toward the shared model): tastes spread thinly over
  many columns, which trees split one at a time, are learned from a few hundred offers per
  product;
* **expected value** — ``propensity × value − cost``.

A bundle is the ``k`` eligible products of highest expected value (above
``min_expected_value``) such that no two exclude each other and no product goes to more
customers than its ``capacity``: filled slot by slot, each slot giving every customer its best
remaining product and, where a product is over capacity, keeping its customers of highest
expected value (the others move to their next product). Reasons in words: the product's
signals that hold for the customer, or the facts of its eligibility rule.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import N_JOBS, RANDOM_STATE, Interval, Options, ValidatedParams, effective_n_jobs
from gridcrm.errors import InputError
from gridcrm.recommend.catalogue import ProductCatalogue, load_product_catalogue

__all__ = ["ProductRecommender", "training_offers", "offer_labels"]

logger = logging.getLogger(__name__)

_SKIP = {"customer_id"}


def offer_labels(offers: pd.DataFrame, horizon_days: int, known_before: pd.Timestamp | None = None) -> np.ndarray:
    """Whether each offer was accepted within ``horizon_days`` (and, if given, before ``known_before``).

    Examples
    --------
    >>> o = pd.DataFrame({"offered_on": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"]),
    ...                   "accepted_on": pd.to_datetime(["2024-01-10", None, "2024-05-01"])})
    >>> offer_labels(o, 90).tolist()
    [True, False, False]
    """
    for c in ("offered_on", "accepted_on"):
        if c not in offers.columns:
            raise InputError(f"offers: column {c!r} is missing; columns are {list(offers.columns)}")
    delay = (offers["accepted_on"] - offers["offered_on"]).dt.days
    ok = delay.notna() & (delay >= 0) & (delay < horizon_days)
    if known_before is not None:
        ok &= offers["accepted_on"] < known_before
    return ok.to_numpy(dtype=bool)


def training_offers(offers: pd.DataFrame, as_of: pd.Timestamp | str, *, horizon_days: int = 90,
                    window_days: int = 365) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The offers a model fitted at ``as_of`` learns from, and the day its features must be built at.

    Offers made in ``[snapshot, as_of - horizon_days)`` with ``snapshot = as_of - horizon_days -
    window_days``: their ``horizon_days`` closed before ``as_of``, and features built at
    ``snapshot`` see nothing after the first of them. ``accepted`` is added.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 2], "product": ["a", "b", "a"],
    ...                   "offered_on": pd.to_datetime(["2023-01-05", "2024-02-01", "2024-06-01"]),
    ...                   "accepted_on": pd.to_datetime(["2023-01-20", None, "2024-06-10"])})
    >>> snap, rows = training_offers(o, "2024-07-01", horizon_days=90, window_days=365)
    >>> str(snap.date()), rows["product"].tolist(), rows["accepted"].tolist()
    ('2023-04-03', ['b'], [False])
    """
    as_of = pd.Timestamp(as_of).normalize()
    end = as_of - pd.Timedelta(days=horizon_days)
    snapshot = end - pd.Timedelta(days=window_days)
    rows = offers[(offers["offered_on"] >= snapshot) & (offers["offered_on"] < end)]
    rows = rows.assign(accepted=offer_labels(rows, horizon_days, known_before=as_of))
    return snapshot, rows.reset_index(drop=True)


class ProductRecommender(ValidatedParams, BaseEstimator):
    """Ranks and bundles the catalogue's products per customer by expected value.

    Parameters
    ----------
    catalogue : ProductCatalogue, path, mapping or None
        The product catalogue (:func:`~gridcrm.recommend.load_product_catalogue`); None: the shipped one.
    propensity : {"lightgbm", "hierarchical", "ensemble", "logistic", "per_product", "rules"}
        How propensities are learned from the offers: one pooled gradient-boosted model; one
        logistic regression over the principal components of the customer columns with a shared
        effect and each product's penalised deviation from it (customer × product interactions
        shrunk toward the pooled model); the mean log-odds of those two (the default: at least as
        good as the better of the two on both benchmark worlds); one pooled logistic regression (products as indicators,
        no interactions); one shrunk logistic regression per product; or not at all (the
        catalogue's rule-based priors only).
    k : int or None
        Products per customer; None: the catalogue's ``recommender.k``.
    n_estimators, learning_rate, num_leaves, min_child_samples : int, float, int, int
        Of the LightGBM model.
    n_components : int
        Principal components of the customer columns the hierarchical model reads (at most the
        number of numeric columns).
    random_state : int or None
        Seed of the model (default 0: reproducible); None: not seeded.
    n_jobs : int or None
        Threads of the model (None: 1).

    Attributes
    ----------
    catalogue_ : ProductCatalogue
        The catalogue with its percentile thresholds fixed over the customers of ``fit``.
    model_ : object, dict or None
        The fitted pooled model, or product → model with ``propensity="per_product"`` (None with
        ``propensity="rules"`` or no usable offers).
    feature_names_ : list of str
        Customer columns the model reads.
    learned_ : dict
        Product → offers and acceptances in the training window.
    learned_products_ : list of str
        Products whose propensity is learned (the others use the rule-based prior).
    popularity_ : Series
        Acceptance rate of each product in the training window (NaN without offers).
    n_offers_dropped_ : int
        Offers left out: unknown product, or customer not in ``X``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> X = pd.DataFrame({"contracted_kva": rng.choice([6.0, 100.0, 500.0], n), "complaints_365d": rng.poisson(0.5, n),
    ...                   "tenure_years": rng.uniform(0, 20, n)}, index=pd.Index(np.arange(n), name="customer_id"))
    >>> cat = {"classes": {"q": "Quality"}, "recommender": {"k": 2, "min_offers": 20, "min_accepted": 2},
    ...        "products": [
    ...     {"id": "repair", "class": "q", "value": 100, "cost": 5, "prior": 0.1, "eligible": "contracted_kva >= 8",
    ...      "signals": [{"when": "complaints_365d >= 1", "lift": 2, "reason": "complained"}]},
    ...     {"id": "care", "class": "q", "value": 50, "cost": 2, "prior": 0.2, "eligible": "tenure_years >= 3"},
    ...     {"id": "visit", "class": "q", "value": 300, "cost": 20, "prior": 0.1, "capacity": 10,
    ...      "eligible": "contracted_kva >= 315", "excludes": ["care"]}]}
    >>> who = rng.integers(0, n, 600)
    >>> product = rng.choice(["repair", "care"], 600)
    >>> p = np.where(product == "repair", 0.05 + 0.5 * (X["complaints_365d"].to_numpy()[who] > 0), 0.2)
    >>> offers = pd.DataFrame({"customer_id": who, "product": product,
    ...                        "accepted": rng.random(600) < p})
    >>> rec = ProductRecommender(catalogue=cat, n_estimators=50).fit(X, offers)
    >>> rec.learned_products_
    ['repair', 'care']
    >>> out = rec.recommend(X)
    >>> out.columns.tolist()[:6]
    ['customer_id', 'rank', 'product', 'product_class', 'propensity', 'source']
    >>> int(out.groupby("customer_id").size().max()), int((out["product"] == "visit").sum()) <= 10
    (2, True)
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "catalogue": [ProductCatalogue, str, Path, Mapping, None],
        "propensity": [Options({"lightgbm", "hierarchical", "ensemble", "logistic", "per_product", "rules"})],
        "k": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_estimators": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, 1, closed="right")],
        "num_leaves": [Interval(numbers.Integral, 2, None, closed="left")],
        "min_child_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": RANDOM_STATE,
        "n_jobs": N_JOBS,
    }

    def __init__(self, *, catalogue: ProductCatalogue | str | Path | Mapping[str, Any] | None = None,
                 propensity: str = "ensemble", k: int | None = None, n_estimators: int = 200,
                 learning_rate: float = 0.05, num_leaves: int = 15, min_child_samples: int = 20,
                 n_components: int = 30, random_state: int | None = 0, n_jobs: int | None = None) -> None:
        self.catalogue = catalogue
        self.propensity = propensity
        self.k = k
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.n_components = n_components
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame, offers: pd.DataFrame | None = None) -> ProductRecommender:
        """Learn the propensities from the offers made to the customers of ``X``.

        Parameters
        ----------
        X : DataFrame
            One row per customer (index ``customer_id``) as known when the offers were made:
            features, and the tags, ``credit_grade``, ``segment_name``, ... the rules read.
        offers : DataFrame, optional
            ``customer_id``, ``product`` and ``accepted`` (bool: accepted within the horizon),
            e.g. from :func:`training_offers`. None or empty: rule-based priors only.

        Returns
        -------
        self
        """
        self._validate_params()
        if not isinstance(X, pd.DataFrame):
            raise InputError(f"ProductRecommender.fit: X must be a DataFrame of customers, got {type(X).__name__}")
        cat = load_product_catalogue(self.catalogue).frozen(X)  # percentile thresholds over the fit population
        self.catalogue_ = cat
        self.k_ = int(self.k if self.k is not None else cat.settings.k)
        self.feature_names_ = [c for c in X.columns if c not in _SKIP and _usable(X[c])]
        self.model_ = None
        self._fill: pd.Series | None = None
        self.n_offers_dropped_ = 0
        self.learned_ = {p: (0, 0) for p in cat.ids}
        self.popularity_ = pd.Series(np.nan, index=cat.ids, name="acceptance_rate")
        self.learned_products_: list[str] = []
        self._categories = {c: _categories(X[c]) for c in self.feature_names_ if _is_text(X[c])}
        if offers is None or len(offers) == 0:
            return self
        missing = [c for c in ("customer_id", "product", "accepted") if c not in offers.columns]
        if missing:
            raise InputError(f"ProductRecommender.fit: offers lack column(s) {missing}; columns are "
                             f"{list(offers.columns)} (see gridcrm.recommend.training_offers)")
        keep = offers["product"].isin(cat.ids) & offers["customer_id"].isin(X.index)
        self.n_offers_dropped_ = int((~keep).sum())
        if self.n_offers_dropped_:
            logger.info("recommender: %d of %d offers left out (unknown product or customer)",
                        self.n_offers_dropped_, len(offers))
        rows = offers.loc[keep]
        y = rows["accepted"].to_numpy(dtype=bool)
        counts = pd.DataFrame({"product": rows["product"].to_numpy(), "y": y}).groupby("product")["y"]
        n_off, n_acc = counts.size(), counts.sum()
        self.learned_ = {p: (int(n_off.get(p, 0)), int(n_acc.get(p, 0))) for p in cat.ids}
        self.popularity_ = (n_acc / n_off).reindex(cat.ids).rename("acceptance_rate")
        s = cat.settings
        self.learned_products_ = [p for p, (o, a) in self.learned_.items()
                                  if o >= s.min_offers and a >= s.min_accepted]
        if self.propensity == "rules" or not self.learned_products_ or len(np.unique(y)) < 2:
            return self
        prior = cat.rule_propensity(X)
        pidx = pd.Index(cat.ids).get_indexer(rows["product"])
        pos = X.index.get_indexer(rows["customer_id"])
        self._fill = None
        if self.propensity in ("hierarchical", "ensemble"):
            from sklearn.linear_model import LogisticRegression

            self._fit_components(X)
            # inputs are unit-variance components; C and the scales of _hierarchical set the shrinkage
            hier = LogisticRegression(C=_HIER_C, max_iter=3000).fit(
                self._hierarchical(self._components(X.iloc[pos]), pidx), y)
            if self.propensity == "hierarchical":
                self.model_ = hier
                return self
            self._hier = hier
        design = self._design(X.iloc[pos], pidx, prior.to_numpy()[pos, pidx])
        if self.propensity == "per_product":
            self.model_ = {}
            for product in self.learned_products_:  # one small model per product with enough history
                at = pidx == cat.ids.index(product)
                if len(np.unique(y[at])) == 2:
                    self.model_[product] = self._new_model().fit(design[at], y[at])
            self.learned_products_ = list(self.model_)
            if not self.model_:
                self.model_ = None
            return self
        self.model_ = self._new_model().fit(design, y)
        return self

    def _new_model(self) -> Any:
        if self.propensity in ("logistic", "per_product"):
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            c = 0.5 if self.propensity == "logistic" else 0.05  # per product: few offers each, more shrinkage
            return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
        from lightgbm import LGBMClassifier

        return LGBMClassifier(n_estimators=self.n_estimators, learning_rate=self.learning_rate,
                              num_leaves=self.num_leaves, min_child_samples=self.min_child_samples,
                              subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
                              random_state=self.random_state, n_jobs=effective_n_jobs(self.n_jobs), verbose=-1)

    def _fit_components(self, X: pd.DataFrame) -> None:
        """Standardise the numeric customer columns (signed log, then z-score over the customers of ``X``)
        and fit their principal components (scaled to unit variance)."""
        from sklearn.decomposition import PCA

        self._numeric = [c for c in self.feature_names_ if c not in self._categories]
        raw = _signed_log(X, self._numeric)
        seen = ~np.isnan(raw)
        count = seen.sum(axis=0)
        filled = np.where(seen, raw, 0.0)
        self._centre = filled.sum(axis=0) / np.maximum(count, 1)  # a column never known: centre 0, all 0 after
        sd = np.sqrt(np.where(seen, (raw - self._centre) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1))
        self._scale = np.where(sd > 0, sd, 1.0)
        if not self._numeric:
            raise InputError("ProductRecommender(propensity='hierarchical'): X has no numeric or bool customer column "
                             f"to learn tastes from; columns are {list(X.columns)[:20]}")
        z = self._standard(X)
        n_comp = int(max(1, min(self.n_components, z.shape[1], len(z) - 1)))
        self._pca = PCA(n_components=n_comp, random_state=self.random_state, svd_solver="randomized").fit(z)
        sdc = self._pca.transform(z).std(axis=0)
        self._comp_scale = np.where(sdc > 0, sdc, 1.0)

    def _standard(self, X: pd.DataFrame) -> np.ndarray:
        z = (_signed_log(X, self._numeric) - self._centre) / self._scale
        return np.clip(np.nan_to_num(z, nan=0.0), -5.0, 5.0)  # missing: the fit's mean

    def _components(self, X: pd.DataFrame) -> np.ndarray:
        return self._pca.transform(self._standard(X)) / self._comp_scale

    def _hierarchical(self, comps: np.ndarray, product: np.ndarray) -> Any:
        """Design of the hierarchical model: shared components, product indicators, product × components.

        The interactions are scaled down (``_HIER_INTERACTION``), so the penalty pulls each product's
        own coefficients harder toward zero, i.e. toward the shared effect, than the shared ones."""
        from scipy import sparse

        n, d = comps.shape
        m = len(self.catalogue_.products)
        rows = np.arange(n)
        onehot = sparse.csr_matrix((np.full(n, _HIER_INTERCEPT), (rows, product)), shape=(n, m))
        cols = product[:, None] * d + np.arange(d)[None, :]  # each row's block: its product's components
        inter = sparse.csr_matrix(((_HIER_INTERACTION * comps).ravel(), (np.repeat(rows, d), cols.ravel())),
                                  shape=(n, m * d))
        return sparse.hstack([sparse.csr_matrix(comps), onehot, inter], format="csr")

    def _design(self, rows: pd.DataFrame, product: np.ndarray, prior: np.ndarray) -> pd.DataFrame:
        """Model input: the customer's columns, the product (one-hot for the logistic model, none per product)
        and the log prior. Missing values of the linear models are filled with the medians of the fit."""
        cols: dict[str, Any] = {}
        for c in self.feature_names_:
            s = rows[c] if c in rows.columns else pd.Series(np.nan, index=rows.index)
            if c in self._categories:
                codes = pd.Categorical(s.astype("object"), categories=self._categories[c]).codes.astype(np.float32)
                cols[c] = np.where(codes < 0, np.nan, codes)
            else:
                cols[c] = s.to_numpy(dtype=np.float32, na_value=np.nan)
        cols["rule_log_prior"] = np.log(np.clip(prior, 1e-6, 1.0)).astype(np.float32)
        n_products = len(self.catalogue_.products)
        if self.propensity in ("logistic", "per_product"):
            if self.propensity == "logistic":
                for j in range(n_products):
                    cols[f"product={j}"] = (product == j).astype(np.float32)
            frame = pd.DataFrame(cols)
            if self._fill is None:
                self._fill = frame.median().fillna(0.0)
            return frame.fillna(self._fill).fillna(0.0)
        cols["product"] = pd.Categorical.from_codes(product, categories=range(n_products))
        return pd.DataFrame(cols)

    # ------------------------------------------------------------------------------------ predict
    def predict_propensity(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per customer (rows) and product (columns), the probability of acceptance within the horizon.

        Learned for :attr:`learned_products_`, the catalogue's rule-based prior for the others.
        """
        check_is_fitted(self, "catalogue_")
        if not isinstance(X, pd.DataFrame):
            raise InputError(f"ProductRecommender: X must be a DataFrame of customers, got {type(X).__name__}")
        cat = self.catalogue_
        absent = sorted(cat.columns() - set(X.columns))
        if absent:
            logger.info("recommender: %d column(s) the catalogue's rules read are absent (their rules are unknown, "
                        "i.e. false): %s", len(absent), absent[:20])
        if self.model_ is not None:
            missing = [c for c in self.feature_names_ if c not in X.columns]
            if missing:
                raise InputError(f"ProductRecommender: X lacks {len(missing)} column(s) the model was fitted with: "
                                 f"{missing[:10]}; build the customers as for fit (features, tags, credit_grade, ...)")
        prior = cat.rule_propensity(X)
        if self.model_ is None:
            return prior
        out = prior.copy()
        ids = cat.ids
        p_prior = prior.to_numpy()
        comps = self._components(X) if self.propensity in ("hierarchical", "ensemble") else None
        for product in self.learned_products_:  # one batch per product, vectorised over customers
            j = ids.index(product)
            if self.propensity == "hierarchical":
                out[product] = self.model_.predict_proba(self._hierarchical(comps, np.full(len(X), j)))[:, 1]
                continue
            design = self._design(X, np.full(len(X), j), p_prior[:, j])
            model = self.model_[product] if isinstance(self.model_, dict) else self.model_
            p = model.predict_proba(design)[:, 1]
            if self.propensity == "ensemble":  # the mean of the two models' log-odds
                q = self._hier.predict_proba(self._hierarchical(comps, np.full(len(X), j)))[:, 1]
                p = _expit(0.5 * (_logit(p) + _logit(q)))
            out[product] = p
        return out

    def source(self) -> pd.Series:
        """Per product, where its propensity comes from: ``learned`` or ``rule prior``."""
        check_is_fitted(self, "catalogue_")
        learned = set(self.learned_products_) if self.model_ is not None else set()
        return pd.Series({p: "learned" if p in learned else "rule prior" for p in self.catalogue_.ids})

    def expected_value(self, X: pd.DataFrame, propensity: pd.DataFrame | None = None) -> pd.DataFrame:
        """``propensity × value − cost`` per customer and product; NaN where the customer is not eligible."""
        check_is_fitted(self, "catalogue_")
        cat = self.catalogue_
        p = self.predict_propensity(X) if propensity is None else propensity
        value = np.array([q.value for q in cat.products])
        cost = np.array([q.cost for q in cat.products])
        ev = p.to_numpy() * value - cost
        return pd.DataFrame(np.where(cat.eligibility(X).to_numpy(), ev, np.nan), index=X.index, columns=cat.ids)

    def recommend(self, X: pd.DataFrame, *, k: int | None = None, by: str = "expected_value",
                  scores: pd.DataFrame | None = None, constraints: bool = True) -> pd.DataFrame:
        """Each customer's bundle: up to ``k`` products, best first, with their reasons.

        Parameters
        ----------
        X : DataFrame
            Customers (index ``customer_id``) with the columns the rules and the model read.
        k : int, optional
            Products per customer (default: the fitted ``k``).
        by : {"expected_value", "propensity"}
            What ranks the products (capacity and exclusions apply either way).
        scores : DataFrame, optional
            Use these scores per customer and product instead (e.g. true propensities, for an
            oracle); ineligible products are still left out.
        constraints : bool
            Apply the exclusions and capacities (False: the plain ranking of eligible products).

        Returns
        -------
        DataFrame
            One row per (customer, product recommended): ``customer_id``, ``rank`` (1 = best),
            ``product``, ``product_class``, ``propensity``, ``source``, ``expected_value``,
            ``reasons``.
        """
        check_is_fitted(self, "catalogue_")
        if by not in ("expected_value", "propensity"):
            raise InputError(f"recommend: by must be 'expected_value' or 'propensity', got {by!r}")
        k = self.k_ if k is None else int(k)
        cat = self.catalogue_
        p = self.predict_propensity(X)
        ev = self.expected_value(X, p)
        if scores is not None:
            score = scores.reindex(index=X.index, columns=cat.ids).to_numpy(dtype=float)
            score = np.where(np.isnan(ev.to_numpy()), np.nan, score)
        elif by == "propensity":
            score = np.where(np.isnan(ev.to_numpy()), np.nan, p.to_numpy())
        else:
            score = np.where(ev.to_numpy() > cat.settings.min_expected_value, ev.to_numpy(), np.nan)
        m = len(cat.products)
        exclusions = cat.exclusions() if constraints else np.zeros((m, m), dtype=bool)
        capacity = np.array([np.inf if q.capacity is None or not constraints else q.capacity for q in cat.products])
        chosen = allocate(score, k, exclusions, capacity)
        row, slot = np.nonzero(chosen >= 0)
        prod = chosen[row, slot]
        source = self.source().to_numpy()
        out = pd.DataFrame({
            "customer_id": X.index.to_numpy()[row],
            "rank": (slot + 1).astype(np.int64),
            "product": np.array(cat.ids, dtype=object)[prod],
            "product_class": np.array([q.product_class for q in cat.products], dtype=object)[prod],
            "propensity": p.to_numpy()[row, prod],
            "source": source[prod],
            "expected_value": ev.to_numpy()[row, prod],
            "reasons": self._reasons(X, row, prod),
        })
        return out.sort_values(["customer_id", "rank"], kind="stable").reset_index(drop=True)

    def _reasons(self, X: pd.DataFrame, row: np.ndarray, prod: np.ndarray) -> np.ndarray:
        cat = self.catalogue_
        held = cat.signals(X)
        text = pd.Series("", index=np.arange(len(row)), dtype=object)
        for j, product in enumerate(cat.products):  # loops over products and their signals, not customers
            at = np.flatnonzero(prod == j)
            if not len(at):
                continue
            part = pd.Series("", index=at, dtype=object)
            for s, signal in enumerate(product.signals):
                if signal.lift <= 1:  # a fact that lowers the propensity is no reason to recommend
                    continue
                hit = pd.Series(held[product.id][row[at], s], index=at)
                part = part.where(~hit, part.where(part.eq(""), part + "; ") + signal.reason)
            fallback = f"eligible: {product.eligible}" if product.eligible is not None else "open to everyone"
            text.iloc[at] = part.where(part.ne(""), fallback).to_numpy()
        return text.to_numpy()


def allocate(score: np.ndarray, k: int, exclusions: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Up to ``k`` products per row, highest score first, with exclusions and per-product capacity.

    Parameters
    ----------
    score : ndarray, shape (n_customers, n_products)
        NaN where a product may not be given.
    k : int
    exclusions : ndarray of bool, shape (n_products, n_products)
    capacity : ndarray, shape (n_products,)
        Most rows a product may go to (``inf``: no limit).

    Returns
    -------
    ndarray of int, shape (n_customers, k)
        Product index per slot, -1 where none is left.

    Examples
    --------
    >>> s = np.array([[3.0, 2.0, 1.0], [5.0, 4.0, np.nan], [1.0, np.nan, 0.5]])
    >>> ex = np.zeros((3, 3), bool); ex[1, 2] = ex[2, 1] = True
    >>> allocate(s, 2, ex, np.array([2, np.inf, np.inf])).tolist()  # product 0 goes to the two best rows
    [[0, 1], [0, 1], [2, -1]]
    """
    n, m = score.shape
    open_ = ~np.isnan(score)
    s = np.where(open_, score, -np.inf)
    left = capacity.astype(float).copy()
    chosen = np.full((n, k), -1, dtype=np.int64)
    for slot in range(k):
        todo = np.flatnonzero(open_.any(axis=1))
        while len(todo):
            pick = np.argmax(np.where(open_[todo], s[todo], -np.inf), axis=1)
            best = s[todo, pick]
            order = np.lexsort((-best, pick))  # by product, best score first
            sp = pick[order]
            first = np.searchsorted(sp, sp, side="left")
            within = np.arange(len(sp)) - first
            ok_sorted = within < left[sp]
            ok = np.empty_like(ok_sorted)
            ok[order] = ok_sorted
            won, lost = todo[ok], todo[~ok]
            chosen[won, slot] = pick[ok]
            np.subtract.at(left, pick[ok], 1)
            open_[won] &= ~exclusions[pick[ok]]
            open_[won, pick[ok]] = False
            open_[lost, pick[~ok]] = False  # full: try the next product
            full = left <= 0
            open_[:, full] = False
            todo = lost[open_[lost].any(axis=1)]
    return chosen


#: Penalty (inverse strength) of the hierarchical model, and the scales of its product intercepts and
#: product × component interactions (measured on both benchmark worlds, experiments/bench_recommend.py).
_HIER_C, _HIER_INTERCEPT, _HIER_INTERACTION = 0.03, 3.0, 0.5


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _signed_log(X: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``sign(x) · log(1 + |x|)`` of the columns (absent ones NaN): heavy tails (kWh, amounts) tamed."""
    raw = np.column_stack([X[c].to_numpy(dtype=float, na_value=np.nan) if c in X.columns
                           else np.full(len(X), np.nan) for c in columns]) if columns else np.zeros((len(X), 0))
    return np.sign(raw) * np.log1p(np.abs(raw))


def _usable(s: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype) or _is_text(s)) \
        and not pd.api.types.is_datetime64_any_dtype(s.dtype)


def _is_text(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype) \
        or pd.api.types.is_object_dtype(s.dtype)


def _categories(s: pd.Series) -> list[str]:
    values = s.dropna().astype(str).unique().tolist()
    return sorted(values)[:200]
