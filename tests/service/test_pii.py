"""Personal data masked in contact texts (#17)."""

from __future__ import annotations

import re

import numpy as np

from gridcrm.data.synth.texts import complaint_texts
from gridcrm.service import mask_pii


def test_names_phones_ids_and_emails_are_masked():
    texts = ["停电了 我是张先生，电话13812345678", "联系人周女士，身份证号15324116792411679X",
             "我叫李小明,电话：０２１-６２３４５６７８", "My name is John Smith, mail john@x.com", "我姓王", None]
    assert mask_pii(texts) == ["停电了 我是[NAME]先生，电话[PHONE]", "联系人[NAME]女士，身份证号[ID]",
                               "我叫[NAME],电话：[PHONE]", "My name is [NAME], mail [EMAIL]", "我姓[NAME]", ""]


def test_amounts_readings_and_hotline_numbers_are_kept():
    texts = ["电表1234567度", "上月电费212398元", "打95598和12398投诉", "停电3小时"]
    assert mask_pii(texts) == texts


def test_no_personal_data_of_the_generator_survives():
    out = complaint_texts(np.array(["billing", "outage"] * 300, dtype=object), np.random.default_rng(1),
                          pii_share=1.0)
    masked = mask_pii(out["text"])
    assert not any(re.search(r"\d{11}", t) or re.search(r"[王李张刘陈杨黄赵吴周](先生|女士)", t) for t in masked)
    assert all("[NAME]" in t and ("[PHONE]" in t or "[ID]" in t) for t in masked)
