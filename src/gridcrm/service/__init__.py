"""Service quality: complaint texts, sensitive-word screening, hotspots and resolution times.

Normalisation and tokenisation of Chinese (and English) contact texts (:mod:`.text`).
"""

from gridcrm.service.text import DOMAIN_WORDS, fold_chars, normalize_text, tokenize

__all__ = ["DOMAIN_WORDS", "fold_chars", "normalize_text", "tokenize"]
