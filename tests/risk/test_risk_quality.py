"""Quality against the synthetic generator's true probabilities (slow: ~1 minute on 2 busy cores).

The issue asks for the tuned model's ROC-AUC within 0.03 of the oracle's (ranking by the true
probability) for churn and arrears, and for calibration to bring the Brier score near the
oracle's. Both are measured here without label noise: the *expected* ROC-AUC and Brier score
under the generator's probabilities (``gridcrm.risk.evaluation.expected_roc_auc``), on the test
snapshot for arrears (``bill_truth.p_arrears`` of each customer's next bill) and at the
extraction date for churn (``truth.p_churn_90d``: the generator has no churn truth for earlier
snapshots).

With the features of ``gridcrm.features`` the gap is about 0.046 (arrears) and 0.09 (churn), from
0.064 and 0.094 before the two-year payment-habit, contact and last-month consumption features
(``payment_earliness_730d``, ``arrears_rate_730d``, ``last_bill_unpaid_share``, ``complaints_3m``,
``kwh_last_month_ratio``, ...); the churn figure moves by ±0.008 with the few tuning trials. What
is left is missing information, not the learner:

* arrears: the generator draws arrears from a latent credit quality and from whether the
  *previous* bill ends in arrears — decided 5–10 days after the next bill is issued, so after
  every possible ``as_of``. Given the latent credit quality as one more column, the same tuned
  model comes within 0.03 of the oracle. Without it, the credit quality must be inferred from
  about two years of bills: a LightGBM regression *trained on the true credit quality* explains
  only R² ≈ 0.45 of it from the features (0.48 with 40,000 customers; an exact Bayesian posterior
  on 24 fully observed bills of simulated payers reaches ≈ 0.6), and that estimate put into the
  generator's own formula, with the true previous-bill outcome and bill shock, ranks at 0.792
  against the oracle's 0.826 on the test snapshot — 0.034 away before any learning.
* churn: the generator's churn comes from moves (a hazard resting on latent satisfaction, which
  the features barely reveal: R² ≈ 0.03, surveys are rare), business closures after the hidden
  onset of a financial distress, and switches of large customers after the hidden start of a
  negotiation with a competing retailer. The oracle knows those onsets to the day; the features
  see them only as they show (a consumption decline, late payments, tariff calls). The oracle
  blind to them (customers in distress or negotiating given their class's usual probability)
  is already ≈ 0.06 below the oracle; the tuned model is ≈ 0.10 below it (0.699 against 0.800
  at 10,000 customers, ``experiments/train_risk.py``), and its Brier score beats the base rate's
  but not the oracle's.

The 0.03 criteria on the observable features are therefore strict expected failures, so that
they turn into failures to remove if richer data (a longer history, more surveys) closes the gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.risk import ArrearsLabel, ChurnLabel, build_training_set, snapshot_dates, time_split
from gridcrm.risk.evaluation import expected_brier, expected_roc_auc
from gridcrm.risk.training import train_risk_model

pytestmark = pytest.mark.slow

CONFIG = {"classifier": {"n_jobs": 1}, "tuning": {"n_trials": 6, "timeout_s": 12}}


@pytest.fixture(scope="module")
def world():
    synth = generate_dataset(10_000, "2022-07-01", "2024-12-31", seed=3)
    cache: dict[pd.Timestamp, pd.DataFrame] = {}

    def features(ds, as_of):
        if as_of not in cache:
            cache[as_of] = build_features(ds, as_of)
        return cache[as_of]

    return synth, features


def _figures(result, X, p_true):
    calibrated = result.model.predict_proba(X)[:, 1]
    raw = result.model.predict_proba(X, calibrated=False)[:, 1]
    return {
        "oracle_auc": expected_roc_auc(p_true, p_true),
        "model_auc": expected_roc_auc(p_true, calibrated),
        "logistic_auc": expected_roc_auc(p_true, result.baseline.predict_proba(X)[:, 1]),
        "oracle_brier": expected_brier(p_true, p_true),
        "base_rate_brier": expected_brier(p_true, np.full(len(p_true), float(np.mean(p_true)))),
        "raw_brier": expected_brier(p_true, raw),
        "calibrated_brier": expected_brier(p_true, calibrated),
    }


def _arrears(world, latent: bool):
    synth, features = world
    ds = synth.dataset
    label = ArrearsLabel()
    data = build_training_set(ds, snapshot_dates(ds, label, n=8), label, features=features)
    if latent:
        data.X = data.X.assign(credit_quality=synth.truth.loc[data.X.index.get_level_values("customer_id"),
                                                              "credit_quality"].to_numpy())
    train, valid, test = time_split(data)
    result = train_risk_model("arrears", train, valid, test, config=CONFIG)
    p_true = synth.bill_truth.loc[test.info["bill_id"], "p_arrears"].to_numpy()
    return _figures(result, test.X, p_true)


@pytest.fixture(scope="module")
def arrears(world):
    return _arrears(world, latent=False)


@pytest.fixture(scope="module")
def churn(world):
    synth, features = world
    ds = synth.dataset
    label = ChurnLabel(consumption_share=None)  # the generator's truth is about closures only
    data = build_training_set(ds, snapshot_dates(ds, label, n=8), label, features=features)
    train, valid, _ = time_split(data, test_snapshots=0)
    result = train_risk_model("churn", train, valid, None, config=CONFIG)
    at_end = build_features(ds, ds.extracted_on)
    p = synth.truth.loc[at_end.index, "p_churn_90d"]
    return _figures(result, at_end.loc[p.notna().to_numpy()], p.dropna().to_numpy())


def test_arrears_model_beats_the_baselines_and_stays_near_the_oracle(arrears):
    assert arrears["model_auc"] >= arrears["logistic_auc"] - 0.01
    assert arrears["model_auc"] >= arrears["oracle_auc"] - 0.06  # measured gap ≈ 0.046 (see the module docstring)


def test_arrears_calibration_brings_brier_near_the_oracle(arrears):
    assert arrears["calibrated_brier"] <= arrears["raw_brier"] + 2e-4
    assert arrears["calibrated_brier"] <= 1.12 * arrears["oracle_brier"]


def test_arrears_with_latent_credit_within_003_of_the_oracle(world):
    f = _arrears(world, latent=True)
    assert f["model_auc"] >= f["oracle_auc"] - 0.03


@pytest.mark.xfail(strict=True, reason="latent credit quality only partly inferable from 2 years of bills; gap ≈ 0.046")
def test_arrears_within_003_of_the_oracle(arrears):
    assert arrears["model_auc"] >= arrears["oracle_auc"] - 0.03


def test_churn_model_learns_and_is_calibrated(churn):
    assert churn["model_auc"] >= 0.60
    assert churn["model_auc"] >= churn["logistic_auc"] - 0.02
    assert churn["calibrated_brier"] <= churn["raw_brier"] + 2e-4
    assert churn["calibrated_brier"] < churn["base_rate_brier"]  # better than knowing only the churn rate


def test_churn_oracle_blind_to_the_hidden_onsets_is_already_more_than_003_away(world):
    """Why the next criterion cannot hold: the truth itself, blind to when distress and negotiations began, misses it."""
    synth, _ = world
    truth = synth.truth.dropna(subset=["p_churn_90d"])
    p = truth["p_churn_90d"].to_numpy()
    onset = (truth["distress_from"].notna() | truth["shopping_from"].notna()).to_numpy()
    assert onset.sum() >= 10
    usual = truth.loc[~onset].groupby("latent_class", observed=True)["p_churn_90d"].median()
    p_blind = p.copy()
    p_blind[onset] = usual.reindex(truth.loc[onset, "latent_class"]).to_numpy()
    assert expected_roc_auc(p, p_blind) < expected_roc_auc(p, p) - 0.03


@pytest.mark.xfail(strict=True, reason="churn truth knows the hidden onsets of distress and negotiations (oracle blind "
                   "to them: gap ≈ 0.06); gap ≈ 0.10")
def test_churn_within_003_of_the_oracle(churn):
    assert churn["model_auc"] >= churn["oracle_auc"] - 0.03
