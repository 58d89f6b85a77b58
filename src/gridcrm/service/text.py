"""Chinese (and English) contact texts made comparable: width, script, case, punctuation, spacing; tokens.

:func:`normalize_text` is what every model of :mod:`gridcrm.service` reads: full-width
letters, digits and punctuation to their ASCII forms, traditional characters to simplified
(OpenCC's ``t2s`` conversion, phrase by phrase), lower case, Chinese punctuation to its ASCII
counterpart, runs of spaces to one. :func:`tokenize` cuts a normalised text into words with
jieba's dictionary and cuts (through jieba-rs) and the utility's domain dictionary
(电费, 停电, 电压, 表计, 业扩, 95598, ... shipped as
``gridcrm/service/data/domain_dict.txt``). :func:`fold_chars` is the one-for-one part of the
normalisation (no character is added or removed), which :class:`~gridcrm.service.SensitiveScreen`
needs to report matches at their positions in the original text.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from importlib import resources

import numpy as np

from gridcrm.errors import InputError

__all__ = ["DOMAIN_WORDS", "fold_chars", "normalize_text", "tokenize"]

logger = logging.getLogger(__name__)

_PUNCT = {"，": ",", "。": ".", "！": "!", "？": "?", "：": ":", "；": ";", "（": "(", "）": ")", "【": "[",
          "】": "]", "“": '"', "”": '"', "‘": "'", "’": "'", "、": ",", "《": "<", "》": ">", "～": "~",
          "—": "-", "…": ".", "·": ".", "　": " "}
_SPACES = re.compile(r"\s+")
_SEP = "\n"


def _as_texts(texts: Iterable[object], what: str = "texts") -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise InputError(f"{what}: expected a sequence of texts, got a single {type(texts).__name__}; "
                         "wrap it in a list")
    out = []
    for t in texts:
        if t is None or (isinstance(t, float) and np.isnan(t)):
            out.append("")
        elif isinstance(t, str):
            out.append(t)
        else:
            raise InputError(f"{what}: expected str (or None for no text), got {type(t).__name__} {t!r}")
    return out


@functools.cache
def _converter():  # noqa: ANN202 - opencc has no type stubs
    import opencc

    return opencc.OpenCC("t2s.json")


@functools.cache
def _char_table() -> dict[int, str]:
    """One character to one character: width, case, punctuation and traditional → simplified."""
    table: dict[int, str] = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
    table.update({ord(k): v for k, v in _PUNCT.items()})
    table.update({c: chr(c + 32) for c in range(ord("A"), ord("Z") + 1)})
    table.update({c: chr(c + 32 - 0xFEE0) for c in range(0xFF21, 0xFF3B)})
    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    simplified = _converter().convert(_SEP.join(chars)).split(_SEP)
    if len(simplified) == len(chars):  # phrase rules never span the separator; guard all the same
        table.update({ord(t): s for t, s in zip(chars, simplified, strict=True) if t != s and len(s) == 1})
    return table


def fold_chars(texts: Sequence[str] | Iterable[str]) -> list[str]:
    """Fold each character on its own: full-width → ASCII, upper → lower case, traditional → simplified.

    The length of every text is kept, so a position in the folded text is a position in the
    original. Chinese punctuation becomes its ASCII counterpart.

    Parameters
    ----------
    texts : sequence of str
        None is taken as an empty text.

    Returns
    -------
    list of str

    Examples
    --------
    >>> fold_chars(["停電！ＡＢＣ　95598", None])
    ['停电!abc 95598', '']
    """
    table = _char_table()
    return [t.translate(table) for t in _as_texts(texts)]


def normalize_text(texts: Sequence[str] | Iterable[str]) -> list[str]:
    """Normalise contact texts: simplified script, half-width, lower case, ASCII punctuation, single spaces.

    Traditional characters are converted phrase by phrase with OpenCC (``t2s``); then each
    character is folded (:func:`fold_chars`) and runs of whitespace become one space.

    Parameters
    ----------
    texts : sequence of str
        None is taken as an empty text.

    Returns
    -------
    list of str
        One normalised text per input, in order.

    Raises
    ------
    gridcrm.errors.InputError
        ``texts`` is a single string, or holds something other than str/None.

    Examples
    --------
    >>> normalize_text(["電費帳單太貴了！！  ＰＬＥＡＳＥ  check", "电压不稳，灯一直闪。"])
    ['电费帐单太贵了!! please check', '电压不稳,灯一直闪.']
    """
    items = _as_texts(texts)
    if not items:
        return []
    joined = _SEP.join(t.replace(_SEP, " ") for t in items)
    converted = _converter().convert(joined).split(_SEP)
    if len(converted) != len(items):  # never seen; keep the one-for-one result rather than misalign
        converted = [t.replace(_SEP, " ") for t in items]
    table = _char_table()
    return [_SPACES.sub(" ", t.translate(table)).strip() for t in converted]


@functools.cache
def _domain_words() -> tuple[str, ...]:
    text = resources.files("gridcrm.service").joinpath("data/domain_dict.txt").read_text(encoding="utf-8")
    return tuple(line.split()[0] for line in text.splitlines() if line.strip())


#: Words of the shipped domain dictionary (``gridcrm/service/data/domain_dict.txt``).
DOMAIN_WORDS = _domain_words()


@functools.cache
def _segmenter():  # noqa: ANN202
    """jieba-rs (the Rust port of jieba, same dictionary and cuts, ~25× faster) with the domain words."""
    import rjieba

    seg = rjieba.Jieba()
    for word in DOMAIN_WORDS:
        seg.add_word(word, 1000, None)
    return seg


@functools.cache
def _tokenizer():  # noqa: ANN202
    """Python jieba with the domain dictionary: its word frequencies (and the benchmark's reference)."""
    import jieba

    tok = jieba.Tokenizer()
    path = resources.files("gridcrm.service").joinpath("data/domain_dict.txt")
    with resources.as_file(path) as p:
        tok.load_userdict(str(p))  # jieba initialises its own dictionary first (about 1 s, cached on disk)
    return tok


def tokenize(text: str) -> list[str]:
    """Words of one normalised text: jieba's dictionary and the domain words, no HMM, no spaces or punctuation.

    The cut is jieba's (the Rust port jieba-rs through rjieba gives the same words as the
    Python jieba with the domain dictionary, ~25× faster; ``experiments/bench_service.py
    tokenizers`` compares them).

    Parameters
    ----------
    text : str
        A text, normalised by :func:`normalize_text` (tokenising raw text works but splits
        traditional and full-width forms differently).

    Returns
    -------
    list of str

    Examples
    --------
    >>> tokenize("打95598投诉,本月电费翻倍,电表走字太快")
    ['打', '95598', '投诉', '本月', '电费', '翻倍', '电表', '走字', '太', '快']
    """
    if not isinstance(text, str):
        raise InputError(f"tokenize: expected one str, got {type(text).__name__}")
    return [w for w in _segmenter().cut(text, False) if w.strip() and not _PUNCT_ONLY.fullmatch(w)]


_PUNCT_ONLY = re.compile(r"[\W_]+")
