"""Satisfaction drivers against what the generator put in (#17)."""

from __future__ import annotations

import pandas as pd
import pytest

from gridcrm.data.synth.core import generate_dataset
from gridcrm.errors import InputError
from gridcrm.service import load_service_config, satisfaction_drivers, survey_experience


@pytest.fixture(scope="module")
def contacts() -> pd.DataFrame:
    return generate_dataset(1500, "2023-01-01", "2024-06-30", seed=8).dataset.contacts


def test_drivers_find_the_complaint_effect_the_generator_has_and_no_delay_effect_it_lacks(contacts):
    out = satisfaction_drivers(contacts, "2024-06-01", load_service_config().standards_hours)
    assert out.attrs["n_surveys"] > 300 and 0 < out.attrs["r2"] < 1
    # surveys after a complaint score 1.4 lower in the generator: complaints before a survey lower it
    complaints = out.loc[out.index.str.startswith("complaints_")]
    assert (complaints["high"] < 0).sum() >= 3
    # the generator draws closing times independently of scores: no late-ticket effect beyond noise
    assert out.loc["late_tickets", "low"] < 0 < out.loc["late_tickets", "high"]


def test_experience_reads_only_what_was_known_before_each_survey(contacts):
    exp = survey_experience(contacts, "2024-06-01", {"outage": 8.0}, window_days=90)
    assert len(exp) == int(((contacts["kind"] == "survey") & (contacts["at"] < "2024-06-01")
                            & contacts["satisfaction"].notna()).sum())
    assert exp["satisfaction"].between(1, 5).all() and (exp["slowest_ticket_days"] >= 0).all()
    with pytest.raises(InputError, match="at least 30"):
        satisfaction_drivers(contacts, "2023-01-10", {"outage": 8.0})
