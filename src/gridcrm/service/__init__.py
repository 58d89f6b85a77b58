"""Service quality: complaint texts, sensitive-word screening, hotspots and resolution times.

Normalisation and tokenisation of Chinese (and English) contact texts (:mod:`.text`);
sensitive-word and escalation screening robust to obfuscation (:class:`SensitiveScreen`,
:func:`load_lexicon`); topic classification with weak labels from keyword rules and urgency
(:class:`ComplaintClassifier`, :func:`load_topic_rules`); personal data masked (:func:`mask_pii`);
complaint hotspots with control limits and resolution times (:func:`complaint_hotspots`,
:func:`resolution_times`, :func:`plot_hotspots`); the screening list and per-customer features
(:func:`screening_list`, :func:`customer_service_features`); satisfaction drivers
(:func:`satisfaction_drivers`); the config (:func:`load_service_config`).
"""

from gridcrm.service.classify import ComplaintClassifier
from gridcrm.service.config import ServiceConfig, load_service_config
from gridcrm.service.customers import customer_service_features, screening_list
from gridcrm.service.drivers import satisfaction_drivers, survey_experience
from gridcrm.service.hotspots import complaint_hotspots, resolution_times
from gridcrm.service.lexicon import Lexicon, load_lexicon
from gridcrm.service.pii import PII_PATTERNS, mask_pii
from gridcrm.service.plots import plot_hotspots
from gridcrm.service.rules import URGENCY_LEVELS, TopicRules, TopicThesaurus, load_topic_rules, load_topic_thesaurus
from gridcrm.service.screen import SensitiveScreen
from gridcrm.service.text import DOMAIN_WORDS, fold_chars, normalize_text, tokenize

__all__ = ["ComplaintClassifier", "DOMAIN_WORDS", "Lexicon", "PII_PATTERNS", "SensitiveScreen",
           "ServiceConfig", "TopicRules", "TopicThesaurus", "URGENCY_LEVELS", "complaint_hotspots",
           "customer_service_features", "fold_chars", "load_lexicon", "load_service_config",
           "load_topic_rules", "load_topic_thesaurus", "mask_pii", "normalize_text", "plot_hotspots",
           "resolution_times", "satisfaction_drivers", "screening_list", "survey_experience", "tokenize"]
