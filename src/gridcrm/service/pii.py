"""Personal data in contact texts masked before a text reaches a log, an artifact or an input example.

:func:`mask_pii` replaces Chinese ID numbers (18 or 15 digits), mobile and landline phone
numbers, e-mail addresses and names (``张先生``, ``王女士``, ``我叫…``, ``我姓…``, ``联系人…``,
``my name is …``) by placeholders. Full-width digits are found like ASCII ones (the search runs
on :func:`~gridcrm.service.text.fold_chars`, which keeps every position).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from gridcrm.service.text import _as_texts, fold_chars

__all__ = ["PII_PATTERNS", "mask_pii"]

_CJK = "\u4e00-\u9fff"
#: (placeholder, pattern) in the order they are applied; each pattern's group 1 is what is masked.
PII_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[EMAIL]", re.compile(r"([\w.+-]+@[\w-]+\.[\w.]+)")),
    ("[ID]", re.compile(r"(?<![0-9])([0-9]{17}[0-9x]|[0-9]{15})(?![0-9])")),
    ("[PHONE]", re.compile(r"(?<![0-9])((?:\+?86[- ]?)?1[0-9]{2}[- ]?[0-9]{4}[- ]?[0-9]{4})(?![0-9])")),
    ("[PHONE]", re.compile(r"(?<![0-9])(0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")),
    ("[NAME]", re.compile(rf"(?:我叫|我是|姓名[:]?|联系人[:]?|户主[:]?)([{_CJK}]{{1,3}}?)(?=先生|女士|小姐|[,. ]|$)")),
    ("[NAME]", re.compile(rf"(?:我姓)([{_CJK}])")),
    ("[NAME]", re.compile(rf"([{_CJK}])(?=先生|女士|小姐|师傅)")),
    ("[NAME]", re.compile(r"(?:my name is |this is )([a-z]+(?: [a-z]+)?)")),
)


def mask_pii(texts: Sequence[str] | Iterable[str]) -> list[str]:
    """Texts with names, phone numbers, ID numbers and e-mail addresses replaced by placeholders.

    Parameters
    ----------
    texts : sequence of str
        None is an empty text.

    Returns
    -------
    list of str

    Examples
    --------
    >>> mask_pii(["停电了 我是张先生，电话13812345678", "身份证号11010519491231002X", "电费 ok"])
    ['停电了 我是[NAME]先生，电话[PHONE]', '身份证号[ID]', '电费 ok']
    """
    items = _as_texts(texts)
    out = []
    for original, folded in zip(items, fold_chars(items), strict=True):
        spans: list[tuple[int, int, str]] = []
        taken = np.zeros(len(folded) + 1, dtype=bool)
        for placeholder, pattern in PII_PATTERNS:
            for m in pattern.finditer(folded):
                a, b = m.span(1)
                if b > a and not taken[a:b].any():
                    spans.append((a, b, placeholder))
                    taken[a:b] = True
        text = original
        for a, b, placeholder in sorted(spans, reverse=True):
            text = text[:a] + placeholder + text[b:]
        out.append(text)
    return out
