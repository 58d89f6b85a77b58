"""The utility-service thesaurus: concept groups, synonym variants, widened rules, and what they buy (#17)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.data.synth.texts import complaint_texts
from gridcrm.service import ComplaintClassifier
from gridcrm.service.errors import ServiceConfigError
from gridcrm.service.judge import topic_macro_f1
from gridcrm.service.rules import load_topic_rules, load_topic_thesaurus
from gridcrm.service.text import normalize_text

HANDWRITTEN = Path(__file__).parent / "data" / "handwritten_complaints.csv"
SMALL = {"topics": {"outage": {"no_power": ["停电", "没电", "断电"], "trip": ["跳闸", "拉闸"]},
                    "billing": {"bill": ["电费", "账单", "bill*"], "money": ["元"]}}}


def test_concepts_mark_the_groups_a_text_mentions_and_ascii_words_only_at_word_edges():
    th = load_topic_thesaurus(SMALL)
    assert th.names == ["outage.no_power", "outage.trip", "billing.bill", "billing.money"]
    m = th.concepts(normalize_text(["又停电又跳闸,停电!", "My BILLS: 300元", "rebill", "", "没电"])).toarray()
    np.testing.assert_array_equal(m, [[1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(th.topic_scores(["停电跳闸,电费"]), [[2, 1]])
    assert th.concepts([]).shape == (0, 4)


def test_variants_swap_words_within_their_group_and_keep_the_rest():
    th = load_topic_thesaurus(SMALL)
    rng = np.random.default_rng(0)
    texts = ["昨晚停电了,电费也贵", "你好", "the bills are wrong"]
    seen = set()
    for _ in range(30):
        a, b, c = th.variants(texts, rng)
        assert a[0:2] == "昨晚" and a.endswith("也贵") and b == "你好" and c.endswith(" are wrong")
        assert a[2:4] in {"停电", "没电", "断电"} and a[6:8] in {"电费", "账单"}
        assert c.split()[1] == "bill"  # the only ASCII word of the group replaces the whole word
        seen.add(a)
    assert len(seen) == 6  # 3 × 2 combinations all drawn
    assert th.variants(texts, rng, share=0.0) == texts


@pytest.mark.parametrize("source, message", [
    ({"topics": {"outage": {"a": ["停电"], "b": ["停电"]}}}, r"topics.outage.b: word '停电' is already in outage.a"),
    ({"topics": {"power": {"a": ["停电"]}}}, "topics.power: not a topic id"),
    ({"topics": {"outage": ["停电"]}}, "topics.outage: expected a mapping group"),
    ({"topics": {"outage": {"a": []}}}, "topics.outage.a: expected a non-empty list"),
    ({"topics": {"outage": {"a": ["停*"]}}}, "only an ASCII word can end in"),
    ({"topics": {"outage": {"a": ["停电"]}}, "extra": 1}, r"unknown key\(s\) \['extra'\]"),
])
def test_bad_thesaurus_is_refused_naming_the_key(source, message):
    with pytest.raises(ServiceConfigError, match=message):
        load_topic_thesaurus(source)


def test_rules_read_a_thesaurus_file_next_to_them_or_none(tmp_path):
    (tmp_path / "th.yaml").write_text("topics:\n  outage:\n    trip: [拉闸]\n", encoding="utf-8")
    (tmp_path / "rules.yaml").write_text("topics:\n  billing: [电费]\nthesaurus: th.yaml\n", encoding="utf-8")
    rules = load_topic_rules(tmp_path / "rules.yaml")
    assert rules.thesaurus.names == ["outage.trip"]
    assert rules.weak_labels(["又拉闸了", "电费", "你好"]).tolist() == ["outage", "billing", None]
    none = load_topic_rules({"topics": {"billing": ["电费"]}, "thesaurus": None})
    assert none.thesaurus is None and none.weak_labels(["又拉闸了"]).tolist() == [None]
    assert load_topic_rules({"topics": {"billing": ["电费"]}}).thesaurus.names == load_topic_thesaurus().names
    with pytest.raises(ServiceConfigError, match="thesaurus: expected a path, a mapping or null"):
        load_topic_rules({"topics": {"billing": ["电费"]}, "thesaurus": 3})


def test_a_synonym_never_seen_in_training_counts_for_its_topic_through_the_thesaurus():
    # training says 停电 and 电费 only; 拉闸/断电 and 账单 appear in no training text
    texts = ["昨天停电了", "又停电了", "停电好久", "小区停电", "晚上停电", "停电三次",
             "电费太贵", "电费不对", "电费多了", "这个月电费", "电费翻倍", "电费有问题"]
    topics = ["outage"] * 6 + ["billing"] * 6
    new = ["拉闸", "断电", "账单寄来了"]
    with_th = ComplaintClassifier(random_state=0, rules={"topics": {"billing": ["电费"]}, "thesaurus": SMALL})
    proba = with_th.fit(texts, topics).predict_proba(new)
    assert with_th.predict(new).tolist() == ["outage", "outage", "billing"]
    assert with_th.n_training_texts_ == 3 * len(texts)  # each text and two synonym variants
    without = ComplaintClassifier(random_state=0, rules={"topics": {"billing": ["电费"]}, "thesaurus": None})
    base = without.fit(texts, topics).predict_proba(new)
    # the thesaurus makes the right topic much more likely on each unseen wording (0.4-0.6 without it)
    right = proba[[0, 1, 2], [1, 1, 0]]
    assert (right > 0.7).all() and (right > base[[0, 1, 2], [1, 1, 0]] + 0.2).all(), (proba, base)


def test_fitted_classifier_pickles_and_predicts_the_same():
    texts = ["停电了", "又停电", "电费贵", "电费高", "电压低", "电压不稳"]
    clf = ComplaintClassifier(random_state=0).fit(texts, ["outage"] * 2 + ["billing"] * 2 + ["voltage"] * 2)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(["跳闸没电", "账单"]), clf.predict_proba(["跳闸没电", "账单"]))


def test_hand_written_complaints_are_classified_after_training_on_the_generator():
    """A third, independently written set (80 complaints, 10 per topic, written before any measurement)."""
    hand = pd.read_csv(HANDWRITTEN)
    assert hand["topic"].value_counts().to_dict() == dict.fromkeys(CONTACT_TOPICS, 10)
    rng = np.random.default_rng(11)
    train = complaint_texts(rng.choice(np.array(CONTACT_TOPICS, dtype=object), 1500), rng, style="a")
    clf = ComplaintClassifier(random_state=0).fit(train["text"], train["topic"])
    f1 = topic_macro_f1(clf.predict(hand["text"]), hand["topic"])
    baseline = ComplaintClassifier(random_state=0, rules={"topics": {"billing": ["电费"]}, "thesaurus": None})
    f1_base = topic_macro_f1(baseline.fit(train["text"], train["topic"]).predict(hand["text"]), hand["topic"])
    assert f1 >= 0.85 and f1 > f1_base + 0.05, (f1, f1_base)


def test_probabilities_are_the_mean_of_the_svm_and_the_concepts_only_model_and_stay_calibrated():
    rng = np.random.default_rng(3)
    data = complaint_texts(rng.choice(np.array(CONTACT_TOPICS, dtype=object), 1200), rng, style="a")
    train, test = data.iloc[:900], data.iloc[900:]
    clf = ComplaintClassifier(random_state=0).fit(train["text"], train["topic"])
    assert clf.calibrated_ and clf.concept_model_ is not None
    assert clf.n_training_texts_ == 3 * len(train)
    X = clf.vectorizer_.transform(normalize_text(test["text"].tolist()))
    n_concepts = len(clf.rules_.thesaurus.groups) + len(clf.rules_.thesaurus.topics)
    assert clf.concept_model_.n_features_in_ == n_concepts
    expected = 0.5 * clf.model_.predict_proba(X) + 0.5 * clf.concept_model_.predict_proba(X[:, -n_concepts:])
    proba = clf.predict_proba(test["text"])
    np.testing.assert_allclose(proba, expected / expected.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-6)
    # calibration: in bins of the top probability, the mean top probability is near the accuracy
    top, hit = proba.max(axis=1), clf.classes_[proba.argmax(axis=1)] == test["topic"].to_numpy()
    bins = np.digitize(top, [0.5, 0.7, 0.9])
    ece = sum(abs(top[bins == b].mean() - hit[bins == b].mean()) * (bins == b).mean() for b in np.unique(bins))
    assert ece < 0.1, ece
    none = ComplaintClassifier(random_state=0, rules={"topics": {"billing": ["电费"]}, "thesaurus": None})
    assert none.fit(train["text"], train["topic"]).concept_model_ is None
    assert none.n_training_texts_ == len(train)
