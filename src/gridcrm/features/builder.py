"""Point-in-time feature table: :func:`build_features` and the :class:`FeatureBuilder` transformer."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from gridcrm._params import Check, ValidatedParams
from gridcrm.data.dataset import Dataset
from gridcrm.features._common import active_customers, check_as_of, parse_as_of
from gridcrm.features.account import account_features
from gridcrm.features.behaviour import behaviour_features
from gridcrm.features.consumption import consumption_features
from gridcrm.features.contacts import contact_features
from gridcrm.features.events import event_features
from gridcrm.features.load import load_features
from gridcrm.features.payment import payment_features
from gridcrm.features.registry import DEFAULT_WINDOWS, FeatureSpec, feature_registry

__all__ = ["build_features", "feature_dtypes", "FeatureBuilder"]

logger = logging.getLogger(__name__)


def feature_dtypes(registry: dict[str, FeatureSpec] | None = None) -> dict[str, str]:
    """pandas dtype of each feature of ``registry`` in the table :func:`build_features` returns.

    ``category`` features are ``category``, ``bool`` features ``bool``, ``int``
    features that are never missing (counts) ``int64``; everything else,
    including whole numbers that can be missing (``peak_month``), is ``float64``.

    Examples
    --------
    >>> dt = feature_dtypes()
    >>> dt["complaints_365d"], dt["peak_month"], dt["region"], dt["blacklisted"]
    ('int64', 'float64', 'category', 'bool')
    """
    registry = feature_registry() if registry is None else registry
    out = {}
    for name, spec in registry.items():
        if spec.kind in ("category", "bool"):
            out[name] = spec.kind
        elif spec.kind == "int" and not spec.missing:
            out[name] = "int64"
        else:
            out[name] = "float64"
    return out


def _check_windows(windows: object) -> tuple[int, ...]:
    if isinstance(windows, (str, bytes)) or not isinstance(windows, Iterable):
        raise ValueError(f"windows must be a sequence of whole numbers of days, got {windows!r}")
    out = tuple(windows)
    if any(isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, np.integer)) or w < 1 for w in out):
        raise ValueError(f"windows must be positive whole numbers of days, got {windows!r}")
    out = tuple(int(w) for w in out)
    if not out or len(set(out)) != len(out):
        raise ValueError(f"windows must be distinct and at least one, got {windows!r}")
    return out


def build_features(
    dataset: Dataset,
    as_of: pd.Timestamp | str | None = None,
    windows: Sequence[int] = DEFAULT_WINDOWS,
) -> pd.DataFrame:
    """Build the customer feature table as known just before ``as_of``.

    One row per customer active at ``as_of`` (connected before it and not closed
    before it), computed only from rows dated before ``as_of``: the table is the
    same whether or not ``dataset`` holds later data. Every column is a feature of
    :func:`gridcrm.features.feature_registry` with its name, unit and meaning;
    missing history gives NaN (never 0), as each feature's ``missing`` says.

    Parameters
    ----------
    dataset : Dataset
        A validated dataset.
    as_of : Timestamp-like, optional
        The first day that is *not* known (a time of day is dropped). Defaults to
        ``dataset.extracted_on``.
    windows : sequence of int
        Look-back windows, in days, of the consumption level features
        (``kwh_mean_{w}d``, ``kwh_median_{w}d``, ``kwh_total_{w}d``). The other
        features have fixed windows named in their names.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted), columns in registry order with the dtypes
        of :func:`feature_dtypes`; ``frame.attrs["as_of"]`` holds ``as_of`` (ISO string).

    Raises
    ------
    ValueError
        ``as_of`` is not a date, or ``windows`` are not distinct positive whole numbers.
    TypeError
        ``dataset`` is not a :class:`~gridcrm.data.Dataset`.

    See Also
    --------
    FeatureBuilder : the same as a scikit-learn transformer.
    gridcrm.features.registry_frame : names, descriptions, units, NaN meaning.

    Examples
    --------
    >>> import pandas as pd
    >>> from gridcrm.data import validate_tables
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "customer_class": ["residential"] * 2,
    ...     "industry_code": [None, None], "region": ["east"] * 2, "supply_station": ["s1"] * 2,
    ...     "tariff": ["res_tiered"] * 2, "contracted_kva": [8.0, 8.0], "voltage_kv": [0.22, 0.22],
    ...     "connected_on": ["2020-01-01", "2024-01-20"], "closed_on": [None, None],
    ...     "preferred_channel": ["app", "counter"]})
    >>> meter = pd.DataFrame({"customer_id": [1] * 10, "kwh": [5.0] * 9 + [15.0],
    ...     "date": pd.date_range("2024-01-21", periods=10).astype(str)})
    >>> ds = validate_tables({"customers": customers, "meter_daily": meter}, extracted_on="2024-02-01")
    >>> f = build_features(ds, as_of="2024-02-01")
    >>> f[["kwh_mean_30d", "kwh_median_30d", "complaints_365d"]]  # doctest: +NORMALIZE_WHITESPACE
                 kwh_mean_30d  kwh_median_30d  complaints_365d
    customer_id
    1                     6.0             5.0                0
    2                     NaN             NaN                0
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset must be a gridcrm Dataset, got {type(dataset).__name__}")
    cut = parse_as_of(as_of, default=dataset.extracted_on)
    windows = _check_windows(windows)
    registry = feature_registry(windows)
    customers = active_customers(dataset.customers, cut)
    check_as_of(dataset, cut, len(customers))
    logger.info("building %d features for %s customers as of %s", len(registry), f"{len(customers):,}", cut.date())

    columns: dict[str, object] = {}
    steps = (
        ("account", lambda: account_features(customers, cut)),
        ("consumption", lambda: consumption_features(dataset.meter_daily, customers, cut, windows, dataset.weather)),
        ("load", lambda: load_features(dataset.load_interval, customers, cut)),
        ("payment", lambda: payment_features(dataset.bills, dataset.payments, dataset.events, customers, cut)),
        ("contacts", lambda: contact_features(dataset.contacts, customers, cut)),
        ("events", lambda: event_features(dataset.events, customers, cut)),
        ("behaviour", lambda: behaviour_features(dataset.meter_daily, customers, cut, dataset.weather)),
    )
    for family, step in steps:
        start = time.perf_counter()
        columns.update(step())
        logger.debug("%s features: %.2f s", family, time.perf_counter() - start)

    missing = [name for name in registry if name not in columns]
    if missing:  # pragma: no cover - a builder and the registry disagree
        raise RuntimeError(f"features {missing} are in the registry but no builder computes them")
    dtypes = feature_dtypes(registry)
    index = pd.Index(customers["customer_id"].to_numpy(dtype=np.int64), name="customer_id")
    data = {name: _as_dtype(columns[name], dtypes[name]) for name in registry}
    # one block per dtype (copy=True consolidates): a frame of one block per column (over 100 features)
    # makes every later insert — reset_index() in a notebook, a served request — warn that it is fragmented
    frame = pd.DataFrame(data, index=index, copy=True)
    frame.attrs["as_of"] = cut.isoformat()  # a string: attrs travel into Parquet metadata as JSON
    return frame


def _as_dtype(values: object, dtype: str) -> object:
    if dtype == "category":
        return values if isinstance(values, pd.Categorical) else pd.Categorical(values)
    return np.asarray(values).astype(dtype, copy=False)


def _windows_ok(windows: object) -> bool:
    _check_windows(windows)
    return True


def _names_ok(features: object) -> bool:
    return not isinstance(features, (str, bytes)) and all(isinstance(f, str) for f in features)  # type: ignore[union-attr]


class FeatureBuilder(ValidatedParams, TransformerMixin, BaseEstimator):
    """Customer features as a scikit-learn transformer: :class:`~gridcrm.data.Dataset` in, feature table out.

    ``fit`` learns the categories of the category features, so that ``transform``
    on another extract (or at another date) gives columns with the same categories:
    values unseen at fit become NaN.

    Parameters
    ----------
    as_of : Timestamp-like, optional
        Date the features are computed at; ``None`` uses each dataset's ``extracted_on``.
    windows : sequence of int
        Windows of the consumption level features, in days.
    features : list of str, optional
        Keep only these features (in this order); ``None`` keeps all.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        Names of the output columns.
    registry_ : dict of str to FeatureSpec
        The registry of the output features.
    categories_ : dict of str to Index
        Categories of each category feature, learnt at fit.

    See Also
    --------
    build_features

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(n_customers=40, start="2023-06-01", end="2024-03-31", seed=4).dataset
    >>> fb = FeatureBuilder(as_of="2024-03-01", windows=(30, 365))
    >>> table = fb.fit_transform(ds)
    >>> table.shape[1] == len(fb.get_feature_names_out()), fb.get_params()["windows"]
    (True, (30, 365))
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {
        "as_of": [Check(parse_as_of, "a date such as '2024-03-01'"), None],
        "windows": [Check(_windows_ok, "distinct positive whole numbers of days, e.g. (30, 90, 365)")],
        "features": [Check(_names_ok, "a list of feature names"), None],
    }

    def __init__(
        self,
        *,
        as_of: pd.Timestamp | str | None = None,
        windows: Sequence[int] = DEFAULT_WINDOWS,
        features: Sequence[str] | None = None,
    ) -> None:
        self.as_of = as_of
        self.windows = windows
        self.features = features

    def _names(self) -> tuple[dict[str, FeatureSpec], list[str]]:
        self._validate_params()
        registry = feature_registry(_check_windows(self.windows))
        if self.features is None:
            return registry, list(registry)
        names = list(self.features)
        unknown = [f for f in names if f not in registry]
        if unknown:
            raise ValueError(f"features {unknown} are not in the feature registry for windows {self.windows!r}")
        return {n: registry[n] for n in names}, names

    def _build(self, dataset: Dataset) -> pd.DataFrame:
        table = build_features(dataset, as_of=self.as_of, windows=self.windows)
        return table[self.feature_names_out_.tolist()]

    def fit(self, X: Dataset, y: object = None) -> FeatureBuilder:
        """Learn the output columns and the categories of the category features from ``X``.

        Parameters
        ----------
        X : Dataset
        y : ignored

        Returns
        -------
        self
        """
        self._fit_table(X)
        return self

    def _fit_table(self, X: Dataset) -> pd.DataFrame:
        self.registry_, names = self._names()
        self.feature_names_out_ = np.asarray(names, dtype=object)
        table = self._build(X)
        self.categories_ = {
            name: table[name].cat.categories for name in names if isinstance(table[name].dtype, pd.CategoricalDtype)
        }
        return table

    def fit_transform(self, X: Dataset, y: object = None, **fit_params: object) -> pd.DataFrame:
        """Fit and return the feature table of ``X`` (built once)."""
        return self._fit_table(X)

    def transform(self, X: Dataset) -> pd.DataFrame:
        """Return the feature table of ``X``, with the categories learnt at fit.

        Parameters
        ----------
        X : Dataset

        Returns
        -------
        DataFrame
            Indexed by ``customer_id``, columns :attr:`feature_names_out_`.
        """
        check_is_fitted(self, "feature_names_out_")
        table = self._build(X)
        recast = {}
        for name, cats in self.categories_.items():
            col = table[name]
            if not col.cat.categories.equals(cats):
                unseen = col.notna() & ~col.isin(cats)
                if unseen.any():
                    logger.warning("feature %s: %d value(s) unseen at fit set to NaN", name, int(unseen.sum()))
                recast[name] = col.cat.set_categories(cats)
        return table.assign(**recast) if recast else table

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
