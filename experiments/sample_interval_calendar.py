"""The sample's 15-minute customers a week after the demo's as_of (2024-10-01: National Day), without and with the calendar.

What the main job's interval forecast does (8 weeks of history, model choice, conformal ranges),
plain and wrapped in :class:`~gridcrm.forecasting.multiseason.CalendarProfileForecaster` with
each ``holiday_profile``; MASE (m = one week) and coverage over the week after ``as_of``::

    .venv/bin/python experiments/sample_interval_calendar.py [as_of]
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from gridcrm.data.io import load_dataset
from gridcrm.forecasting import ConsumptionForecaster, interval_frame
from gridcrm.forecasting.metrics import series_metrics, summarize_metrics, training_scales
from gridcrm.forecasting.multiseason import CalendarProfileForecaster

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
WEEK = 672


def main() -> None:
    warnings.simplefilter("ignore")
    as_of = pd.Timestamp(sys.argv[1] if len(sys.argv) > 1 else "2024-10-01")
    print("command:", " ".join(["python", *sys.argv]))
    ds = load_dataset(SAMPLE)
    load = interval_frame(ds.truncate(as_of), freq="15min")
    load = load[load["ds"] < as_of]
    n = load.dropna(subset=["y"]).groupby("unique_id").size()
    load = load[load["unique_id"].isin(n.index[n >= 4 * WEEK])]
    later = interval_frame(ds, customers=load["unique_id"].unique(), freq="15min", fill=False)
    later = later[(later["ds"] >= as_of) & (later["ds"] < as_of + pd.Timedelta(days=7))]
    scales = training_scales(load.dropna(subset=["y"]), WEEK)
    for name, profile in (("no calendar (before)", None), ("calendar, holidays as Sundays (default)", "sunday"),
                          ("calendar, holidays x own holiday ratio", "own")):
        t0 = time.perf_counter()
        fc = ConsumptionForecaster(season_length=WEEK, freq="15min", max_history=8 * WEEK,
                                   interval_method="conformal", random_state=0)
        if profile:
            fc = CalendarProfileForecaster(forecaster=fc, holiday_profile=profile)
        out = fc.fit(load).predict(WEEK)
        joined = out.merge(later, on=["unique_id", "ds"]).dropna(subset=["y"])
        s = summarize_metrics(series_metrics(joined, scales)).loc["all"]
        print(f"{as_of.date()} {name}: {load['unique_id'].nunique()} customers, MASE {s['mase']:.3f}, "
              f"cov80 {s['coverage_80']:.3f}, cov95 {s['coverage_95']:.3f}, {time.perf_counter() - t0:.1f} s",
              flush=True)
        if profile == "own":
            print(fc.models_[["selected", "holiday_ratio", "holiday_days"]].round(2).to_string())


if __name__ == "__main__":
    main()
