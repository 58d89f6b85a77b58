"""Normalisation and tokenisation of contact texts (#17)."""

from __future__ import annotations

import pytest

from gridcrm.errors import InputError
from gridcrm.service import DOMAIN_WORDS, fold_chars, normalize_text, tokenize


def test_normalize_folds_width_script_case_punctuation_and_spaces():
    out = normalize_text(["電費帳單　有誤！", "ＰＯＷＥＲ   OFF\tagain", None, "电压不稳。"])
    assert out == ["电费帐单 有误!", "power off again", "", "电压不稳."]


def test_fold_chars_keeps_every_length():
    texts = ["投訴到媒體，ＸＸ！", "１２３９８", "plain"]
    folded = fold_chars(texts)
    assert [len(t) for t in folded] == [len(t) for t in texts]
    assert folded == ["投诉到媒体,xx!", "12398", "plain"]


def test_bad_input_is_refused_with_what_was_expected():
    with pytest.raises(InputError, match="single str"):
        normalize_text("停电")
    with pytest.raises(InputError, match="expected str"):
        normalize_text(["停电", 5])
    with pytest.raises(InputError, match="one str"):
        tokenize(["停电"])


def test_domain_dictionary_keeps_utility_words_whole():
    assert {"电费", "停电", "电压", "表计", "业扩", "95598"} <= set(DOMAIN_WORDS)
    words = tokenize(normalize_text(["申请业扩报装,智能电表示数不对,打了95598"])[0])
    assert {"业扩", "报装", "智能电表", "示数", "95598"} <= set(words)
    assert "," not in words
