"""Complaint and request texts in Chinese (and some English), with their truth labels.

Each contact that carries a text gets one written for its topic (``contacts.topic``, one of
:data:`~gridcrm.data.schemas.CONTACT_TOPICS`) from one of two template sets written apart:
``style="a"`` is what the synthetic extract uses (and what a classifier is trained on);
``style="b"`` uses other sentence templates, openers, closers and, for about half of its
templates, other words for the same problem (没电了 for 停电, 电钱 for 电费, ...), to measure a
classifier on phrasing it has never seen. Texts are tied to what happened: the topic comes from
the contact's cause in the simulation (a bill shock, an outage in the region, an application);
slots carry hours, amounts and counts; unhappy customers escalate more often (media, the 12398
regulator hotline, lawsuits, ... in the words of :class:`gridcrm.service.SensitiveScreen`'s
lexicon, a third of them obfuscated with spaces, symbols, traditional characters or pinyin);
a few texts carry typos, a name, a phone number or an ID number (personal data to be masked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.errors import InputError

__all__ = ["STYLES", "complaint_texts"]

STYLES = ("a", "b")

_A: dict[str, tuple[str, ...]] = {
    "billing": ("本月电费比平时高很多，要求核查", "电费账单金额有误，请重新核算，这个月{amt}元",
                "没用多少电，电费却翻倍了，是不是算错了", "阶梯电价第三档太贵，收费不合理",
                "app上交了电费还显示欠费，重复扣款{amt}元", "电费突然涨到{amt}元，比上个月多了{n}倍",
                "峰谷电价怎么算的，电费明细看不懂", "My bill this month is far higher than usual, please check it.",
                "The amount on my bill ({amt} yuan) looks wrong."),
    "outage": ("停电{h}个小时了，没有提前通知", "最近频繁停电，影响生产生活", "我们小区又停电了，什么时候来电",
               "昨晚跳闸断电到现在还没恢复，抢修的人一直没来", "计划停电没有通知到位，冰箱里的东西全坏了",
               "一个月停电{n}次，厂里生产受影响", "Power was off for {h} hours without notice.",
               "Frequent outages lately are disrupting us."),
    "voltage": ("电压不稳，灯一直闪", "电压偏低，空调启动不了", "电压太低，晚上家电都带不动",
                "电压忽高忽低，烧坏了{n}台电器", "低电压问题反映多次还没解决",
                "Voltage is unstable and the lights flicker.", "Low voltage, the air conditioner will not start."),
    "meter": ("怀疑电表走得快，申请校验", "电表读数和实际不符", "换了智能电表以后电费明显增加，表是不是有问题",
              "抄表数据不对，示数比实际多了{n}度", "电表箱坏了，表计显示不清楚",
              "I think my meter runs fast, please test it.", "The meter reading does not match my usage."),
    "service_attitude": ("营业厅工作人员态度差", "客服电话一直打不通，处理太慢", "工作人员推诿扯皮，问题没人管",
                         "抢修人员态度恶劣，说话很冲", "打95598等了{n}分钟都没人接",
                         "Counter staff were rude.", "Could not get through to the hotline; the case is slow."),
    "business_handling": ("办理过户手续要跑好几趟，材料太多", "想销户退预存电费，一直办不下来",
                          "咨询一下更名需要带什么资料", "网上国网app上办理业务一直提交失败",
                          "申请开发票，{d}天了还没给", "How do I transfer the account to my name?",
                          "I want to close my account and get my deposit back."),
    "connection": ("申请新装报装{d}天了还没接电", "增容申请提交后没人联系", "新房子装表接电太慢，等了{d}天",
                   "充电桩报装流程太复杂", "厂里要增加变压器容量，业扩办理进度太慢",
                   "We applied for a new connection {d} days ago and are still waiting.",
                   "Our capacity increase request has had no answer."),
    "other": ("上次反映的问题已经处理了，谢谢", "回访电话，没有其他意见", "你们的服务还可以，希望继续保持",
              "问一下营业厅周末上不上班", "建议多搞一些节能用电宣传", "Thanks, the problem was solved.",
              "No further comments."),
}
_B: dict[str, tuple[str, ...]] = {
    "billing": ("这个月交的电钱足足{amt}块，家里根本没怎么开空调", "扣款两次，钱被多扣了，麻烦退回来",
                "收费标准到底怎么定的，缴费金额一个月比一个月离谱", "电费单上的数字我核对不上",
                "Why was I charged {amt} yuan twice this month?"),
    "outage": ("整条街都没电了，黑了{h}钟头", "家里突然断电，到现在灯都不亮", "三天两头拉闸，这日子没法过",
               "又停电了，连个短信都没有", "Blackout again in our street, {h} hours now."),
    "voltage": ("灯泡忽明忽暗，洗衣机转不起来", "电不够用，一开电磁炉就带不动", "家里电压时高时低，电视机都烧了",
                "Appliances keep shutting down because the supply is too weak."),
    "meter": ("表跑得比以前快多了，想请人来测一测", "计量装置显示的度数明显偏大", "电表上的数跟账单对不上",
              "The counter on the meter keeps jumping even when everything is off."),
    "service_attitude": ("话务员不耐烦，直接挂我电话", "办事员爱答不理，一问三不知", "那个师傅态度很差，还骂人",
                         "The operator hung up on me."),
    "business_handling": ("房子卖了，户主要改成新房东的名字", "不住了想把户头注销掉", "开具的票据抬头写错了要重开",
                          "How can I change the name on the account?"),
    "connection": ("新开的门面还没通上电，立户手续拖了{d}天", "想给厂房扩容，方案一直批不下来",
                   "小区新楼盘报装了还没送电", "Our new shop is still not connected after {d} days."),
    "other": ("挺满意的，没什么要说的", "就是随便问问，没事了", "给你们点个赞", "All good, nothing to add."),
}
_OPEN = {"a": ("", "", "你好，", "您好，", "请问，", "我要反映一下，"), "b": ("", "喂，", "麻烦问下，", "跟你们说个事，")}
_CLOSE = {"a": ("", "", "。", "，请尽快处理。", "，希望尽快回复。", "！"),
          "b": ("", "", "。", "，赶紧给个说法。", "，等你们消息。", "!!")}
# Escalation phrases (by the screen lexicon's categories); ``{t}`` is the term, possibly obfuscated.
_ESCALATE = (("media", "再不解决我就找{t}曝光"), ("media", "我要发{t}让大家评评理"),
             ("regulator", "不处理我就打{t}投诉"), ("regulator", "我要向{t}反映"),
             ("lawsuit", "我要去法院{t}你们"), ("petition", "不行我就去{t}"),
             ("consumer", "我已经联系{t}了"), ("police", "再这样我就{t}"), ("abuse", "{t}，什么破服务"),
             ("safety", "电线冒烟了，有{t}危险"))
_TERMS = {"media": ("媒体", "记者", "微博", "抖音"), "regulator": ("12398", "能源局", "市长热线", "12345"),
          "lawsuit": ("起诉", "告"), "petition": ("上访", "信访"), "consumer": ("消协", "消费者协会"),
          "police": ("报警", "报110"), "abuse": ("垃圾", "混蛋"), "safety": ("触电", "起火")}
_PINYIN = {"媒体": "meiti", "记者": "jizhe", "起诉": "qisu", "上访": "shangfang", "信访": "xinfang",
           "报警": "baojing", "消协": "xiaoxie", "曝光": "baoguang"}
_TRAD = str.maketrans("体记诉访协报电费压表坏还线", "體記訴訪協報電費壓錶壞還線")
_TYPO = str.maketrans({"费": "废", "压": "鸭", "修": "休", "表": "标", "装": "妆", "态": "太"})
_SURNAMES = "王李张刘陈杨黄赵吴周"


def _obfuscate(term: str, how: int, rng: np.random.Generator) -> str:
    if how == 0 and len(term) > 1:
        sep = (" ", "*", "-", ".", "_", "、")[int(rng.integers(6))]
        return sep.join(term)
    if how == 1:
        return term.translate(_TRAD)
    if how == 2 and term in _PINYIN:
        return _PINYIN[term]
    if how == 3 and term.isascii():
        return "".join(chr(ord(c) + 0xFEE0) for c in term)  # full-width digits/letters
    return " ".join(term)


def complaint_texts(topics: np.ndarray | pd.Series, rng: np.random.Generator, *, style: str = "a",
                    anger: np.ndarray | None = None, english_share: float = 0.15,
                    escalation_share: float = 0.04, pii_share: float = 0.08,
                    typo_share: float = 0.05) -> pd.DataFrame:
    """One text per topic id, written from the template set ``style``, with its truth.

    Parameters
    ----------
    topics : array-like of str
        Topic ids of :data:`~gridcrm.data.schemas.CONTACT_TOPICS`, one per text.
    rng : numpy.random.Generator
    style : {"a", "b"}
        Template set: ``"a"`` (the synthetic extract's) or ``"b"`` (held out: other templates
        and other wording, to judge a classifier trained on ``"a"``).
    anger : ndarray of float in [0, 1], optional
        Per text, how angry the customer is; the chance of escalation language is
        ``escalation_share × 2 × anger`` (``escalation_share`` on average when None).
    english_share, escalation_share, pii_share, typo_share : float
        Shares of texts written from the English templates, with escalation language, with a
        name and phone or ID number, and with one typo.

    Returns
    -------
    DataFrame
        ``text``, ``topic``, ``escalation`` (the category of the escalation phrase or ""),
        ``obfuscated`` (the escalation term was disguised), ``pii`` (bool), ``english`` (bool).

    Examples
    --------
    >>> out = complaint_texts(["outage", "billing"], np.random.default_rng(0))
    >>> list(out.columns), len(out)
    (['text', 'topic', 'escalation', 'obfuscated', 'pii', 'english'], 2)
    """
    if style not in STYLES:
        raise InputError(f"complaint_texts: style={style!r} is not allowed; expected one of {list(STYLES)}")
    topic = np.asarray(topics, dtype=object)
    bad = sorted(set(topic.tolist()) - set(CONTACT_TOPICS))
    if bad:
        raise InputError(f"complaint_texts: topics {bad[:5]} are not topic ids; expected {list(CONTACT_TOPICS)}")
    n = len(topic)
    sets = _A if style == "a" else _B
    english_pos = {t: [i for i, s in enumerate(v) if s.isascii()] for t, v in sets.items()}
    chinese_pos = {t: [i for i, s in enumerate(v) if not s.isascii()] for t, v in sets.items()}
    english = rng.random(n) < english_share
    pick = rng.random(n)
    angry = np.full(n, 0.5) if anger is None else np.clip(np.asarray(anger, dtype=float), 0.0, 1.0)
    escalate = rng.random(n) < escalation_share * 2.0 * angry
    esc_pick = rng.integers(0, len(_ESCALATE), n)
    term_pick = rng.random(n)
    obfuscate = rng.random(n) < 1 / 3
    how = rng.integers(0, 4, n)
    pii = rng.random(n) < pii_share
    typo = rng.random(n) < typo_share
    slots = {"h": rng.integers(2, 30, n), "amt": rng.integers(80, 3000, n), "n": rng.integers(2, 6, n),
             "d": rng.integers(5, 60, n)}
    opener = rng.integers(0, len(_OPEN[style]), n)
    closer = rng.integers(0, len(_CLOSE[style]), n)
    phone = rng.integers(10**9, 10**10, n)
    out_text, out_esc, out_obf = [], [], []
    for i in range(n):  # string assembly; the draws above are vectorised
        t = topic[i]
        pos = english_pos[t] if english[i] else chinese_pos[t]
        body = sets[t][pos[int(pick[i] * len(pos))]].format(**{k: v[i] for k, v in slots.items()})
        if english[i]:
            text = body
        else:
            text = _OPEN[style][opener[i]] + body + _CLOSE[style][closer[i]]
            if typo[i]:
                text = text.translate(_TYPO)
        esc, obf = "", False
        if escalate[i]:
            esc, phrase = _ESCALATE[esc_pick[i]]
            terms = _TERMS[esc]
            term = terms[int(term_pick[i] * len(terms))]
            if obfuscate[i]:
                term, obf = _obfuscate(term, int(how[i]), rng), True
            text = text.rstrip("。！!") + "，" + phrase.format(t=term) + "！"
        if pii[i]:
            name = _SURNAMES[phone[i] % 10]
            who = (f"我是{name}先生，电话1{phone[i]}" if phone[i] % 3 else
                   f"联系人{name}女士，身份证号{phone[i]:010d}{phone[i] % 10**7:07d}X")
            text = f"{text} {who}"
        out_text.append(text)
        out_esc.append(esc)
        out_obf.append(obf)
    return pd.DataFrame({"text": out_text, "topic": topic, "escalation": out_esc, "obfuscated": out_obf,
                         "pii": pii, "english": english})
