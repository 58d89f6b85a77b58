"""Champion metrics live with their capability; one risk-grade function for the job, batch scoring and serving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from gridcrm.credit import arrears_auc, future_revenue_spearman, revenue_after
from gridcrm.errors import InputError
from gridcrm.forecasting import mase_after_as_of
from gridcrm.risk import RiskClassifier, grade_cuts, risk_grades, risk_list, roc_auc_after_as_of
from gridcrm.segmentation import silhouette_rank_space
from gridcrm.tracking import serve_predict
from risk.conftest import make_frame


def test_the_job_and_the_served_model_grade_every_customer_alike():
    """risk_list (``gridcrm run``) and the serving adapter (``gridcrm score``/``serve``) give the same grades."""
    X, y, _ = make_frame(800, seed=3)
    clf = RiskClassifier(n_jobs=1, n_estimators=30).fit(X, y)
    ranked = risk_list(X, {"arrears": clf}, n_reasons=1, amount_column=None).reindex(X.index)
    registered = {"model": clf, "cuts": grade_cuts(clf.predict_proba(X)[:, 1])}  # what the job registers
    served = serve_predict("risk", registered, X.reset_index(), {"n_reasons": 1})
    assert served["customer_id"].tolist() == X.index.tolist()
    assert served["risk_grade"].tolist() == ranked["arrears_risk_grade"].tolist()
    shares = ranked["arrears_risk_grade"].value_counts(normalize=True)
    assert shares["high"] == pytest.approx(0.05, abs=0.005) and shares["elevated"] == pytest.approx(0.15, abs=0.005)
    # grades follow the probability: every "high" customer is above every "normal" one
    p = ranked["p_arrears"]
    assert p[ranked["arrears_risk_grade"] == "high"].min() > p[ranked["arrears_risk_grade"] == "normal"].max()
    # a shortened list keeps the grades of the whole population
    top = risk_list(X, {"arrears": clf}, n_reasons=1, amount_column=None, top=10)
    assert (top["arrears_risk_grade"] == "high").all()
    assert "arrears_risk_grade" not in risk_list(X, clf, n_reasons=1, amount_column=None, grade_shares=None).columns


def test_grade_cuts_are_quantiles_and_bad_inputs_are_named():
    p = np.random.default_rng(0).random(1000)
    assert grade_cuts(p) == {"high": float(np.quantile(p, 0.95)), "elevated": float(np.quantile(p, 0.80))}
    assert grade_cuts(np.append(p, np.nan)) == grade_cuts(p)  # NaN ignored
    assert risk_grades([np.nan], {"high": 0.9, "elevated": 0.5}).tolist() == ["normal"]
    with pytest.raises(InputError, match="shares"):
        grade_cuts(p, shares=(0.3, 0.1))
    with pytest.raises(InputError, match="no probability"):
        grade_cuts([np.nan])
    with pytest.raises(InputError, match=r"missing \['elevated'\]"):
        risk_grades(p, {"high": 0.9})


def test_risk_and_credit_aucs_are_roc_auc_leaving_out_missing_scores():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = rng.random(300) + 0.3 * y
    assert roc_auc_after_as_of(y, p) == pytest.approx(roc_auc_score(y, p))
    assert arrears_auc(100 * (1 - p), y) == pytest.approx(roc_auc_score(y, p))  # a low score means risk
    with_nan = p.copy()
    with_nan[:10] = np.nan
    assert roc_auc_after_as_of(y, with_nan) == pytest.approx(roc_auc_score(y[10:], p[10:]))
    assert np.isnan(roc_auc_after_as_of(np.zeros(5, int), np.arange(5.0)))  # one outcome: no AUC
    with pytest.raises(InputError, match="outcome and probability"):
        roc_auc_after_as_of(y, p[:-1])


def test_value_is_judged_by_revenue_after_as_of():
    bills = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3],
                          "issued_on": pd.to_datetime(["2023-12-31", "2024-01-05", "2024-03-30", "2024-02-01",
                                                       "2024-04-01"]),
                          "amount": [99.0, 10.0, 30.0, 20.0, 50.0]})
    revenue = revenue_after(bills, pd.Timestamp("2024-01-01"), [3, 2, 1, 4])
    assert revenue.to_dict() == {3: 20.0, 2: 30.0, 1: 10.0, 4: 0.0}  # [as_of, as_of + 90 days)
    score = np.array([2.0, 3.0, 1.0, 0.0])
    assert future_revenue_spearman(score, revenue) == pytest.approx(spearmanr(score, revenue).statistic)


def test_segments_are_judged_in_rank_space_on_a_fixed_sample():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": np.r_[rng.normal(0, 1, 60), rng.normal(50, 1, 60)], "b": rng.normal(size=120)})
    good, bad = np.repeat([0, 1], 60), np.tile([0, 1], 60)
    assert silhouette_rank_space(X, good) > silhouette_rank_space(X, bad)
    # a monotone rescaling of a feature changes nothing: only ranks count
    assert silhouette_rank_space(X.assign(a=np.exp(X["a"] / 10)), good) == pytest.approx(silhouette_rank_space(X, good))
    assert silhouette_rank_space(X, good, max_rows=50) == silhouette_rank_space(X, good, max_rows=50)
    assert silhouette_rank_space(X, np.zeros(120, int)) == float("-inf")


def test_forecasts_are_judged_by_mase_after_as_of_only():
    ds = pd.date_range("2024-01-01", periods=10)
    actual = pd.DataFrame({"unique_id": 1, "ds": ds, "y": np.arange(10.0)})
    fc = pd.DataFrame({"unique_id": 1, "ds": ds[6:], "forecast": np.arange(6.0, 10.0) + 2})
    # scale: seasonal-naive error before as_of is 1 per day; errors after it are 2
    assert mase_after_as_of(fc, actual, "2024-01-07", season_length=1) == pytest.approx(2.0)
    assert mase_after_as_of(fc, actual, "2024-01-07", season_length=1, horizon=2) == pytest.approx(2.0)
    with pytest.raises(InputError, match=r"forecasts lacks column\(s\) \['forecast'\]"):
        mase_after_as_of(fc.drop(columns="forecast"), actual, "2024-01-07", season_length=1)
