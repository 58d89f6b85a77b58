"""One contract for every public estimator (#14): parameters, seeds, threads, and one way to refuse a bad value.

The rules are written down in :mod:`gridcrm._params`: keyword-only parameters
(``n_clusters`` of the clusterers and ``config`` of the AHP scorers may be
positional), ``random_state=None`` accepted wherever anything is random,
``n_jobs=None`` meaning one core, and every bad parameter refused at fit with
``"{Estimator}: {param}={value!r} is not allowed; expected ..."``.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from gridcrm.anomaly import AnomalyDetector
from gridcrm.credit import CreditScorer, CustomerValueScorer
from gridcrm.credit.synthetic import synthetic_indicators
from gridcrm.errors import ConfigError, InputError
from gridcrm.features import FeatureBuilder
from gridcrm.forecasting import CalendarProfileForecaster, ConsumptionForecaster, load_forecast_config
from gridcrm.forecasting.simulate import arima_frame, simulate_arima
from gridcrm.recommend import ProductRecommender
from gridcrm.risk import (
    ArrearsModel,
    ChurnModel,
    LogisticBaseline,
    ProbabilityCalibrator,
    RiskClassifier,
)
from gridcrm.segmentation import CustomerSegmenter, SegmentationPreprocessor
from gridcrm.segmentation.shapes import LoadShapeClusterer
from gridcrm.service import ComplaintClassifier


@cache
def _customers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "kwh_mean_365d": np.r_[rng.lognormal(1.5, 0.3, 30), rng.lognormal(6, 0.3, 20)],
        "weekday_weekend_ratio": np.r_[rng.normal(0.95, 0.05, 30), rng.normal(1.8, 0.1, 20)],
    })


@cache
def _days() -> np.ndarray:
    rng = np.random.default_rng(0)
    h = np.arange(24)
    evening = 1 + 2 * np.exp(-0.5 * ((h - 19) / 1.5) ** 2)
    daytime = 0.3 + 2 * ((h >= 8) & (h < 18))
    return np.vstack([evening * rng.uniform(1, 5, (20, 1)), daytime * rng.uniform(10, 50, (15, 1))])


@cache
def _series() -> pd.DataFrame:
    return arima_frame(50 + simulate_arima(ma=[0.4], n=120, n_series=2, seed=1))


@cache
def _risk() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"late_bills": rng.poisson(1, 300).astype(float), "noise": rng.normal(size=300)})
    y = (rng.random(300) < 0.15 + 0.3 * (X["late_bills"] > 1)).astype(int).to_numpy()
    return X, y


@cache
def _proba() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.6, 400)
    return np.sqrt(p), (rng.random(400) < p).astype(int)


@cache
def _indicators() -> pd.DataFrame:
    return synthetic_indicators(60, seed=1)


@cache
def _dataset() -> Any:
    from gridcrm.data.synth import generate_dataset

    return generate_dataset(n_customers=20, start="2023-10-01", end="2024-03-31", seed=4).dataset


@cache
def _offers() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"contracted_kva": rng.choice([6.0, 100.0], 200), "complaints_365d": rng.poisson(0.6, 200)},
                     index=pd.Index(np.arange(200), name="customer_id"))
    who = rng.integers(0, 200, 800)
    offers = pd.DataFrame({"customer_id": who, "product": "repair",
                           "accepted": rng.random(800) < np.where(X["complaints_365d"].to_numpy()[who] > 0, 0.5, 0.1)})
    return X, offers


@cache
def _complaints() -> tuple[list[str], list[str]]:
    """Complaint texts of three topics, seven of each (#17)."""
    rng = np.random.default_rng(0)
    words = {"outage": "停电", "billing": "电费", "voltage": "电压"}
    texts = [f"{w}{'问题' * int(rng.integers(1, 3))}{k}" for t, w in words.items() for k in range(7)]
    return texts, [t for t in words for _ in range(7)]


#: A one-product catalogue for ProductRecommender (#18).
_CATALOGUE = {"classes": {"q": "Quality"}, "recommender": {"min_offers": 10, "min_accepted": 2},
              "products": [{"id": "repair", "class": "q", "value": 100, "cost": 5, "prior": 0.1}]}


def _risk_fit(est: Any) -> Any:
    return est.fit(*_risk())


def _risk_out(est: Any) -> Any:
    return est.predict_proba(_risk()[0])


@dataclass
class Case:
    """How to build, fit and read one estimator, and one value of one parameter it must refuse."""

    cls: type
    params: dict[str, Any]
    fit: Callable[[Any], Any]
    output: Callable[[Any], Any]
    bad: tuple[str, Any]
    positional: tuple[str, ...] = ()
    random: bool = False
    threads: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def make(self, **params: Any) -> Any:
        return self.cls(**{**self.params, **params})


CASES = [
    Case(CustomerSegmenter, {"n_clusters": 2, "stability_runs": 0, "n_init": 1},
         lambda e: e.fit(_customers()), lambda e: e.labels_, ("n_init", 0),
         positional=("n_clusters",), random=True, threads=True),
    Case(LoadShapeClusterer, {"n_clusters": 2, "n_init": 1},
         lambda e: e.fit(_days()), lambda e: e.labels_, ("normalize", "sum"),
         positional=("n_clusters",), random=True, threads=True),
    Case(SegmentationPreprocessor, {},
         lambda e: e.fit(_customers()), lambda e: e.transform(_customers()), ("clip", -1.0)),
    Case(ConsumptionForecaster, {"season_length": 7, "calibration_size": 0},
         lambda e: e.fit(_series()), lambda e: e.predict(h=3)["forecast"].to_numpy(), ("engine", "magic"),
         random=True, threads=True),
    Case(CalendarProfileForecaster, {"forecaster": ConsumptionForecaster(season_length=7, calibration_size=0)},
         lambda e: e.fit(_series()), lambda e: e.predict(h=3)["forecast"].to_numpy(), ("holiday_profile", "magic")),
    Case(RiskClassifier, {"n_estimators": 20}, _risk_fit, _risk_out, ("learning_rate", 0),
         random=True, threads=True),
    Case(ArrearsModel, {"n_estimators": 20}, _risk_fit, _risk_out, ("subsample", 1.5), random=True, threads=True),
    Case(ChurnModel, {"n_estimators": 20}, _risk_fit, _risk_out, ("handle_unknown", "drop"), random=True, threads=True),
    Case(ProbabilityCalibrator, {}, lambda e: e.fit(*_proba()), lambda e: e.transform(_proba()[0]), ("cv", 1),
         random=True),
    Case(LogisticBaseline, {}, _risk_fit, _risk_out, ("C", -1.0), random=True),
    Case(CreditScorer, {}, lambda e: e.fit(_indicators()), lambda e: e.transform(_indicators())["score"].to_numpy(),
         ("on_inconsistent", "shout"), positional=("config",)),
    Case(CustomerValueScorer, {}, lambda e: e.fit(_indicators()),
         lambda e: e.transform(_indicators())["value_score"].to_numpy(), ("top_share", 1.5), positional=("config",)),
    Case(FeatureBuilder, {"as_of": "2024-03-01", "windows": (30, 90)}, lambda e: e.fit(_dataset()),
         lambda e: e.transform(_dataset()).select_dtypes("number").to_numpy(), ("windows", (0, 30))),
    Case(ProductRecommender, {"catalogue": _CATALOGUE, "n_estimators": 20}, lambda e: e.fit(*_offers()),
         lambda e: e.predict_propensity(_offers()[0]).to_numpy().ravel(), ("propensity", "magic"),
         random=True, threads=True),
    Case(AnomalyDetector, {}, lambda e: e.fit(_dataset(), "2024-03-01"),
         lambda e: e.score(_dataset(), "2024-03-01")["score"].to_numpy(), ("label_window_days", 5), random=True),
    Case(ComplaintClassifier, {}, lambda e: e.fit(*_complaints()), lambda e: e.predict_proba(_complaints()[0]),
         ("calibration", "platt"), random=True, threads=True),
]
IDS = [c.cls.__name__ for c in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def case(request) -> Case:
    return request.param


#: Public classes with get_params that are not user-facing estimators: the AHP scorers' normalisation stage,
#: built from the scorer's indicator specs (``IndicatorNormalizer(specs)``).
NOT_ESTIMATORS = {"IndicatorNormalizer"}


def test_every_public_estimator_is_covered() -> None:
    import importlib

    public = set()
    for module in ("gridcrm", "gridcrm.segmentation", "gridcrm.forecasting", "gridcrm.risk", "gridcrm.credit",
                   "gridcrm.features", "gridcrm.recommend", "gridcrm.anomaly",
                   "gridcrm.service"):
        mod = importlib.import_module(module)
        public |= {name for name in mod.__all__ if isinstance(getattr(mod, name), type)
                   and hasattr(getattr(mod, name), "get_params")}
    assert public - NOT_ESTIMATORS == set(IDS), f"estimators without a contract case: {public - set(IDS)}"


def _same(a: Any, b: Any) -> bool:
    """Equal parameters; a nested estimator (cloned, so another object) equal by its type and parameters."""
    if hasattr(a, "get_params") and not isinstance(a, type):
        return type(a) is type(b) and _same(a.get_params(), b.get_params())
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def test_clone_and_get_params_round_trip(case: Case) -> None:
    est = case.make()
    params = est.get_params()
    twin = clone(est)
    assert twin is not est and _same(twin.get_params(), params)
    assert _same(case.cls(**est.get_params(deep=False)).get_params(), params)
    assert est.set_params(**params) is est and _same(est.get_params(), params)


def test_the_round_trip_check_sees_a_changed_nested_parameter() -> None:
    a = CalendarProfileForecaster(forecaster=ConsumptionForecaster(season_length=7))
    b = CalendarProfileForecaster(forecaster=ConsumptionForecaster(season_length=14))
    assert _same(a.get_params(), clone(a).get_params()) and not _same(a.get_params(), b.get_params())


def test_parameters_are_keyword_only_but_the_allowed_first(case: Case) -> None:
    sig = inspect.signature(case.cls.__init__)
    params = [p for p in sig.parameters.values() if p.name != "self"]
    positional = tuple(p.name for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY)
    assert positional == case.positional
    first_values = [params[0].default] if case.positional else []
    with pytest.raises(TypeError, match="positional argument"):
        case.cls(*first_values, None)


def test_random_state_exists_where_anything_is_random(case: Case) -> None:
    has = "random_state" in case.make().get_params()
    assert has == case.random
    if case.random:  # the same seed, the same result
        first = case.output(case.fit(case.make(random_state=7)))
        again = case.output(case.fit(case.make(random_state=7)))
    else:  # nothing random: two fits agree without any seed
        first, again = case.output(case.fit(case.make())), case.output(case.fit(case.make()))
    np.testing.assert_array_equal(np.asarray(first, dtype=float), np.asarray(again, dtype=float))


def test_random_state_none_and_n_jobs_none_fit(case: Case) -> None:
    if not (case.random or case.threads):
        pytest.skip(f"{case.cls.__name__} has neither random_state nor n_jobs")
    params = {}
    if case.random:
        params["random_state"] = None
    if case.threads:
        assert "n_jobs" in case.make().get_params()
        params["n_jobs"] = None
    out = case.output(case.fit(case.make(**params)))
    assert len(out) > 0


def test_a_bad_parameter_is_refused_in_one_shape(case: Case) -> None:
    param, value = case.bad
    est = case.make(**{param: value})  # __init__ only stores
    assert est.get_params()[param] == value
    shape = rf"^{case.cls.__name__}: {param}={re.escape(repr(value))} is not allowed; expected \S.+"
    with pytest.raises(InputError, match=shape) as caught:
        case.fit(est)
    assert isinstance(caught.value, ValueError)


def test_n_jobs_zero_is_refused_where_threads_are_used(case: Case) -> None:
    if not case.threads:
        pytest.skip("no n_jobs")
    with pytest.raises(InputError, match=rf"^{case.cls.__name__}: n_jobs=0 is not allowed; expected a non-zero"):
        case.fit(case.make(n_jobs=0))


# -- the horizon is h ------------------------------------------------------------------------------------


def test_forecast_config_h_and_its_deprecated_alias(tmp_path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("forecast:\n  h: 14\n  backtest:\n    h: 7\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        cfg = load_forecast_config(path)
    assert (cfg.h, cfg.backtest.h) == (14, 7)

    path.write_text("forecast:\n  horizon: 21\n  backtest:\n    horizon: 5\n")
    with pytest.warns(DeprecationWarning, match="horizon is deprecated; write h"):
        old = load_forecast_config(path)
    assert (old.h, old.backtest.h) == (21, 5)
    with pytest.warns(DeprecationWarning, match=r"ForecastConfig.horizon is deprecated; use ForecastConfig.h"):
        assert old.horizon == 21

    path.write_text("forecast:\n  h: 14\n  horizon: 14\n")
    with pytest.raises(ConfigError, match="both h and horizon"):
        load_forecast_config(path)


def test_shipped_forecast_config_uses_h_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        cfg = load_forecast_config()
    assert cfg.h == 28 and cfg.backtest.h == 28


def test_forecast_config_accepts_none_for_n_jobs_and_random_state(tmp_path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("forecast:\n  n_jobs: null\n  random_state: null\n")
    fc = load_forecast_config(path).forecaster()
    assert fc.n_jobs is None and fc.random_state is None


def test_predict_and_backtest_take_h() -> None:
    from gridcrm.forecasting import backtest

    fc = ConsumptionForecaster(season_length=1, calibration_size=0).fit(_series())
    assert len(fc.predict(h=4)) == 8
    with pytest.raises(InputError, match=r"^backtest: n_windows=0 is not allowed; expected an integer >= 1"):
        backtest(ConsumptionForecaster(season_length=1), _series(), h=7, n_windows=0)
