"""Service quality: complaint texts, sensitive-word screening, hotspots and resolution times.

Normalisation and tokenisation of Chinese (and English) contact texts (:mod:`.text`);
sensitive-word and escalation screening robust to obfuscation (:class:`SensitiveScreen`,
:func:`load_lexicon`).
"""

from gridcrm.service.lexicon import Lexicon, load_lexicon
from gridcrm.service.screen import SensitiveScreen
from gridcrm.service.text import DOMAIN_WORDS, fold_chars, normalize_text, tokenize

__all__ = ["DOMAIN_WORDS", "Lexicon", "SensitiveScreen", "fold_chars", "load_lexicon", "normalize_text", "tokenize"]
