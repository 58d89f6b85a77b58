"""SensitiveScreen: lexicon, obfuscation-robust matching, positions, false-positive guards (#17)."""

from __future__ import annotations

import pytest

from gridcrm.service import SensitiveScreen, load_lexicon
from gridcrm.service.errors import ServiceConfigError

LEX = {"categories": {"media": {"severity": 3, "terms": ["媒体", "曝光"], "aliases": {"meiti": "媒体"}},
                      "regulator": {"severity": 2, "terms": ["12398"]}},
       "negations": ["不会"]}


@pytest.fixture(scope="module")
def screen():
    return SensitiveScreen(LEX)


@pytest.mark.parametrize("text, matched, via", [
    ("我要找媒体", "媒体", "exact"), ("我要找媒 体", "媒 体", "exact"), ("我要找媒*体!", "媒*体", "exact"),
    ("我要找媒體", "媒體", "exact"), ("我要找煤体", "煤体", "homophone"), ("找 MEITI 来", "MEITI", "alias"),
])
def test_obfuscated_spellings_are_found_at_their_positions(screen, text, matched, via):
    hits = screen.find(["电费正常", text])
    assert hits[["text_id", "term", "matched", "via"]].values.tolist() == [[1, "媒体", matched, via]]
    start, end = hits.loc[0, ["start", "end"]]
    assert text[start:end] == matched


def test_digits_terms_stand_apart_from_other_digits(screen):
    hits = screen.find(["打１２３９８", "电话13812398765", "金额212398元", "打 1 2 3 9 8 投诉"])
    assert hits["text_id"].tolist() == [0, 3]
    assert hits["category"].tolist() == ["regulator", "regulator"] and hits["severity"].tolist() == [2, 2]


def test_negation_and_quotes_are_flagged_and_not_counted(screen):
    texts = ["我不会找媒体的", "他说“去找媒体”", "我去找媒体"]
    hits = screen.find(texts)
    assert hits["negated"].tolist() == [True, False, False]
    assert hits["quoted"].tolist() == [False, True, False]
    flags = screen.flags(texts)
    assert flags["n_matches"].tolist() == [0, 0, 1]
    assert flags["max_severity"].tolist() == [0, 0, 3]
    assert flags.loc[2, "reasons"] == "media: 媒体"


def test_ordinary_words_that_sound_like_a_term_are_not_matches():
    hits = SensitiveScreen().find(["电线杆上方的线掉了", "我要去上仿", "我要上访"])
    assert hits[["text_id", "via"]].values.tolist() == [[1, "homophone"], [2, "exact"]]


def test_default_lexicon_covers_the_issue_categories():
    lex = load_lexicon()
    assert {"media", "regulator", "consumer", "police", "petition", "lawsuit", "safety", "abuse"} == set(
        lex.descriptions)
    assert SensitiveScreen().find([]).empty


@pytest.mark.parametrize("raw, message", [
    ({"categories": {"media": {"severity": 0, "terms": ["x"]}}}, "categories.media.severity"),
    ({"categories": {"media": {"terms": []}}}, "categories.media.terms"),
    ({"categories": {"media": {"terms": ["记者"], "aliases": {"jz": "媒体"}}}}, "aliases.jz"),
    ({"categories": {"a": {"terms": ["记者"]}, "b": {"terms": ["记者"]}}}, "also listed under categories.a"),
    ({"categories": {"a": {"terms": ["记者"], "colour": 1}}}, "unknown key"),
    ({"words": []}, "unknown key"),
])
def test_bad_lexicons_are_refused_naming_the_key(raw, message):
    with pytest.raises(ServiceConfigError, match=message):
        SensitiveScreen(raw).find(["x"])
