"""Keyword rules: weak topic labels for texts without one, and urgency levels.

The shipped rules (``gridcrm/service/data/topic_rules.yaml``) list, per topic id of
:data:`~gridcrm.data.schemas.CONTACT_TOPICS`, words of the utility's vocabulary, and, per
urgency level (``high``, ``medium``), words that make a contact urgent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gridcrm._yaml import read_config
from gridcrm.data.schemas import CONTACT_TOPICS
from gridcrm.service.errors import ServiceConfigError

__all__ = ["URGENCY_LEVELS", "TopicRules", "load_topic_rules"]

#: Urgency levels, from least to most urgent (``ComplaintClassifier.urgency`` returns their position).
URGENCY_LEVELS = ("low", "medium", "high")


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
    """

    topics: Mapping[str, tuple[str, ...]]
    urgency: Mapping[str, tuple[str, ...]]
    source: Path | None = None

    def weak_labels(self, normalized: Sequence[str]) -> np.ndarray:
        """Topic of each normalised text by its keywords (longer ones count more); None on a tie or no keyword.

        Examples
        --------
        >>> rules = load_topic_rules()
        >>> rules.weak_labels(["停电三个小时了", "电压低,电费也高", "你好"]).tolist()
        ['outage', None, None]
        """
        names = list(self.topics)
        scores = np.zeros((len(normalized), len(names)))
        for j, name in enumerate(names):
            for word in self.topics[name]:
                scores[:, j] += np.fromiter((t.count(word) for t in normalized), float, len(normalized)) * len(word)
        best = scores.max(axis=1) if len(names) else np.zeros(len(normalized))
        winners = (scores == best[:, None]).sum(axis=1)
        out = np.array(names, dtype=object)[scores.argmax(axis=1)] if len(normalized) else np.zeros(0, object)
        return np.where((best > 0) & (winners == 1), out, None)


def _words(value: Any, key: str) -> tuple[str, ...]:
    from gridcrm.service.text import normalize_text

    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int)) for v in value):
        raise ServiceConfigError(f"{key}: expected a non-empty list of words, got {value!r}")
    return tuple(w for w in normalize_text([str(v) for v in value]) if w)


def load_topic_rules(source: str | Path | Mapping[str, Any] | TopicRules | None = None) -> TopicRules:
    """Read and check keyword rules.

    Parameters
    ----------
    source : path, mapping, TopicRules or None
        None: the shipped rules.

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
    if source is None:
        with resources.as_file(resources.files("gridcrm.service").joinpath("data/topic_rules.yaml")) as p:
            raw, path = read_config(Path(p), what="topic rules", error=ServiceConfigError, shipped=None)
    else:
        raw, path = read_config(source, what="topic rules", error=ServiceConfigError, shipped=None)
    where = f"topic rules {path}" if path is not None else "topic rules"
    unknown = sorted(set(raw) - {"topics", "urgency"})
    if unknown:
        raise ServiceConfigError(f"{where}: unknown key(s) {unknown}; allowed keys are ['topics', 'urgency']")
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
    return TopicRules(topics, urgency, path)
