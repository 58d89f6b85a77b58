"""Tags agree with the ground truth of the synthetic generator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.tags import load_tags

TAGS_YAML = Path(__file__).resolve().parents[2] / "configs" / "tags.yaml"
BUSINESS = ["office", "shop", "one_shift", "two_shift", "process", "continuous", "batch"]


@pytest.fixture(scope="module")
def tagged():
    synth = generate_dataset(3000, "2023-01-01", "2024-12-31", seed=5)
    features = build_features(synth.dataset)
    wide = load_tags(TAGS_YAML).evaluate(features).wide
    return wide, synth.truth.loc[features.index]


def test_chronic_late_payers_have_low_credit_quality(tagged):
    wide, truth = tagged
    credit = truth["credit_quality"]
    chronic, prompt = credit[wide["chronic_late_payer"]], credit[wide["prompt_payer"]]
    assert len(chronic) >= 20
    assert chronic.median() < 0.55 and chronic.median() < prompt.median() - 0.2
    assert credit[wide["credit_risk"]].mean() < credit[~wide["credit_risk"]].mean() - 0.1


def test_customers_in_arrears_have_a_higher_true_arrears_risk(tagged):
    wide, truth = tagged
    p = truth["p_arrears_next"]
    assert p[wide["in_arrears"]].mean() > 2 * p[~wide["in_arrears"]].mean()


def test_heating_sensitive_tag_finds_electric_heating(tagged):
    wide, truth = tagged
    share = wide["heating_sensitive"].groupby(truth["latent_segment"]).mean()
    assert share["electric_heating"] >= 0.6
    assert share.drop("electric_heating").max() <= 0.2
    heat = truth["heat_sensitivity"]
    assert heat[wide["heating_sensitive"]].median() > 2 * heat[~wide["heating_sensitive"]].median()


def test_weekend_users_are_second_homes_not_businesses(tagged):
    wide, truth = tagged
    share = wide["weekend_user"].groupby(truth["latent_segment"]).mean()
    assert share["second_home"] >= 0.7
    assert share.reindex(BUSINESS).max() <= 0.05


def test_theft_record_and_dissatisfaction_match_the_truth(tagged):
    wide, truth = tagged
    assert truth.loc[wide["theft_record"], "theft_detected"].all()
    satisfaction = truth["satisfaction"]
    assert satisfaction[wide["dissatisfied"]].median() < satisfaction[~wide["dissatisfied"]].median() - 0.1
    assert pd.crosstab(truth["latent_class"], wide["residential"]).loc["residential", True] == \
        (truth["latent_class"] == "residential").sum()


def test_demand_tags_find_the_latent_needs(tagged):
    wide, truth = tagged
    credit, p_arrears, satisfaction = truth["credit_quality"], truth["p_arrears_next"], truth["satisfaction"]
    cash = wide["demand_cash_flow"]
    assert credit[cash].mean() < credit[~cash].mean() - 0.05  # cash-flow needs come with weaker credit
    plan = wide["need_arrears_plan"]
    assert p_arrears[plan].mean() > 4 * p_arrears[~plan].mean()
    for tag in ("need_proactive_contact", "sensitive_customer"):  # contact needs come from unhappy customers
        assert satisfaction[wide[tag]].mean() < satisfaction[~wide[tag]].mean() - 0.05, tag
    homes = truth["latent_class"] == "residential"
    efficiency = wide["need_household_efficiency"] & homes
    assert efficiency.sum() >= 50  # heavy, weather-driven households
    assert truth.loc[efficiency, "base_kwh"].median() > 2 * truth.loc[homes & ~efficiency, "base_kwh"].median()
    weather = truth["heat_sensitivity"] + truth["cool_sensitivity"]
    assert weather[efficiency].mean() > weather[homes & ~efficiency].mean() + 0.02
