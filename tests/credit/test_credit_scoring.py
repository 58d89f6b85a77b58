"""CreditScorer: scores, grades, contributions, normalisation, missing values, estimator contract."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from gridcrm.credit import CreditConfigError, CreditScorer, IndicatorError, IndicatorNormalizer, IndicatorSpec
from gridcrm.credit.plots import plot_score_distribution

CREDIT_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "credit_ahp.yaml"


def mini_config(**leaf_overrides: dict) -> dict:
    """Goal → {pay (two indicators), theft} with weights pay 0.75 (on-time 2/3, days-late 1/3), theft 0.25."""
    leaves = {
        "on_time_rate_365d": {"direction": "benefit", "method": "minmax", "bounds": [0.0, 1.0], "missing": "neutral"},
        "days_late_mean_365d": {"direction": "cost", "method": "minmax", "bounds": [0.0, 20.0], "missing": "worst"},
        "theft_count": {"direction": "cost", "method": "thresholds", "points": [[0, 1.0], [1, 0.0]],
                        "interpolate": "step", "missing": "best"},
    }
    for name, change in leaf_overrides.items():
        leaves[name] = {**leaves[name], **change}
    return {
        "name": "mini",
        "grades": {"AAA": 90, "AA": 80, "A": 70, "B": 60, "C": 0},
        "hierarchy": {
            "name": "credit",
            "judgements": [["pay", "theft_count", 3]],
            "children": [
                {"name": "pay", "judgements": [["on_time_rate_365d", "days_late_mean_365d", 2]], "children": [
                    {"indicator": "on_time_rate_365d", **leaves["on_time_rate_365d"]},
                    {"indicator": "days_late_mean_365d", **leaves["days_late_mean_365d"]},
                ]},
                {"indicator": "theft_count", **leaves["theft_count"]},
            ],
        },
    }


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    return pd.DataFrame(cols, index=pd.Index(range(1, n + 1), name="customer_id"))


W_ON_TIME, W_LATE, W_THEFT = 0.75 * 2 / 3, 0.75 / 3, 0.25


def test_score_is_weighted_goodness_and_contributions_add_up():
    X = frame(on_time_rate_365d=[1.0, 0.5, 0.0], days_late_mean_365d=[0.0, 10.0, 20.0], theft_count=[0, 0, 1])
    out = CreditScorer(mini_config()).fit(X).transform(X)
    expected = 100 * np.array([W_ON_TIME + W_LATE + W_THEFT, 0.5 * W_ON_TIME + 0.5 * W_LATE + W_THEFT, 0.0])
    np.testing.assert_allclose(out["score"], expected)
    contrib = out.filter(like="contrib_")
    assert list(contrib.columns) == ["contrib_on_time_rate_365d", "contrib_days_late_mean_365d", "contrib_theft_count"]
    np.testing.assert_allclose(contrib.sum(axis=1), out["score"], rtol=1e-12)
    assert out.index.equals(X.index)


def test_contributions_add_up_on_the_shipped_config(indicators):
    X = indicators(3000, seed=1)
    scorer = CreditScorer(CREDIT_CONFIG).fit(X)
    out = scorer.transform(X)
    np.testing.assert_allclose(out.filter(like="contrib_").sum(axis=1), out["score"], rtol=1e-12, atol=1e-9)
    assert out["score"].between(0, 100).all()
    assert out["coverage"].between(0, 1).all()
    assert list(out.columns) == scorer.get_feature_names_out().tolist()
    assert set(out["grade"].cat.categories) == {"AAA", "AA", "A", "B", "C"}
    by_criterion = scorer.criterion_points(out)
    assert list(by_criterion.columns) == ["payment_behaviour", "compliance", "operating_stability",
                                          "service_behaviour", "external_credit"]
    np.testing.assert_allclose(by_criterion.sum(axis=1), out["score"], rtol=1e-12)


def test_grade_cuts_are_lower_bounds_and_configurable():
    X = frame(on_time_rate_365d=[1.0] * 5, days_late_mean_365d=[0.0, 2.0, 6.0, 10.0, 20.0], theft_count=[0] * 5)
    scorer = CreditScorer(mini_config()).fit(X)
    out = scorer.transform(X)
    assert out["score"].tolist() == pytest.approx([100, 97.5, 92.5, 87.5, 75])
    assert out["grade"].astype(str).tolist() == ["AAA", "AAA", "AAA", "AA", "A"]
    assert out["grade"].cat.ordered and out["grade"].min() == "A"  # ordered worst < best
    custom = CreditScorer(mini_config(), grades={"good": 95, "fair": 85, "poor": 0}).fit(X).transform(X)
    assert custom["grade"].astype(str).tolist() == ["good", "good", "fair", "fair", "poor"]
    exact = CreditScorer(mini_config(), grades={"top": 87.5, "rest": 0}).fit(X).transform(X)
    assert exact["grade"].astype(str).tolist()[3] == "top"  # a score equal to a cut gets the grade above
    with pytest.raises(CreditConfigError, match="worst grade must start at 0"):
        CreditScorer(mini_config(), grades={"top": 50, "rest": 10}).fit(X)


@pytest.mark.parametrize(("policy", "goodness"), [("neutral", 0.5), ("worst", 0.0), ("best", 1.0)])
def test_missing_fill_policies(policy, goodness):
    X = frame(on_time_rate_365d=[np.nan, 1.0], days_late_mean_365d=[0.0, 0.0], theft_count=[0, 0])
    cfg = mini_config(on_time_rate_365d={"missing": policy})
    out = CreditScorer(cfg).fit(X).transform(X)
    assert out.loc[1, "contrib_on_time_rate_365d"] == pytest.approx(100 * W_ON_TIME * goodness)
    assert out.loc[1, "coverage"] == pytest.approx(1 - W_ON_TIME)
    assert out.loc[2, "coverage"] == pytest.approx(1.0)


def test_neutral_value_is_configurable():
    X = frame(on_time_rate_365d=[np.nan], days_late_mean_365d=[0.0], theft_count=[0])
    cfg = mini_config(on_time_rate_365d={"neutral_value": 0.8})
    out = CreditScorer(cfg).fit(X).transform(X)
    assert out.loc[1, "contrib_on_time_rate_365d"] == pytest.approx(100 * W_ON_TIME * 0.8)


def test_renormalise_shares_weight_with_siblings_then_upwards():
    cfg = mini_config(on_time_rate_365d={"missing": "renormalise"}, days_late_mean_365d={"missing": "renormalise"})
    X = frame(on_time_rate_365d=[np.nan, np.nan, 1.0], days_late_mean_365d=[0.0, np.nan, 0.0], theft_count=[0, 0, 0])
    scorer = CreditScorer(cfg).fit(X)
    out = scorer.transform(X)
    # customer 1: on-time missing → days-late takes the whole 'pay' weight (0.75)
    assert out.loc[1, "contrib_days_late_mean_365d"] == pytest.approx(75.0)
    assert out.loc[1, "contrib_on_time_rate_365d"] == 0
    # customer 2: all of 'pay' missing → theft takes the goal's whole weight
    assert out.loc[2, "contrib_theft_count"] == pytest.approx(100.0)
    assert out.loc[2, "coverage"] == pytest.approx(W_THEFT)
    np.testing.assert_allclose(out["score"], [100, 100, 100])
    explained = scorer.explain(X, customer_id=1)
    assert explained.loc["days_late_mean_365d", "weight"] == pytest.approx(0.75)
    assert explained["weight"].sum() == pytest.approx(1.0)


def test_customer_with_nothing_present_gets_no_score(caplog):
    cfg = mini_config(**{k: {"missing": "renormalise"} for k in ["on_time_rate_365d", "days_late_mean_365d",
                                                                   "theft_count"]})
    X = frame(on_time_rate_365d=[np.nan, 1.0], days_late_mean_365d=[np.nan, 0.0], theft_count=[np.nan, 0.0])
    with caplog.at_level(logging.WARNING, logger="gridcrm.credit.scoring"):
        out = CreditScorer(cfg).fit(X).transform(X)
    assert np.isnan(out.loc[1, "score"]) and pd.isna(out.loc[1, "grade"])
    assert out.loc[2, "score"] == pytest.approx(100.0)
    assert "no indicator present" in caplog.text


def test_optional_external_indicator_may_be_absent(indicators):
    with_ext = indicators(2000, seed=2)
    without = with_ext.drop(columns="external_credit_score")
    scorer = CreditScorer(CREDIT_CONFIG).fit(without)
    out = scorer.transform(without)
    w_ext = scorer.weights_["external_credit_score"]
    # the other criteria keep their relative weights: every score equals the score without the criterion
    assert (out["contrib_external_credit_score"] == 0).all()
    assert out["coverage"].max() == pytest.approx(1 - w_ext)
    fitted_with = CreditScorer(CREDIT_CONFIG).fit(with_ext).transform(with_ext)
    present = with_ext["external_credit_score"].notna()
    assert (fitted_with.loc[present, "contrib_external_credit_score"] > 0).all()
    np.testing.assert_allclose(fitted_with.loc[~present, "score"], out.loc[~present, "score"])


def test_required_column_absent_and_bad_values():
    X = frame(on_time_rate_365d=[1.0], days_late_mean_365d=[0.0], theft_count=[0])
    scorer = CreditScorer(mini_config()).fit(X)
    with pytest.raises(IndicatorError, match=r"required indicator column\(s\) absent: \['theft_count'\]"):
        scorer.transform(X.drop(columns="theft_count"))
    with pytest.raises(IndicatorError, match=r"'days_late_mean_365d' has 1 infinite value"):
        scorer.transform(X.assign(days_late_mean_365d=np.inf))
    with pytest.raises(IndicatorError, match="non-numeric"):
        scorer.transform(X.assign(theft_count="none"))
    with pytest.raises(IndicatorError, match="duplicated"):
        scorer.transform(pd.concat([X, X]))
    with pytest.raises(IndicatorError, match="expected a pandas DataFrame"):
        scorer.transform(X.to_numpy())


def test_percentile_counts_ties_in_the_customers_favour():
    ref = frame(on_time_rate_365d=[1.0] * 6, days_late_mean_365d=[0, 0, 0, 2, 5, 9], theft_count=[0] * 6)
    cfg = mini_config(days_late_mean_365d={"method": "percentile", "bounds": None})
    cfg["hierarchy"]["children"][0]["children"][1].pop("bounds")
    scorer = CreditScorer(cfg).fit(ref)
    good = scorer.normalizer_.transform(frame(on_time_rate_365d=[1.0] * 4, days_late_mean_365d=[0, 2, 7, 20],
                                              theft_count=[0] * 4))
    # cost: share of the reference population at least as late
    assert good["days_late_mean_365d"].tolist() == pytest.approx([1.0, 3 / 6, 1 / 6, 0.0])


def test_minmax_learns_quantile_references_and_clips():
    spec = IndicatorSpec("arrears_amount", "cost", "minmax", "neutral", quantiles=(0.0, 0.5))
    ref = pd.DataFrame({"arrears_amount": [0.0, 0.0, 100.0, 200.0, 5000.0]})
    norm = IndicatorNormalizer([spec]).fit(ref)
    assert norm.references_["arrears_amount"] == {"lo": 0.0, "hi": 100.0}
    out = norm.transform(pd.DataFrame({"arrears_amount": [0.0, 50.0, 100.0, 9999.0, np.nan]}))
    assert out["arrears_amount"].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.0, 0.5])


def test_constant_reference_becomes_pass_fail(caplog):
    spec = IndicatorSpec("theft_count", "cost", "minmax", "neutral")
    with caplog.at_level(logging.WARNING):
        norm = IndicatorNormalizer([spec]).fit(pd.DataFrame({"theft_count": [0, 0, 0]}))
    assert "constant" in caplog.text
    assert norm.transform(pd.DataFrame({"theft_count": [0, 1]}))["theft_count"].tolist() == [1.0, 0.0]


def test_learned_method_without_reference_data_is_an_error():
    spec = IndicatorSpec("kwh_cv_90d", "cost", "percentile", "neutral")
    with pytest.raises(IndicatorError, match="no observed value in the reference population"):
        IndicatorNormalizer([spec]).fit(pd.DataFrame({"kwh_cv_90d": [np.nan, np.nan]}))


def test_thresholds_linear_and_step():
    lin = IndicatorSpec("days_late_mean_365d", "cost", "thresholds", "neutral", points=((0, 1.0), (10, 0.5), (30, 0.0)))
    step = IndicatorSpec("arrears_count", "cost", "thresholds", "neutral", points=((0, 1.0), (1, 0.3), (3, 0.0)),
                         interpolate="step")
    X = pd.DataFrame({"days_late_mean_365d": [-1, 0, 5, 20, 99], "arrears_count": [0, 1, 2, 3, 7]})
    out = IndicatorNormalizer([lin, step]).fit(X).transform(X)
    assert out["days_late_mean_365d"].tolist() == pytest.approx([1.0, 1.0, 0.75, 0.25, 0.0])
    assert out["arrears_count"].tolist() == pytest.approx([1.0, 0.3, 0.3, 0.0, 0.0])


def test_direction_monotonicity_on_the_shipped_config(indicators):
    X = indicators(500, seed=3, nan_share=0.0)
    scorer = CreditScorer(CREDIT_CONFIG).fit(X)
    base = scorer.transform(X)["score"]
    for name, spec in scorer.config_.indicators.items():
        if name not in X or name == "blacklisted":
            continue
        bumped = X.copy()
        bumped[name] = X[name] * 1.5 + 1
        delta = scorer.transform(bumped)["score"] - base
        if spec.direction == "benefit":
            assert (delta >= -1e-9).all(), name
        else:
            assert (delta <= 1e-9).all(), name


def test_fit_uses_the_reference_population_not_the_scored_one(indicators):
    ref = indicators(1000, seed=4)
    scorer = CreditScorer(CREDIT_CONFIG).fit(ref)
    one = ref.iloc[[10]]
    assert scorer.transform(one)["score"].iloc[0] == pytest.approx(scorer.transform(ref)["score"].iloc[10])


def test_estimator_contract(indicators):
    scorer = CreditScorer(CREDIT_CONFIG, grades={"A": 50, "B": 0})
    assert scorer.get_params() == {"config": CREDIT_CONFIG, "grades": {"A": 50, "B": 0}, "on_inconsistent": None}
    with pytest.raises(NotFittedError):
        scorer.transform(indicators(5))
    X = indicators(200)
    assert scorer.fit(X) is scorer
    assert scorer.n_features_in_ == len(scorer.feature_names_in_) == len(scorer.weights_)
    twin = clone(scorer)
    assert not hasattr(twin, "weights_") and twin.get_params() == scorer.get_params()
    pd.testing.assert_frame_equal(twin.fit_transform(X), scorer.transform(X))
    assert CreditScorer().fit(X).config_.source == "credit_ahp.yaml"  # no config: the shipped one


def test_explain_lists_points_lost(indicators):
    X = indicators(300, seed=5)
    scorer = CreditScorer(CREDIT_CONFIG).fit(X)
    worst = scorer.transform(X)["score"].idxmin()
    why = scorer.explain(X, worst)
    assert why["lost"].is_monotonic_decreasing
    assert why["points"].sum() == pytest.approx(scorer.transform(X).loc[worst, "score"])
    assert (why["max_points"] - why["points"] - why["lost"]).abs().max() < 1e-12
    with pytest.raises(KeyError, match="not in the frame"):
        scorer.explain(X, -1)


def test_score_distribution_plot(indicators, tmp_path):
    X = indicators(500)
    scorer = CreditScorer(CREDIT_CONFIG).fit(X)
    path = tmp_path / "scores.png"
    plot_score_distribution(scorer.transform(X)["score"], scorer.grade_scale_, path)
    assert path.stat().st_size > 5_000


def test_fitted_scorer_pickles(indicators):
    import pickle

    X = indicators(300, seed=8)
    scorer = CreditScorer(CREDIT_CONFIG).fit(X)
    again = pickle.loads(pickle.dumps(scorer))
    pd.testing.assert_frame_equal(again.transform(X), scorer.transform(X))


def test_direct_spec_misuse_is_reported():
    with pytest.raises(CreditConfigError, match="bounds apply to method 'minmax' only"):
        IndicatorSpec("kwh_cv_90d", "cost", "percentile", "neutral", bounds=(0.0, 1.0))
    with pytest.raises(CreditConfigError, match="neutral_value must be in"):
        IndicatorSpec("kwh_cv_90d", "cost", "percentile", "neutral", neutral_value=2)


def test_coverage_and_score_stay_shares_when_weights_sum_above_one(indicators):
    """AHP weights sum to 1 only within rounding (1 + 2e-16 on some CPUs' SIMD paths): a share stays <= 1."""
    X = indicators(500, seed=3)
    scorer = CreditScorer(CREDIT_CONFIG).fit(X)
    w = scorer.weights_.to_numpy().copy()
    w[np.argmax(w)] = np.nextafter(np.nextafter(w.max(), 2.0), 2.0)  # the sum is now above 1 by a few ulps
    assert w.sum() > 1.0
    scorer.weights_ = pd.Series(w, index=scorer.weights_.index, name="weight")
    full = X.fillna(X.median(numeric_only=True))
    out = scorer.transform(full)
    assert (out["coverage"] <= 1.0).all() and (out["coverage"] >= 0.0).all()
    assert (out["score"] <= 100.0).all() and (out["score"] >= 0.0).all()
    assert out["coverage"].max() == 1.0
