"""The serving adapters of gridcrm's own models (registered on import)."""

from __future__ import annotations
