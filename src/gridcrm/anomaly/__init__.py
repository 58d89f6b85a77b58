"""Electricity theft, meter faults and abnormal consumption (#16).

* :func:`anomaly_signals` — per-customer signals at ``as_of`` (registry: ``ANOMALY_SIGNALS``);
* :class:`AnomalyDetector` — unsupervised peer/self evidence + positive-unlabelled learning from the
  recorded thefts: ``score`` (0–1), ``kind``, ``onset``, reasons in words with units;
* :func:`inspection_list` — the crews' list ranked by expected recovered energy, quotas, exclusions;
* :func:`load_anomaly_config` — ``configs/anomaly.yaml``; :mod:`~gridcrm.anomaly.judge` — the champion metric;
  :mod:`~gridcrm.anomaly.evaluation` — metrics against a generator's truth.
"""

from __future__ import annotations

from gridcrm.anomaly.config import AnomalyConfig, AnomalyConfigError, load_anomaly_config
from gridcrm.anomaly.detector import KINDS, AnomalyDetector, intermittent_evidence, theft_evidence
from gridcrm.anomaly.inspection import inspection_list
from gridcrm.anomaly.signals import SIGNAL_NAMES, anomaly_signals

__all__ = ["KINDS", "SIGNAL_NAMES", "AnomalyConfig", "AnomalyConfigError", "AnomalyDetector", "load_anomaly_config",
           "anomaly_signals", "inspection_list", "intermittent_evidence", "theft_evidence"]
