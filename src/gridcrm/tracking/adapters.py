"""What each kind of gridcrm model answers when it is served.

An adapter turns a fitted model and an input frame (plus optional request
parameters) into the output frame of its MLflow pyfunc: for example a credit
scorer answers ``score`` and ``grade`` per row. Capabilities register theirs with
:func:`register_adapter`; the served model (``_served_model.py``) looks them up
by kind, so one pyfunc implementation serves every gridcrm model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

__all__ = ["Adapter", "ADAPTERS", "register_adapter", "serve_predict"]

Adapter = Callable[[Any, pd.DataFrame, Mapping[str, Any]], pd.DataFrame]
#: Adapters by model kind.
ADAPTERS: dict[str, Adapter] = {}


def register_adapter(kind: str) -> Callable[[Adapter], Adapter]:
    """Decorator registering the adapter of a model kind."""

    def deco(fn: Adapter) -> Adapter:
        ADAPTERS[kind] = fn
        return fn

    return deco


def serve_predict(kind: str, model: Any, frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Answer a serving request for a model of ``kind``.

    Raises
    ------
    KeyError
        No adapter for ``kind``.
    """
    _load_builtin_adapters()
    try:
        adapter = ADAPTERS[kind]
    except KeyError:
        raise KeyError(f"no serving adapter for model kind {kind!r}; known kinds: {sorted(ADAPTERS)}") from None
    return adapter(model, frame, params or {})


def _load_builtin_adapters() -> None:
    from gridcrm.tracking import _builtin_adapters  # noqa: F401  (registers on import)
