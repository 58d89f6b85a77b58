"""The sensitive-word lexicon: categories, severities, terms, aliases and negation words.

The shipped lexicon (``gridcrm/service/data/sensitive.yaml``) covers what utility contacts
say before they escalate: media and social media, the 12398 regulator and government
hotlines, the consumer association, the police, petitions and protests, lawsuits, safety
threats and self-harm, abuse. A lexicon of one's own has the same shape::

    categories:
      media: {description: ..., severity: 3, terms: [媒体, 记者], aliases: {meiti: 媒体}}
    negations: [不会, 不想]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from gridcrm._yaml import read_config
from gridcrm.service.errors import ServiceConfigError

__all__ = ["Lexicon", "load_lexicon"]

_CATEGORY_KEYS = {"description", "severity", "terms", "aliases"}


@dataclass(frozen=True)
class Lexicon:
    """A validated lexicon.

    Attributes
    ----------
    entries : DataFrame
        One row per spelling: ``spelling`` (what is searched, normalised), ``term`` (what is
        reported), ``category``, ``severity`` (int 1–3), ``alias`` (bool).
    descriptions : dict
        Category → description.
    negations : tuple of str
    source : Path or None
    """

    entries: pd.DataFrame
    descriptions: Mapping[str, str]
    negations: tuple[str, ...]
    source: Path | None = None


def _strings(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int)) and str(v).strip()
                                                          for v in value):
        raise ServiceConfigError(f"{key}: expected a non-empty list of words, got {value!r}")
    return [str(v).strip() for v in value]


def load_lexicon(source: str | Path | Mapping[str, Any] | Lexicon | None = None) -> Lexicon:
    """Read and check a sensitive-word lexicon.

    Parameters
    ----------
    source : path, mapping, Lexicon or None
        A YAML file, its content, a loaded lexicon (returned unchanged) or None for the shipped one.

    Returns
    -------
    Lexicon

    Raises
    ------
    ServiceConfigError
        Naming the key: unknown keys, a severity outside 1–3, an empty term list, an alias of
        a term the category does not have, a term listed under two categories.

    Examples
    --------
    >>> lex = load_lexicon()
    >>> sorted(lex.descriptions)[:3], int(lex.entries["severity"].max())
    (['abuse', 'consumer', 'lawsuit'], 3)
    >>> load_lexicon({"categories": {"media": {"severity": 5, "terms": ["记者"]}}})
    Traceback (most recent call last):
    ...
    gridcrm.service.errors.ServiceConfigError: sensitive lexicon: categories.media.severity: expected 1, 2 or 3, got 5
    """
    from gridcrm.service.text import fold_chars

    if isinstance(source, Lexicon):
        return source
    if source is None:
        with resources.as_file(resources.files("gridcrm.service").joinpath("data/sensitive.yaml")) as p:
            raw, path = read_config(Path(p), what="sensitive lexicon", error=ServiceConfigError, shipped=None)
    else:
        raw, path = read_config(source, what="sensitive lexicon", error=ServiceConfigError, shipped=None)
    where = f"sensitive lexicon {path}" if path is not None else "sensitive lexicon"

    def fail(msg: str) -> ServiceConfigError:
        return ServiceConfigError(f"{where}: {msg}")

    unknown = sorted(set(raw) - {"categories", "negations"})
    if unknown:
        raise fail(f"unknown key(s) {unknown}; allowed keys are ['categories', 'negations']")
    cats = raw.get("categories")
    if not isinstance(cats, Mapping) or not cats:
        raise fail(f"categories: expected a mapping of category → terms, got {cats!r}")
    rows: list[tuple[str, str, str, int, bool]] = []
    descriptions: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, spec in cats.items():
        key = f"categories.{name}"
        if not isinstance(spec, Mapping):
            raise fail(f"{key}: expected a mapping, got {spec!r}")
        bad = sorted(set(spec) - _CATEGORY_KEYS)
        if bad:
            raise fail(f"{key}: unknown key(s) {bad}; allowed keys are {sorted(_CATEGORY_KEYS)}")
        severity = spec.get("severity", 2)
        if isinstance(severity, bool) or severity not in (1, 2, 3):
            raise fail(f"{key}.severity: expected 1, 2 or 3, got {severity!r}")
        terms = _strings(spec.get("terms"), f"{key}.terms")
        aliases = spec.get("aliases") or {}
        if not isinstance(aliases, Mapping):
            raise fail(f"{key}.aliases: expected a mapping alias → term, got {aliases!r}")
        for alias, term in aliases.items():
            if str(term) not in terms:
                raise fail(f"{key}.aliases.{alias}: {term!r} is not one of the category's terms")
        descriptions[str(name)] = str(spec.get("description", name))
        for spelling, term, alias in [(t, t, False) for t in terms] + [(str(a), str(t), True)
                                                                        for a, t in aliases.items()]:
            folded = fold_chars([spelling])[0].replace(" ", "")
            if folded in seen and seen[folded] != name:
                raise fail(f"{key}: {spelling!r} is also listed under categories.{seen[folded]}")
            seen[folded] = str(name)
            rows.append((folded, term, str(name), int(severity), alias))
    negations = tuple(fold_chars(_strings(raw.get("negations", ["不会"]), "negations")))
    entries = pd.DataFrame(rows, columns=["spelling", "term", "category", "severity", "alias"])
    return Lexicon(entries.drop_duplicates("spelling").reset_index(drop=True), descriptions, negations, path)
