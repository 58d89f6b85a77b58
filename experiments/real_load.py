"""Public real load shipped in a pip package, for benchmarks only: Taylor's half-hourly demand of England and Wales.

``pmdarima`` ships, in ``pmdarima/datasets/taylor.py``, the half-hourly electricity demand of
England and Wales from Monday 5 June to Sunday 27 August 2000 (4,032 values, MW; Taylor 2003,
the ``taylor`` data of R's forecast package): real system demand with a daily (48) and a
weekly (336) season. pmdarima is not installed (it is not a dependency); the numbers are read
from its wheel without importing it::

    .venv/bin/pip download pmdarima --no-deps -d data/bench/wheels

``taylor_frame(path)`` takes that wheel (or the installed ``taylor.py``).
"""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["taylor_values", "taylor_frame"]


def _source(path: Path) -> str:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            return z.read("pmdarima/datasets/taylor.py").decode()
    return path.read_text()


def taylor_values(path: str | Path) -> np.ndarray:
    """The 4,032 half-hourly values (MW), parsed from ``taylor.py`` (the array literal in ``load_taylor``)."""
    tree = ast.parse(_source(Path(path)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "array" and node.args:
            if isinstance(node.args[0], ast.List) and len(node.args[0].elts) > 1000:
                values = np.array(ast.literal_eval(node.args[0]), dtype=float)
                if values.size != 4032:
                    raise ValueError(f"expected 4032 values in {path}, found {values.size}")
                return values
    raise ValueError(f"no data array found in {path}")


def taylor_frame(path: str | Path) -> pd.DataFrame:
    """Long frame ``unique_id, ds, y`` of the Taylor series (one series, ``ds`` from 2000-06-05 00:00, 30 min)."""
    y = taylor_values(path)
    ds = pd.date_range("2000-06-05", periods=y.size, freq="30min")
    return pd.DataFrame({"unique_id": "england_wales", "ds": ds, "y": y})
