"""The main job (compatibility module): :mod:`gridcrm.job` holds it now.

``from gridcrm.pipeline import run, score, RunResult, MIN_EVENTS`` keeps working; new code imports
from :mod:`gridcrm.job`.
"""

from __future__ import annotations

from gridcrm.job import MIN_EVENTS, RunResult, run, score

__all__ = ["MIN_EVENTS", "RunResult", "run", "score"]
