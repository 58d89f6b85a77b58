"""Sensitive-word and escalation screening at Aho–Corasick speed, robust to obfuscation.

How a text is searched: every character is folded on its own (full-width → ASCII, upper →
lower case, traditional → simplified; :func:`~gridcrm.service.text.fold_chars`), then
everything that is neither a Chinese character nor an ASCII letter or digit is dropped (so
``媒 体``, ``媒*体``, ``媒-体`` read ``媒体``), keeping where each kept character came from. All
texts are joined and searched in one pass of an Aho–Corasick automaton (pyahocorasick) for the
lexicon's spellings (terms and their pinyin aliases), longest match first. A second automaton
searches the same text with every Chinese character replaced by a representative of its
pinyin (so ``没体`` or ``煤体`` read like ``媒体``); such a homophone match is kept only where no
exact match is and when the span is not itself an ordinary word (a word of jieba's
dictionary, e.g. 上方 for 上访). Matches of ASCII-only terms (``12398``, ``110``) must stand
apart from other letters and digits in the original text (not inside ``2123980``). Cheap
false-positive guards: a negation word just before the match (``不会去上访``) and a match inside
quotation marks are flagged (``negated``, ``quoted``), and :meth:`SensitiveScreen.flags` does
not count them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.service.lexicon import Lexicon, load_lexicon
from gridcrm.service.text import _as_texts, fold_chars

__all__ = ["SensitiveScreen"]

logger = logging.getLogger(__name__)

_JOIN = "\x00"
_COLUMNS = ["text_id", "term", "matched", "start", "end", "category", "severity", "via", "negated", "quoted"]
_COMMON_WORD_FREQ = 20  # a homophone span that is a word this frequent in jieba's dictionary is an ordinary word
_QUOTES = "\"“”「」『』"


@functools.cache
def _pinyin_table() -> dict[int, str]:
    """Each Chinese character → the first character (by code point) read with the same toneless pinyin."""
    from pypinyin import Style, lazy_pinyin

    chars = [chr(c) for c in range(0x4E00, 0xA000)]
    readings = lazy_pinyin(chars, style=Style.NORMAL, errors=lambda x: [""] * len(x))
    first: dict[str, str] = {}
    table: dict[int, str] = {}
    for ch, r in zip(chars, readings, strict=True):
        if not r:
            continue
        rep = first.setdefault(r, ch)
        if rep != ch:
            table[ord(ch)] = rep
    return table


@functools.cache
def _common_words() -> frozenset[str]:
    from gridcrm.service.text import _tokenizer

    tok = _tokenizer()
    tok.check_initialized()
    return frozenset(w for w, f in tok.FREQ.items() if f >= _COMMON_WORD_FREQ and 2 <= len(w) <= 6)


def _kept(codes: np.ndarray) -> np.ndarray:
    cjk = (codes >= 0x4E00) & (codes < 0xA000)
    digit = (codes >= 0x30) & (codes <= 0x39)
    lower = (codes >= 0x61) & (codes <= 0x7A)
    return cjk | digit | lower | (codes == 0)


def _ascii_alnum(codes: np.ndarray) -> np.ndarray:
    return ((codes >= 0x30) & (codes <= 0x39)) | ((codes >= 0x61) & (codes <= 0x7A))


class SensitiveScreen:
    """Find sensitive words and escalation language in contact texts.

    Parameters
    ----------
    lexicon : path, mapping, Lexicon or None
        The lexicon (:func:`~gridcrm.service.lexicon.load_lexicon`); None: the shipped one for
        utility contacts.
    homophones : bool
        Also match Chinese terms written with other characters of the same pinyin.
    negation_window : int
        How many characters before a match are searched for a negation word.

    Examples
    --------
    >>> screen = SensitiveScreen()
    >>> hits = screen.find(["再不处理我就找媒 体曝光", "电费太高了", "打１２３９８投訴", "我不会去上访的"])
    >>> hits[["text_id", "term", "matched", "category", "via", "negated"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [[0, '媒体', '媒 体', 'media', 'exact', False], [0, '曝光', '曝光', 'media', 'exact', False],
     [2, '12398', '１２３９８', 'regulator', 'exact', False], [3, '上访', '上访', 'petition', 'exact', True]]
    >>> screen.flags(["再不处理我就找媒 体曝光", "电费太高了"])["max_severity"].tolist()
    [3, 0]
    """

    def __init__(self, lexicon: str | Path | Mapping[str, Any] | Lexicon | None = None, *,
                 homophones: bool = True, negation_window: int = 4) -> None:
        self.lexicon = lexicon
        self.homophones = homophones
        self.negation_window = negation_window

    @functools.cached_property
    def _built(self) -> tuple[Lexicon, Any, Any]:
        import ahocorasick

        lex = load_lexicon(self.lexicon)
        exact = ahocorasick.Automaton()
        for k, spelling in enumerate(lex.entries["spelling"]):
            exact.add_word(spelling, (k, len(spelling)))
        exact.make_automaton()
        homo = None
        if self.homophones:
            table = _pinyin_table()
            homo = ahocorasick.Automaton()
            for k, spelling in enumerate(lex.entries["spelling"]):
                if len(spelling) >= 2 and not spelling.isascii():
                    homo.add_word(spelling.translate(table), (k, len(spelling)))
            if len(homo) == 0:
                homo = None
            else:
                homo.make_automaton()
        return lex, exact, homo

    def find(self, texts: Sequence[str] | Iterable[str]) -> pd.DataFrame:
        """One row per match.

        Parameters
        ----------
        texts : sequence of str
            None is an empty text.

        Returns
        -------
        DataFrame
            ``text_id`` (position in ``texts``), ``term`` (as in the lexicon), ``matched`` (the span of
            the original text), ``start``/``end`` (its character positions), ``category``,
            ``severity``, ``via`` (``exact``, ``alias`` or ``homophone``), ``negated``, ``quoted``;
            sorted by text and position.
        """
        lex, exact, homo = self._built
        items = _as_texts(texts)
        if not items:
            return pd.DataFrame({c: [] for c in _COLUMNS})
        originals = _JOIN.join(t.replace(_JOIN, " ") for t in items)
        folded = _JOIN.join(fold_chars([t.replace(_JOIN, " ") for t in items]))
        codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
        keep = _kept(codes)
        where = np.flatnonzero(keep)  # position in the joined text of each kept character
        clean = codes[keep].tobytes().decode("utf-32-le")
        starts = np.flatnonzero(codes == 0) + 1
        starts = np.concatenate([[0], starts])
        ends_e, ids_e = self._scan(exact, clean)
        found = [(ends_e, ids_e, np.zeros(len(ids_e), dtype=bool))]
        if homo is not None:
            ends_h, ids_h = self._scan(homo, clean.translate(_pinyin_table()))
            found.append((ends_h, ids_h, np.ones(len(ids_h), dtype=bool)))
        end = np.concatenate([f[0] for f in found])
        entry = np.concatenate([f[1] for f in found])
        homophone = np.concatenate([f[2] for f in found])
        length = lex.entries["spelling"].str.len().to_numpy()[entry]
        first = end - length + 1
        start_pos, end_pos = where[first], where[end] + 1
        ok = np.ones(len(entry), dtype=bool)
        ascii_term = np.array([s.isascii() for s in lex.entries["spelling"]], dtype=bool)[entry]
        if ascii_term.any():
            before = np.where(start_pos > 0, codes[np.maximum(start_pos - 1, 0)], 0)
            after = np.where(end_pos < len(codes), codes[np.minimum(end_pos, len(codes) - 1)], 0)
            ok &= ~(ascii_term & (_ascii_alnum(before) | _ascii_alnum(after)))
        frame = pd.DataFrame({"start": start_pos, "end": end_pos, "entry": entry, "homophone": homophone,
                              "first": first, "last": end})[ok]
        frame = self._drop_shadowed(frame, clean)
        text_id = np.searchsorted(starts, frame["start"].to_numpy(), side="right") - 1
        entries = lex.entries.iloc[frame["entry"].to_numpy()]
        matched = [originals[s:e] for s, e in zip(frame["start"], frame["end"], strict=True)]
        negated = self._negated(clean, frame["first"].to_numpy(), lex.negations)
        quoted = self._quoted(originals, starts[text_id], frame["start"].to_numpy())
        via = np.where(frame["homophone"].to_numpy(), "homophone", np.where(entries["alias"].to_numpy(), "alias",
                                                                          "exact"))
        out = pd.DataFrame({
            "text_id": text_id.astype(np.int64), "term": entries["term"].to_numpy(), "matched": matched,
            "start": frame["start"].to_numpy() - starts[text_id], "end": frame["end"].to_numpy() - starts[text_id],
            "category": entries["category"].to_numpy(), "severity": entries["severity"].to_numpy(),
            "via": via, "negated": negated, "quoted": quoted,
        })
        return out.sort_values(["text_id", "start"], kind="stable").reset_index(drop=True)

    @staticmethod
    def _scan(automaton: Any, text: str) -> tuple[np.ndarray, np.ndarray]:
        hits = list(automaton.iter_long(text))
        if not hits:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        arr = np.array([(e, v[0]) for e, v in hits], dtype=np.int64)
        return arr[:, 0], arr[:, 1]

    @staticmethod
    def _drop_shadowed(frame: pd.DataFrame, clean: str) -> pd.DataFrame:
        """Homophone matches that overlap an exact one, or whose span is an ordinary word, are dropped."""
        homo = frame["homophone"].to_numpy()
        if not homo.any():
            return frame
        exact = frame.loc[~homo].sort_values("first")
        ex_first, ex_last = exact["first"].to_numpy(), exact["last"].to_numpy()
        h = frame.loc[homo]
        k = np.searchsorted(ex_first, h["last"].to_numpy(), side="right") - 1
        overlaps = (k >= 0) & (ex_last[np.maximum(k, 0)] >= h["first"].to_numpy()) if len(ex_first) else np.zeros(
            len(h), dtype=bool)
        common = _common_words()
        spans = [clean[a:b + 1] for a, b in zip(h["first"], h["last"], strict=True)]
        ordinary = np.array([s in common for s in spans], dtype=bool)
        return pd.concat([exact, h.loc[~overlaps & ~ordinary]]).sort_values("start", kind="stable")

    def _negated(self, clean: str, first: np.ndarray, negations: tuple[str, ...]) -> np.ndarray:
        w = int(self.negation_window)
        if w <= 0 or not negations:
            return np.zeros(len(first), dtype=bool)
        return np.array([any(n in clean[max(f - w, 0):f].rsplit(_JOIN, 1)[-1] for n in negations) for f in first],
                        dtype=bool)

    @staticmethod
    def _quoted(originals: str, text_start: np.ndarray, start: np.ndarray) -> np.ndarray:
        return np.array([sum(originals.count(q, a, s) for q in _QUOTES) % 2 == 1
                         for a, s in zip(text_start, start, strict=True)], dtype=bool)

    def flags(self, texts: Sequence[str] | Iterable[str]) -> pd.DataFrame:
        """One row per text: what the screen found, counting neither negated nor quoted matches.

        Returns
        -------
        DataFrame
            ``n_matches``, ``max_severity`` (0: none), ``categories`` (comma-separated, by severity)
            and ``reasons`` (``category: matched`` of each match); one row per text, in order.
        """
        items = _as_texts(texts)
        hits = self.find(items)
        hits = hits[~hits["negated"] & ~hits["quoted"]]
        out = pd.DataFrame({"n_matches": np.zeros(len(items), dtype=np.int64),
                            "max_severity": np.zeros(len(items), dtype=np.int64),
                            "categories": "", "reasons": ""})
        if len(hits):
            g = hits.sort_values(["text_id", "severity"], ascending=[True, False]).groupby("text_id", sort=True)
            ids = np.asarray(list(g.groups))
            out.loc[ids, "n_matches"] = g.size().to_numpy()
            out.loc[ids, "max_severity"] = g["severity"].max().to_numpy()
            out.loc[ids, "categories"] = g["category"].agg(lambda s: ",".join(dict.fromkeys(s))).to_numpy()
            reason = hits["category"] + ": " + hits["matched"]
            out.loc[ids, "reasons"] = reason.groupby(hits["text_id"]).agg("; ".join).loc[ids].to_numpy()
        return out
