"""ComplaintClassifier: topics, weak labels, calibrated probabilities, urgency, refusals (#17)."""

from __future__ import annotations

import numpy as np
import pytest

from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.data.synth.texts import complaint_texts
from gridcrm.errors import InputError
from gridcrm.service import ComplaintClassifier

TEXTS = ["停电三个小时", "又停电了", "昨晚跳闸断电", "电费太高", "电费算错了", "账单金额不对",
         "电压不稳", "电压太低", "灯一直闪电压低"]
TOPICS = ["outage"] * 3 + ["billing"] * 3 + ["voltage"] * 3


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(5)
    topics = rng.choice(np.array(CONTACT_TOPICS, dtype=object), 1200)
    return complaint_texts(topics, rng, style="a")


def test_predicts_one_topic_id_per_text_with_probabilities_that_sum_to_one():
    clf = ComplaintClassifier(random_state=0).fit(TEXTS, TOPICS)
    assert clf.classes_.tolist() == ["billing", "outage", "voltage"]
    assert not clf.calibrated_  # 3 examples per topic: too few to calibrate
    proba = clf.predict_proba(["停电了", "电费", "电压"])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert clf.predict(["停电了", "这个月电费", "电压低"]).tolist() == ["outage", "billing", "voltage"]
    assert clf.predict([]).shape == (0,)


def test_weak_labels_from_the_rules_fill_missing_topics_and_are_counted():
    # "电压低,电费也高": the thesaurus words 电压 + 电压低 (weight 2 + 3) outweigh 电费 (2): voltage;
    # "停电,电费": 停电 (outage) and 电费 (billing) tie: left out
    texts = ["停电了", "又停电", "电费贵", "电费高", "你好", "电压低,电费也高", "停电,电费"]
    clf = ComplaintClassifier(random_state=0).fit(texts, ["outage", None, None, float("nan"), None, None, None])
    assert (clf.n_labelled_, clf.n_weak_labelled_, clf.n_unlabelled_) == (1, 4, 2)
    assert set(clf.classes_) == {"outage", "billing", "voltage"}
    unlabelled = ComplaintClassifier(random_state=0).fit(texts)
    assert (unlabelled.n_labelled_, unlabelled.n_weak_labelled_) == (0, 5)


def test_learns_the_generator_topics_and_is_calibrated(synthetic):
    train, test = synthetic.iloc[:900], synthetic.iloc[900:]
    clf = ComplaintClassifier(random_state=0).fit(train["text"], train["topic"])
    assert clf.calibrated_ and sorted(clf.classes_) == sorted(CONTACT_TOPICS)
    assert (clf.predict(test["text"]) == test["topic"].to_numpy()).mean() > 0.9
    again = ComplaintClassifier(random_state=0).fit(train["text"], train["topic"])
    np.testing.assert_array_equal(again.predict_proba(test["text"]), clf.predict_proba(test["text"]))


def test_urgency_reads_urgent_words_and_the_sensitive_screen():
    out = ComplaintClassifier().urgency(["电线冒烟了", "电费有疑问", "停电好几天了还没来电", "再不处理找记者曝光"])
    assert out["level"].tolist() == ["high", "low", "medium", "high"]
    assert out["score"].tolist() == [2, 0, 1, 2]
    assert "冒烟" in out.loc[0, "reasons"] and "media" in out.loc[3, "reasons"]


@pytest.mark.parametrize("kwargs, texts, topics, message", [
    ({}, TEXTS, TOPICS[:-1], "8 values for 9 texts"),
    ({}, TEXTS, ["power"] * 9, "not topic ids"),
    ({}, TEXTS[:3], TOPICS[:3], "at least two topics"),
    ({}, "停电", None, "single str"),
    ({"C": 0}, TEXTS, TOPICS, "C=0 is not allowed"),
    ({"calibration": "platt"}, TEXTS, TOPICS, "calibration='platt' is not allowed"),
])
def test_bad_input_is_refused(kwargs, texts, topics, message):
    with pytest.raises(InputError, match=message):
        ComplaintClassifier(**kwargs).fit(texts, topics)
