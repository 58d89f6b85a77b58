"""Realistic synthetic utility data with known ground truth.

:func:`generate_dataset` simulates customers, daily and 15-minute metering,
weather, bills, payments, service contacts, risk events and churn, with the
latent traits and true risk probabilities that generated them, so that every
model of gridcrm can be checked against the truth. One module per table:
``customers``, ``consumption``, ``interval``, ``billing``, ``payments``,
``contacts``, ``churn``, ``events``, ``weather``, ``calendar``.
"""

from gridcrm.data.synth.core import SyntheticData, generate_dataset

__all__ = ["SyntheticData", "generate_dataset"]
