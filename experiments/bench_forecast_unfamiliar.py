"""Forecast accuracy on series gridcrm's generator did not make: interval load (c) and hard daily series (b).

Sibling of ``bench_forecast.py`` (which measures (a), gridcrm's own series, and the speed):

* ``--part interval``: rolling-origin backtest, ``--windows`` weekly origins, a week ahead at the
  native resolution, MASE with m = one week, on (1) ``experiments/load_profiles.py``'s 15-minute
  load (residential, office, 3-shift industry, retail; Chinese holidays) and (2) the real
  half-hourly demand of England and Wales shipped in pmdarima's wheel (``real_load.py``);
  gridcrm's default (model choice by backtest), gridcrm's block model alone (before this change),
  the weekly seasonal naive, and with ``--sf`` statsforecast's MSTL + AutoARIMA;
* ``--part hard``: ``experiments/hard_daily.py``'s daily series, last ``--h`` days held out;
  ``batched``, ``exact`` (model choice per series, per cluster, none), statsforecast AutoARIMA
  (``--sf``), seasonal naive; MASE (m = 7), ratios to AutoARIMA, 95 % coverage and seconds per series.

statsforecast is benchmark-only; install it beside the venv without touching its pandas::

    .venv/bin/pip install --target /tmp/sfpkgs --no-deps statsforecast==2.1.1 coreforecast utilsforecast \\
        numba llvmlite fugue triad adagio fs fsspec
    .venv/bin/pip download pmdarima --no-deps -d data/bench/wheels      # the real half-hourly load
    PYTHONPATH=/tmp/sfpkgs .venv/bin/python experiments/bench_forecast_unfamiliar.py --part all --sf
"""

from __future__ import annotations

import argparse
import glob
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hard_daily import hard_daily  # noqa: E402
from load_profiles import interval_load  # noqa: E402
from real_load import taylor_frame  # noqa: E402

from gridcrm.forecasting import ConsumptionForecaster, backtest  # noqa: E402
from gridcrm.forecasting.metrics import series_metrics, summarize_metrics, training_scales  # noqa: E402
from gridcrm.forecasting.multiseason import CalendarProfileForecaster  # noqa: E402

WHEELS = Path(__file__).resolve().parents[1] / "data" / "bench" / "wheels"


class SeasonalNaive(BaseEstimator):
    """Repeat the last season; Gaussian ranges from the seasonal differences (the benchmark's own, not gridcrm's)."""

    def __init__(self, season_length: int = 7, level: tuple = (80, 95), freq: str | None = None) -> None:
        self.season_length, self.level, self.freq = season_length, level, freq

    def fit(self, df: pd.DataFrame) -> SeasonalNaive:
        self.df_ = df[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"])
        self.models_ = pd.DataFrame({"model": "SeasonalNaive"}, index=self.df_["unique_id"].unique())
        return self

    def predict(self, h: int, X_future: pd.DataFrame | None = None) -> pd.DataFrame:
        from scipy.stats import norm

        s, out = self.season_length, []
        step = pd.tseries.frequencies.to_offset(self.freq or pd.infer_freq(self.df_["ds"].iloc[:50]))
        for uid, g in self.df_.groupby("unique_id", sort=False):
            y = g["y"].to_numpy()
            last = y[-s:]
            sd = np.nanstd(y[s:] - y[:-s])
            fc = np.resize(last, h)
            ds = pd.date_range(g["ds"].iloc[-1] + step, periods=h, freq=step)
            row = {"unique_id": uid, "ds": ds, "forecast": fc}
            for lv in self.level:
                z = norm.ppf(0.5 + lv / 200)
                row[f"lo_{lv}"], row[f"hi_{lv}"] = fc - z * sd, fc + z * sd
            out.append(pd.DataFrame(row))
        return pd.concat(out, ignore_index=True)


class SFMSTL(BaseEstimator):
    """statsforecast MSTL (two seasons) with AutoARIMA on the deseasonalised series."""

    def __init__(self, season_length: int = 672, level: tuple = (80, 95), freq: str | None = None) -> None:
        self.season_length, self.level, self.freq = season_length, level, freq

    def fit(self, df: pd.DataFrame) -> SFMSTL:
        self.df_ = df[["unique_id", "ds", "y"]]
        self.models_ = pd.DataFrame(index=self.df_["unique_id"].unique())
        return self

    def predict(self, h: int, X_future: pd.DataFrame | None = None) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast.models import MSTL, AutoARIMA

        s = self.season_length
        sf = StatsForecast(models=[MSTL(season_length=[s // 7, s], trend_forecaster=AutoARIMA())],
                           freq=self.freq, n_jobs=1)
        out = sf.forecast(df=self.df_, h=h, level=list(self.level))
        out = out.rename(columns={"MSTL": "forecast", **{f"MSTL-{b}-{lv}": f"{b}_{lv}" for b in ("lo", "hi")
                                                         for lv in self.level}})
        return out[["unique_id", "ds", "forecast", *[f"{b}_{lv}" for lv in self.level for b in ("lo", "hi")]]]


def _row(name: str, data: str, res, base: float | None) -> dict:
    m = res.summary().loc["all"]
    n = res.metrics["unique_id"].nunique() * res.metrics["cutoff"].nunique()
    return {"data": data, "method": name, "mase": m["mase"], "vs_weekly_naive": m["mase"] / base if base else 1.0,
            "cov80": m["coverage_80"], "cov95": m["coverage_95"], "s_per_series_fit": res.seconds / max(n, 1)}


def part_interval(args: argparse.Namespace) -> pd.DataFrame:
    sets = [("profiles-15min", interval_load(args.n_interval, weeks=args.windows + 8, seed=args.seed)
             .drop(columns="kind"), 672, "15min")]
    wheel = sorted(glob.glob(str(WHEELS / "pmdarima-*.whl")))
    if args.no_taylor:
        pass
    elif wheel:
        sets.append(("taylor-30min (real)", taylor_frame(wheel[-1]), 336, "30min"))
    else:
        print(f"no pmdarima wheel in {WHEELS}: the real half-hourly series is skipped")
    rows = []
    for data, df, s, freq in sets:
        weeks = df["ds"].nunique() // s
        windows = min(args.windows, weeks - 4)
        hist = 8 * s
        methods = [
            ("weekly seasonal naive", SeasonalNaive(season_length=s, freq=freq)),
            ("gridcrm blocks only (before #15)", ConsumptionForecaster(season_length=s, freq=freq, max_history=hist,
                                                                       model_selection=None)),
            ("gridcrm default (model choice)", ConsumptionForecaster(season_length=s, freq=freq, max_history=hist)),
            ("gridcrm default + conformal", ConsumptionForecaster(season_length=s, freq=freq, max_history=hist,
                                                                  interval_method="conformal")),
        ]
        if data.startswith("profiles"):  # Chinese holidays: the calendar-aware profiles (not for England's Taylor)
            for hp in args.holiday_profile.split(","):
                methods += [
                    (f"gridcrm + calendar profiles ({hp})", CalendarProfileForecaster(
                        forecaster=ConsumptionForecaster(season_length=s, freq=freq, max_history=hist),
                        holiday_profile=hp)),
                    (f"gridcrm + calendar profiles ({hp}) + conformal", CalendarProfileForecaster(
                        forecaster=ConsumptionForecaster(season_length=s, freq=freq, max_history=hist,
                                                         interval_method="conformal"), holiday_profile=hp)),
                ]
        if args.sf:
            methods.append(("statsforecast MSTL+AutoARIMA", SFMSTL(season_length=s, freq=freq)))
        if args.only:
            methods = [methods[0], *[m for m in methods[1:] if args.only in m[0]]]
        base = None
        for name, est in methods:
            sub = df
            if name.startswith("statsforecast") and df["unique_id"].nunique() > args.sf_series:
                sub = df[df["unique_id"].isin(df["unique_id"].unique()[: args.sf_series])]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = backtest(est, sub, h=s, n_windows=windows)
            if base is None:
                base = res.summary().loc["all", "mase"]
            if sub is not df:  # compare with the naive on the same series
                nb = backtest(methods[0][1], sub, h=s, n_windows=windows).summary().loc["all", "mase"]
                row = _row(name + f" ({args.sf_series} series)", data, res, nb)
            else:
                row = _row(name, data, res, base)
            row["windows"] = windows
            if name.startswith(("gridcrm default (", "gridcrm + calendar profiles")):
                chosen = pd.concat(res.models)["selected"].value_counts(normalize=True).round(2).to_dict()
                row["chosen"] = str(chosen)
            rows.append(row)
            print(pd.DataFrame([row]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"), flush=True)
    return pd.DataFrame(rows)


def part_hard(args: argparse.Namespace) -> pd.DataFrame:
    df = hard_daily(args.n_hard, days=730, seed=args.seed)[["unique_id", "ds", "y"]]
    cut = df["ds"].max() - pd.Timedelta(days=args.h)
    train, test = df[df["ds"] <= cut], df[df["ds"] > cut]
    scales = training_scales(train.dropna(), 7)
    rows = []

    def score(name: str, pred: pd.DataFrame, secs: float) -> None:
        j = pred.merge(test, on=["unique_id", "ds"]).dropna(subset=["y"])
        m = summarize_metrics(series_metrics(j, scales)).loc["all"]
        rows.append({"data": "hard daily", "method": name, "mase": m["mase"], "cov80": m["coverage_80"],
                     "cov95": m["coverage_95"], "s_per_series": secs / train["unique_id"].nunique()})
        print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"), flush=True)

    for engine in [e for e in args.engines.split(",") if e]:
        for sel, per in (("backtest", "series"), ("backtest", "cluster"), (None, "series")):
            t0 = time.perf_counter()
            fc = ConsumptionForecaster(engine=engine, model_selection=sel, selection=per, n_jobs=args.n_jobs,
                                       selection_clusters=args.selection_clusters).fit(train)
            label = " (no model choice)" if sel is None else " (choice per cluster)" if per == "cluster" else ""
            score(f"gridcrm {engine}{label}", fc.predict(args.h), time.perf_counter() - t0)
    t0 = time.perf_counter()
    score("seasonal naive", SeasonalNaive(7, freq="D").fit(train.dropna()).predict(args.h), time.perf_counter() - t0)
    if args.sf:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoARIMA

        from gridcrm.forecasting.frame import fill_gaps

        filled = fill_gaps(train, "D")
        filled["y"] = filled.groupby("unique_id")["y"].transform(lambda s: s.fillna(s.shift(7)).ffill().bfill())
        t0 = time.perf_counter()
        sf = StatsForecast(models=[AutoARIMA(season_length=7)], freq="D", n_jobs=args.n_jobs)
        out = sf.forecast(df=filled, h=args.h, level=[80, 95])
        out = out.rename(columns={"AutoARIMA": "forecast", "AutoARIMA-lo-80": "lo_80", "AutoARIMA-hi-80": "hi_80",
                                  "AutoARIMA-lo-95": "lo_95", "AutoARIMA-hi-95": "hi_95"})
        score("statsforecast AutoARIMA", out, time.perf_counter() - t0)
        ref = rows[-1]["mase"]
        for r in rows:
            r["vs_autoarima"] = r["mase"] / ref
    return pd.DataFrame(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=["interval", "hard", "all"], default="all")
    p.add_argument("--n-interval", type=int, default=40)
    p.add_argument("--windows", type=int, default=10)
    p.add_argument("--n-hard", type=int, default=60)
    p.add_argument("--h", type=int, default=28)
    p.add_argument("--sf", action="store_true", help="include statsforecast (benchmark-only install)")
    p.add_argument("--sf-series", type=int, default=8, help="interval series given to statsforecast MSTL (slow)")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--engines", default="batched,exact", help="gridcrm engines of --part hard (comma-separated; '' none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--selection-clusters", type=int, default=8, help="--part hard: clusters of the choice per cluster")
    p.add_argument("--only", default="", help="interval part: besides the weekly naive, only the methods whose name "
                                               "contains this text")
    p.add_argument("--holiday-profile", default="sunday,own", help="interval part: CalendarProfileForecaster's "
                                                                 "holiday_profile values to run (comma-separated)")
    p.add_argument("--no-taylor", action="store_true", help="interval part: skip the real Taylor series")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print("command:", " ".join(["python", *sys.argv]))
    tables = []
    if args.part in ("interval", "all"):
        tables.append(part_interval(args))
    if args.part in ("hard", "all"):
        tables.append(part_hard(args))
    print()
    for t in tables:
        print(t.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
