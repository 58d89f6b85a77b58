"""Keyword rules and the utility-service thesaurus: weak topic labels, concept features, urgency.

The shipped rules (``gridcrm/service/data/topic_rules.yaml``) list, per topic id of
:data:`~gridcrm.data.schemas.CONTACT_TOPICS`, words of the utility's vocabulary, and, per
urgency level (``high``, ``medium``), words that make a contact urgent. The shipped thesaurus
(``gridcrm/service/data/topic_thesaurus.yaml``, :func:`load_topic_thesaurus`) groups, per topic,
the words customers and hotline agents use for one concept (billing: 电费/账单/电价/阶梯/峰谷 ...,
outage: 停电/断电/没电/跳闸/拉闸/抢修 ...); the rules' keywords are widened with it, and
:class:`~gridcrm.service.ComplaintClassifier` reads which concept groups a text mentions
(:meth:`TopicThesaurus.concepts`) and trains on synonym variants of its texts
(:meth:`TopicThesaurus.variants`), so wording it never saw still counts for its topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gridcrm._yaml import read_config
from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.service.errors import ServiceConfigError

__all__ = ["URGENCY_LEVELS", "TopicRules", "TopicThesaurus", "load_topic_rules", "load_topic_thesaurus"]

#: Urgency levels, from least to most urgent (``ComplaintClassifier.urgency`` returns their position).
URGENCY_LEVELS = ("low", "medium", "high")


def _is_word_char(codes: np.ndarray) -> np.ndarray:
    """ASCII letters and digits (what an ASCII term must not touch at a word edge)."""
    return ((codes >= 48) & (codes <= 57)) | ((codes >= 97) & (codes <= 122)) | ((codes >= 65) & (codes <= 90))


class _Matcher:
    """Words found in texts in one Aho–Corasick pass over the joined texts.

    Chinese words match anywhere; an ASCII word only at word edges (``bill*``: at the start
    of a word, any ending).
    """

    def __init__(self, words: Sequence[str]) -> None:
        import ahocorasick

        self.words = tuple(words)
        self.prefix = np.array([w.endswith("*") for w in self.words], dtype=bool)
        self.ascii = np.array([w.isascii() for w in self.words], dtype=bool)
        self.keys = tuple(w.rstrip("*") for w in self.words)
        self._automaton = ahocorasick.Automaton()
        for k, key in enumerate(self.keys):
            self._automaton.add_word(key, (k, len(key)))
        self._automaton.make_automaton()

    def __getstate__(self) -> dict[str, Any]:  # the automaton is rebuilt, not pickled
        return {"words": self.words}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["words"])

    def find(self, normalized: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every match: ``(text index, word index, start, end)`` arrays; positions within the text."""
        empty = np.zeros(0, dtype=np.int64)
        if not normalized:
            return empty, empty, empty, empty
        joined = "\n".join(t.replace("\n", " ") for t in normalized)
        ends, ids = [], []
        for end, (k, _) in self._automaton.iter(joined):
            ends.append(end)
            ids.append(k)
        if not ends:
            return empty, empty, empty, empty
        end = np.asarray(ends, dtype=np.int64) + 1
        word = np.asarray(ids, dtype=np.int64)
        start = end - np.fromiter((len(self.keys[k]) for k in ids), np.int64, len(ids))
        codes = np.frombuffer(("\n" + joined + "\n").encode("utf-32-le"), dtype=np.uint32)
        ok = ~self.ascii[word] | (~_is_word_char(codes[start]) & (self.prefix[word] | ~_is_word_char(codes[end + 1])))
        end, word, start = end[ok], word[ok], start[ok]
        offsets = np.cumsum([0] + [len(t) + 1 for t in normalized])
        text = np.searchsorted(offsets, start, side="right") - 1
        return text, word, start - offsets[text], end - offsets[text]


@dataclass(frozen=True)
class TopicThesaurus:
    """Concept groups of words per topic: what customers and agents say for one thing.

    Attributes
    ----------
    groups : tuple of (topic, group, words)
        Words normalised; an ASCII word ending in ``*`` matches any word it starts.
    source : Path or None

    Examples
    --------
    >>> th = load_topic_thesaurus({"topics": {"outage": {"no_power": ["停电", "没电"], "trip": ["跳闸"]},
    ...                                       "billing": {"bill": ["电费", "bill*"]}}})
    >>> th.names
    ['outage.no_power', 'outage.trip', 'billing.bill']
    >>> th.concepts(["家里没电了,跳闸了", "my billing is wrong", "abill"]).toarray().tolist()
    [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    >>> th.topic_scores(["家里没电了,跳闸了,电费也高"]).tolist()
    [[2.0, 1.0]]
    """

    groups: tuple[tuple[str, str, tuple[str, ...]], ...]
    source: Path | None = None
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def names(self) -> list[str]:
        """``topic.group`` of each concept group, in order."""
        return [f"{t}.{g}" for t, g, _ in self.groups]

    @property
    def topics(self) -> list[str]:
        """Topics with concept groups, in order of first appearance."""
        return list(dict.fromkeys(t for t, _, _ in self.groups))

    def _matcher(self) -> tuple[_Matcher, np.ndarray]:
        if "matcher" not in self._cache:
            words = [w for _, _, ws in self.groups for w in ws]
            group = np.repeat(np.arange(len(self.groups)), [len(ws) for _, _, ws in self.groups])
            self._cache["matcher"] = (_Matcher(words), group)
        return self._cache["matcher"]

    def __getstate__(self) -> dict[str, Any]:
        return {"groups": self.groups, "source": self.source, "_cache": {}}

    def concepts(self, normalized: Sequence[str]):  # noqa: ANN201 - scipy sparse matrix
        """Which concept groups each normalised text mentions (1.0 or 0.0), sparse ``(n_texts, n_groups)``."""
        from scipy import sparse

        matcher, group = self._matcher()
        text, word, _, _ = matcher.find(normalized)
        m = sparse.csr_matrix((np.ones(len(text), dtype=np.float32), (text, group[word])),
                              shape=(len(normalized), len(self.groups)))
        m.data[:] = 1.0  # duplicates were summed
        return m

    def topic_scores(self, normalized: Sequence[str]) -> np.ndarray:
        """Number of a topic's concept groups each text mentions, columns in the order of :attr:`topics`."""
        topics = self.topics
        member = np.zeros((len(self.groups), len(topics)), dtype=np.float32)
        member[np.arange(len(self.groups)), [topics.index(t) for t, _, _ in self.groups]] = 1.0
        return np.asarray(self.concepts(normalized) @ member)

    def variants(self, normalized: Sequence[str], rng: np.random.Generator, *, share: float = 1.0) -> list[str]:
        """Each text with its thesaurus words swapped for other words of the same concept group.

        Matches are taken longest first without overlaps; a Chinese word is swapped for a Chinese
        one, an ASCII word for an ASCII one (a prefix word replaces the whole word). Each match is
        swapped with probability ``share``.

        Examples
        --------
        >>> th = load_topic_thesaurus({"topics": {"outage": {"no_power": ["停电", "断电"]}}})
        >>> th.variants(["昨晚停电了"], np.random.default_rng(0))
        ['昨晚断电了']
        """
        matcher, group = self._matcher()
        text, word, start, end = matcher.find(normalized)
        by_script: dict[tuple[int, bool], list[str]] = {}
        for k, (key, g) in enumerate(zip(matcher.keys, group, strict=True)):
            by_script.setdefault((int(g), bool(matcher.ascii[k])), []).append(key)
        out = list(normalized)
        order = np.lexsort((-(end - start), start, text))
        current, taken, pieces, last = -1, -1, [], 0
        for i in order.tolist() + [None]:
            t = None if i is None else int(text[i])
            if t != current:
                if current >= 0:
                    pieces.append(normalized[current][last:])
                    out[current] = "".join(pieces)
                if t is None:
                    break
                current, taken, pieces, last = t, -1, [], 0
            s, e, k = int(start[i]), int(end[i]), int(word[i])
            if s < taken or rng.random() >= share:
                continue
            src = normalized[t]
            if matcher.prefix[k]:
                while e < len(src) and src[e].isascii() and src[e].isalnum():
                    e += 1
            pool = by_script[(int(group[k]), bool(matcher.ascii[k]))]
            pieces.append(src[last:s])
            pieces.append(pool[int(rng.integers(len(pool)))])
            last = taken = e
        return out


@dataclass(frozen=True)
class TopicRules:
    """Validated keyword rules.

    Attributes
    ----------
    topics : dict
        Topic id → tuple of keywords (normalised).
    urgency : dict
        ``"high"`` / ``"medium"`` → tuple of words.
    source : Path or None
    thesaurus : TopicThesaurus or None
        Its words count as keywords of their topic too (weak labels), and the classifier reads its
        concept groups.
    """

    topics: Mapping[str, tuple[str, ...]]
    urgency: Mapping[str, tuple[str, ...]]
    source: Path | None = None
    thesaurus: TopicThesaurus | None = None
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"topics": self.topics, "urgency": self.urgency, "source": self.source,
                "thesaurus": self.thesaurus, "_cache": {}}

    def keywords(self) -> dict[str, tuple[str, ...]]:
        """Topic → its keywords and the thesaurus words of the topic (without repeats)."""
        out = {name: list(words) for name, words in self.topics.items()}
        if self.thesaurus is not None:
            for topic, _, words in self.thesaurus.groups:
                out.setdefault(topic, []).extend(words)
        return {name: tuple(dict.fromkeys(words)) for name, words in out.items()}

    def weak_labels(self, normalized: Sequence[str]) -> np.ndarray:
        """Topic of each normalised text by its keywords (longer ones count more); None on a tie or no keyword.

        The keywords are the rules' and, with a thesaurus, its words of each topic; a word listed
        under two topics counts for both.

        Examples
        --------
        >>> rules = load_topic_rules()
        >>> rules.weak_labels(["停电三个小时了", "电压低,电费也高", "你好", "电表走得快"]).tolist()
        ['outage', 'voltage', None, 'meter']
        >>> load_topic_rules({"topics": {"outage": ["停电"], "billing": ["电费"]}, "thesaurus": None}
        ...                  ).weak_labels(["停电了,电费也高", "电费太高"]).tolist()
        [None, 'billing']
        """
        if "matcher" not in self._cache:
            keywords = self.keywords()
            names = list(keywords)
            words = list(dict.fromkeys(w for ws in keywords.values() for w in ws))
            member = np.zeros((len(words), len(names)))
            for j, name in enumerate(names):
                member[[words.index(w) for w in keywords[name]], j] = 1.0
            weight = np.array([len(w.rstrip("*")) for w in words], dtype=float)
            self._cache["matcher"] = (_Matcher(words), member * weight[:, None], names)
        matcher, member, names = self._cache["matcher"]
        text, word, _, _ = matcher.find(normalized)
        scores = np.zeros((len(normalized), len(names)))
        np.add.at(scores, text, member[word])
        best = scores.max(axis=1) if len(names) else np.zeros(len(normalized))
        winners = (np.isclose(scores, best[:, None])).sum(axis=1)
        out = np.array(names, dtype=object)[scores.argmax(axis=1)] if len(normalized) else np.zeros(0, object)
        return np.where((best > 0) & (winners == 1), out, None)


def _words(value: Any, key: str) -> tuple[str, ...]:
    from gridcrm.service.text import normalize_text

    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int)) for v in value):
        raise ServiceConfigError(f"{key}: expected a non-empty list of words, got {value!r}")
    return tuple(w for w in normalize_text([str(v) for v in value]) if w)


def _shipped(name: str) -> Path:
    with resources.as_file(resources.files("gridcrm.service").joinpath(f"data/{name}")) as p:
        return Path(p)


def load_topic_thesaurus(source: str | Path | Mapping[str, Any] | TopicThesaurus | None = None) -> TopicThesaurus:
    """Read and check a thesaurus: ``topics: {topic id: {group: [words]}}``.

    Parameters
    ----------
    source : path, mapping, TopicThesaurus or None
        None: the shipped thesaurus (``gridcrm/service/data/topic_thesaurus.yaml``).

    Returns
    -------
    TopicThesaurus

    Raises
    ------
    ServiceConfigError
        Unknown keys, a topic that is not a topic id, a group that is not a non-empty word list, or a
        word in two groups; the message names the key.

    Examples
    --------
    >>> th = load_topic_thesaurus()
    >>> sorted(th.topics) == sorted(CONTACT_TOPICS), len(th.groups) >= 40
    (True, True)
    >>> load_topic_thesaurus({"topics": {"outage": {"a": ["停电"], "b": ["停电"]}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.service.errors.ServiceConfigError: thesaurus: topics.outage.b: word '停电' is already in outage.a
    """
    if isinstance(source, TopicThesaurus):
        return source
    raw, path = read_config(_shipped("topic_thesaurus.yaml") if source is None else source,
                            what="thesaurus", error=ServiceConfigError, shipped=None)
    where = f"thesaurus {path}" if path is not None else "thesaurus"
    unknown = sorted(set(raw) - {"topics"})
    if unknown:
        raise ServiceConfigError(f"{where}: unknown key(s) {unknown}; allowed keys are ['topics']")
    topics_raw = raw.get("topics")
    if not isinstance(topics_raw, Mapping) or not topics_raw:
        raise ServiceConfigError(f"{where}: topics: expected a mapping topic id → {{group: words}}, got {topics_raw!r}")
    groups, seen = [], {}
    for topic, groups_raw in topics_raw.items():
        if topic not in CONTACT_TOPICS:
            raise ServiceConfigError(f"{where}: topics.{topic}: not a topic id; expected one of {list(CONTACT_TOPICS)}")
        if not isinstance(groups_raw, Mapping) or not groups_raw:
            raise ServiceConfigError(f"{where}: topics.{topic}: expected a mapping group → words, got {groups_raw!r}")
        for name, words_raw in groups_raw.items():
            key = f"topics.{topic}.{name}"
            words = _words(words_raw, f"{where}: {key}")
            for w in words:
                if w in seen:
                    raise ServiceConfigError(f"{where}: {key}: word {w!r} is already in {seen[w]}")
                if w.endswith("*") and not (w.isascii() and len(w) > 1):
                    raise ServiceConfigError(f"{where}: {key}: {w!r}: only an ASCII word can end in '*' (any ending)")
                seen[w] = f"{topic}.{name}"
            groups.append((str(topic), str(name), tuple(dict.fromkeys(words))))
    return TopicThesaurus(tuple(groups), path)


def load_topic_rules(source: str | Path | Mapping[str, Any] | TopicRules | None = None) -> TopicRules:
    """Read and check keyword rules.

    Parameters
    ----------
    source : path, mapping, TopicRules or None
        None: the shipped rules. Key ``thesaurus``: a thesaurus file or mapping
        (:func:`load_topic_thesaurus`), ``null`` for none; absent: the shipped thesaurus. A relative
        path is read from the rules file's folder.

    Returns
    -------
    TopicRules

    Raises
    ------
    ServiceConfigError
        Unknown keys, a topic that is not a topic id, an empty word list; the message names the key.

    Examples
    --------
    >>> sorted(load_topic_rules().topics)[:2]
    ['billing', 'business_handling']
    >>> load_topic_rules({"topics": {"power": ["停电"]}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.service.errors.ServiceConfigError: topic rules: topics.power: not a topic id; expected one of ['billing', ...]
    """
    if isinstance(source, TopicRules):
        return source
    raw, path = read_config(_shipped("topic_rules.yaml") if source is None else source,
                            what="topic rules", error=ServiceConfigError, shipped=None)
    where = f"topic rules {path}" if path is not None else "topic rules"
    unknown = sorted(set(raw) - {"topics", "urgency", "thesaurus"})
    if unknown:
        raise ServiceConfigError(f"{where}: unknown key(s) {unknown}; allowed keys are ['thesaurus', 'topics', 'urgency']")
    topics_raw = raw.get("topics")
    if not isinstance(topics_raw, Mapping) or not topics_raw:
        raise ServiceConfigError(f"{where}: topics: expected a mapping topic id → words, got {topics_raw!r}")
    topics = {}
    for name, words in topics_raw.items():
        if name not in CONTACT_TOPICS:
            raise ServiceConfigError(f"{where}: topics.{name}: not a topic id; expected one of {list(CONTACT_TOPICS)}")
        topics[str(name)] = _words(words, f"{where}: topics.{name}")
    urgency_raw = raw.get("urgency") or {}
    if not isinstance(urgency_raw, Mapping):
        raise ServiceConfigError(f"{where}: urgency: expected a mapping level → words, got {urgency_raw!r}")
    bad = sorted(set(urgency_raw) - {"high", "medium"})
    if bad:
        raise ServiceConfigError(f"{where}: urgency: unknown level(s) {bad}; allowed are ['high', 'medium']")
    urgency = {str(k): _words(v, f"{where}: urgency.{k}") for k, v in urgency_raw.items()}
    thesaurus_raw = raw.get("thesaurus")
    if "thesaurus" not in raw:
        thesaurus = load_topic_thesaurus()
    elif thesaurus_raw is None:
        thesaurus = None
    elif isinstance(thesaurus_raw, (str, Path, Mapping)):
        ref = thesaurus_raw
        if isinstance(ref, (str, Path)) and path is not None and not Path(ref).is_absolute():
            ref = path.parent / ref
        thesaurus = load_topic_thesaurus(ref)
    else:
        raise ServiceConfigError(f"{where}: thesaurus: expected a path, a mapping or null, got {thesaurus_raw!r}")
    return TopicRules(topics, urgency, path, thesaurus)
