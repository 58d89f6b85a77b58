"""Electricity theft, meter faults and abnormal consumption (#16).

* :func:`anomaly_signals` — per-customer signals at ``as_of`` (registry: ``ANOMALY_SIGNALS``);
"""

from __future__ import annotations

from gridcrm.anomaly.signals import SIGNAL_NAMES, anomaly_signals

__all__ = ["SIGNAL_NAMES", "anomaly_signals"]
