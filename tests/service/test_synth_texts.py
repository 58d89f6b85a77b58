"""Complaint texts of the generator and the contacts' new ticket columns (#17)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.data.synth import texts as synth_texts
from gridcrm.data.synth.contacts import TOPIC_OF
from gridcrm.data.synth.core import generate_dataset
from gridcrm.data.synth.texts import complaint_texts
from gridcrm.errors import InputError


def test_two_template_sets_share_no_template_opener_or_closer():
    for topic in CONTACT_TOPICS:
        assert not set(synth_texts._A[topic]) & set(synth_texts._B[topic])
    assert not (set(synth_texts._OPEN["a"]) & set(synth_texts._OPEN["b"])) - {""}
    assert not (set(synth_texts._CLOSE["a"]) & set(synth_texts._CLOSE["b"])) - {"", "。"}


def test_texts_follow_their_topics_and_keep_truth():
    topics = np.repeat(np.array(CONTACT_TOPICS, dtype=object), 200)
    out = complaint_texts(topics, np.random.default_rng(3), anger=np.ones(len(topics)))
    assert (out["topic"] == topics).all() and out["text"].str.len().gt(5).all()
    assert 0.05 < out["english"].mean() < 0.25
    esc = out["escalation"] != ""
    assert 0.04 < esc.mean() < 0.13  # 0.04 × 2 × anger 1 on average
    assert not out.loc[~esc, "obfuscated"].any()
    outage = out.loc[(out["topic"] == "outage") & ~out["english"], "text"]
    assert outage.str.contains("停电|断电|来电").mean() > 0.8
    with pytest.raises(InputError, match="style"):
        complaint_texts(["outage"], np.random.default_rng(0), style="c")
    with pytest.raises(InputError, match="not topic ids"):
        complaint_texts(["power"], np.random.default_rng(0))


def test_contacts_have_topic_channel_closing_time_and_repeat_flag():
    data = generate_dataset(300, "2023-01-01", "2024-06-30", seed=2)
    c = data.dataset.contacts
    survey = c["kind"] == "survey"
    assert c.loc[survey, "topic"].isna().all() and c.loc[~survey, "topic"].notna().all()
    assert (c.loc[~survey, "topic"].astype(str) == c.loc[~survey, "category"].map(TOPIC_OF)).all()
    closed = c["closed_at"].notna()
    assert (c.loc[closed, "closed_at"] > c.loc[closed, "at"]).all()
    assert (c["closed_at"].dropna() < pd.Timestamp("2024-07-01")).all()
    assert c.loc[c["kind"] == "complaint", "text"].notna().all()
    # repeat: the customer's previous contact on the same topic is at most 30 days earlier
    d = c.loc[~survey].sort_values("at")
    gap = d.groupby(["customer_id", "topic"], observed=True)["at"].diff()
    assert (d["repeat"] == (gap <= pd.Timedelta(days=30))).all()
    assert d["repeat"].any()
