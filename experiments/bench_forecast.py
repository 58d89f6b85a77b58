"""Benchmark of gridcrm's forecasting engines against statsforecast AutoARIMA and seasonal naive.

One run, on the same realistic daily series from gridcrm's synthetic generator:

* accuracy table (``--n-series`` customers with a full history, holdout = last ``--h`` days):
  gridcrm ``batched``, ``exact``, ``clustered`` (customer and segment level), statsforecast
  AutoARIMA (season 7), seasonal naive, optionally pmdarima on a few series; seconds per
  series, MASE, sMAPE, 80 % / 95 % coverage, and ratios to statsforecast AutoARIMA;
* throughput of ``batched`` on ``--n-throughput`` series (fit + predict, end to end from
  the long frame), with peak memory.

statsforecast and pmdarima are benchmark-only, not dependencies of gridcrm. statsforecast 2.1.1
declares ``pandas<3`` but runs with pandas 3.1, so install it and then put pandas back::

    .venv/bin/pip install statsforecast==2.1.1 && .venv/bin/pip install "pandas==3.1.1"
    .venv/bin/python experiments/bench_forecast.py --n-series 50 --n-throughput 100000

Time per series is wall time divided by the number of series, every engine with the same
``--n-jobs`` (default 1: one process).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gridcrm.data.synth import generate_dataset
from gridcrm.forecasting import ConsumptionForecaster, daily_frame
from gridcrm.forecasting.frame import impute_seasonal, to_matrix
from gridcrm.forecasting.metrics import series_metrics, summarize_metrics, training_scales

BENCH_DIR = Path(__file__).resolve().parents[1] / "data" / "bench"  # git-ignored
H_DEFAULT = 28
LEVELS = (80, 95)


def full_history_frame(n_series: int, days: int, seed: int) -> pd.DataFrame:
    """Daily frames of ``n_series`` synthetic customers metered on every one of the last ``days`` days' span."""
    end = pd.Timestamp("2024-12-31")
    start = end - pd.Timedelta(days=days - 1)
    data = generate_dataset(n_customers=int(n_series * 1.6) + 10, start=start, end=end, seed=seed).dataset
    df = daily_frame(data)
    span = df.groupby("unique_id")["ds"].agg(["min", "max"])
    full = span.index[(span["min"] == start) & (span["max"] == end)][:n_series]
    if len(full) < n_series:
        raise SystemExit(f"only {len(full)} synthetic customers have a full history; raise the seed's population")
    return df.loc[df["unique_id"].isin(full)].reset_index(drop=True)


def imputed(df: pd.DataFrame, s: int) -> pd.DataFrame:
    """Gaps imputed as gridcrm does (value one season earlier), for libraries that refuse NaN."""
    sm = to_matrix(df, "D")
    Y, _ = impute_seasonal(sm.values, s)
    T = Y.shape[0]
    out = df.copy()
    pos = out.groupby("unique_id").cumcount().to_numpy()
    n = out.groupby("unique_id")["ds"].transform("size").to_numpy()
    col = np.repeat(np.arange(len(sm.ids)), out.groupby("unique_id").size().to_numpy())
    out["y"] = Y[T - n + pos, col]
    return out


def evaluate(pred: pd.DataFrame, test: pd.DataFrame, scales: pd.DataFrame) -> dict[str, float]:
    joined = pred.merge(test, on=["unique_id", "ds"], how="inner")
    joined = joined.loc[joined["y"].notna()]
    m = summarize_metrics(series_metrics(joined, scales)).loc["all"]
    return {"mase": m["mase"], "smape": m["smape"], "cov80": m["coverage_80"], "cov95": m["coverage_95"]}


def run_gridcrm(engine: str, train: pd.DataFrame, h: int, n_jobs: int) -> tuple[pd.DataFrame, float, object]:
    t0 = time.perf_counter()
    fc = ConsumptionForecaster(season_length=7, level=LEVELS, engine=engine, n_jobs=n_jobs).fit(train)
    pred = fc.predict(h)
    return pred, time.perf_counter() - t0, fc


def run_statsforecast(train: pd.DataFrame, h: int, n_jobs: int) -> dict[str, tuple[pd.DataFrame, float]]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, SeasonalNaive

    out = {}
    for name, model in (("statsforecast AutoARIMA", AutoARIMA(season_length=7)),
                        ("seasonal naive", SeasonalNaive(season_length=7))):
        t0 = time.perf_counter()
        sf = StatsForecast(models=[model], freq="D", n_jobs=n_jobs)
        raw = sf.forecast(df=train, h=h, level=list(LEVELS))
        secs = time.perf_counter() - t0
        col = type(model).__name__
        pred = pd.DataFrame({"unique_id": raw["unique_id"].to_numpy(), "ds": raw["ds"].to_numpy(),
                             "forecast": raw[col].to_numpy()})
        for lv in LEVELS:
            pred[f"lo_{lv}"] = raw[f"{col}-lo-{lv}"].to_numpy()
            pred[f"hi_{lv}"] = raw[f"{col}-hi-{lv}"].to_numpy()
        num = pred.columns.drop(["unique_id", "ds"])
        pred[num] = pred[num].clip(lower=0)  # consumption: clipped at 0 like gridcrm
        out[name] = (pred, secs)
    return out


def run_pmdarima(train: pd.DataFrame, h: int, n: int) -> tuple[pd.DataFrame, float, int]:
    import pmdarima as pm

    ids = train["unique_id"].unique()[:n]
    rows = []
    t0 = time.perf_counter()
    for uid in ids:
        g = train.loc[train["unique_id"] == uid]
        model = pm.auto_arima(g["y"].to_numpy(), seasonal=True, m=7, suppress_warnings=True, error_action="ignore")
        ds = pd.date_range(g["ds"].max() + pd.Timedelta(days=1), periods=h)
        frame = {"unique_id": uid, "ds": ds}
        mean, ci95 = model.predict(h, return_conf_int=True, alpha=0.05)
        _, ci80 = model.predict(h, return_conf_int=True, alpha=0.20)
        frame.update(forecast=mean, lo_80=ci80[:, 0], hi_80=ci80[:, 1], lo_95=ci95[:, 0], hi_95=ci95[:, 1])
        rows.append(pd.DataFrame(frame))
    pred = pd.concat(rows, ignore_index=True)
    num = pred.columns.drop(["unique_id", "ds"])
    pred[num] = pred[num].clip(lower=0)
    return pred, time.perf_counter() - t0, len(ids)


def segment_accuracy(fc: ConsumptionForecaster, test: pd.DataFrame, train: pd.DataFrame, h: int) -> dict[str, float]:
    """Accuracy of the clustered engine's segment totals against the actual totals."""
    seg = fc.models_["segment"]
    pred = fc.predict_segments(h)
    def totals(frame: pd.DataFrame) -> pd.DataFrame:
        g = frame.assign(unique_id=seg.reindex(frame["unique_id"]).to_numpy())
        return g.groupby(["unique_id", "ds"], as_index=False)["y"].sum(min_count=1)
    tot_test, tot_train = totals(test), totals(train)
    return evaluate(pred, tot_test, training_scales(tot_train, 7))


def make_throughput_data(n: int, days: int, seed: int, path: Path) -> float:
    """Generate ``n`` synthetic customers' daily frame and store it as parquet; returns seconds taken."""
    end = pd.Timestamp("2024-12-31")
    start = end - pd.Timedelta(days=days - 1)
    t0 = time.perf_counter()
    data = generate_dataset(n_customers=n, start=start, end=end, seed=seed).dataset
    daily_frame(data, fill=False).to_parquet(path)
    return time.perf_counter() - t0


def throughput(path: Path, h: int, n_jobs: int, selection: str = "series") -> dict[str, float]:
    """Read the frame, fit ``batched`` and predict: run in a fresh process so that its peak memory is its own."""
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    fc = ConsumptionForecaster(season_length=7, level=LEVELS, engine="batched", n_jobs=n_jobs,
                               selection=selection).fit(df)
    fit = time.perf_counter() - t0
    pred = fc.predict(h)
    total = time.perf_counter() - t0
    return {"series": fc.n_series_, "rows": len(df), "fit_s": fit, "total_s": total, "forecast_rows": len(pred),
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
            "peak_rss_worker_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2,
            "fallbacks": int((fc.models_["fallback"] != "").sum()),
            "outliers": int(fc.models_["n_outliers"].sum()) if "n_outliers" in fc.models_ else 0,
            "series_with_outliers": int((fc.models_["n_outliers"] > 0).sum()) if "n_outliers" in fc.models_ else 0}


def accuracy(args: argparse.Namespace) -> None:
    """The accuracy table: every engine and the anchors on the same series and holdout."""
    df = full_history_frame(args.n_series, args.days, args.seed)
    last = df["ds"].max()
    cut = last - pd.Timedelta(days=args.h)
    train, test = df.loc[df["ds"] <= cut], df.loc[df["ds"] > cut, ["unique_id", "ds", "y"]]
    scales = training_scales(train, 7)
    n = train["unique_id"].nunique()
    print(f"accuracy: {n} synthetic customers x {train.groupby('unique_id').size().median():.0f} days, "
          f"horizon {args.h}, n_jobs={args.n_jobs}")
    rows = {}
    clustered = None
    for engine in ("batched", "exact", "clustered"):
        pred, secs, fc = run_gridcrm(engine, train, args.h, args.n_jobs)
        rows[f"gridcrm {engine}"] = {"s_per_series": secs / n, **evaluate(pred, test, scales)}
        if engine == "clustered":
            clustered = fc
    seg = segment_accuracy(clustered, test, train, args.h)
    n_seg = len(clustered.segments_)
    rows[f"gridcrm clustered ({n_seg} segment totals)"] = {"s_per_series": np.nan, **seg}
    if not args.no_statsforecast:
        for name, (pred, secs) in run_statsforecast(imputed(train, 7), args.h, args.n_jobs).items():
            rows[name] = {"s_per_series": secs / n, **evaluate(pred, test, scales)}
    if args.pmdarima:
        pred, secs, k = run_pmdarima(imputed(train, 7), args.h, args.pmdarima)
        sub = test.loc[test["unique_id"].isin(pred["unique_id"].unique())]
        rows[f"pmdarima auto_arima ({k} series)"] = {"s_per_series": secs / k, **evaluate(pred, sub, scales)}
    table = pd.DataFrame(rows).T
    ref = "statsforecast AutoARIMA"
    if ref in table.index:
        table["mase_vs_sf"] = table["mase"] / table.loc[ref, "mase"]
        table["time_vs_sf"] = table["s_per_series"] / table.loc[ref, "s_per_series"]
    pd.set_option("display.width", 200)
    print(table.to_markdown(floatfmt=".3f") if _has_tabulate() else table.round(3).to_string())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-series", type=int, default=50)
    p.add_argument("--n-throughput", type=int, default=100_000, help="0 to skip")
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--h", type=int, default=H_DEFAULT)
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--n-jobs", type=int, default=1, help="processes for the accuracy runs (all engines)")
    p.add_argument("--throughput-jobs", type=int, default=2)
    p.add_argument("--pmdarima", type=int, default=0, help="series for pmdarima (0: skip)")
    p.add_argument("--no-statsforecast", action="store_true")
    p.add_argument("--no-accuracy", action="store_true")
    p.add_argument("--selection", choices=["series", "cluster"], default="series",
                   help="throughput: model choice per series (default) or per cluster of similar series")
    p.add_argument("--throughput-only", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.throughput_only:
        print(json.dumps(throughput(args.throughput_only, args.h, args.throughput_jobs, args.selection)))
        return
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if not args.no_accuracy:
        accuracy(args)
    if args.n_throughput:
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        path = BENCH_DIR / f"daily_{args.n_throughput}_{args.days}.parquet"
        gen = make_throughput_data(args.n_throughput, args.days, args.seed + 1, path)
        cmd = [sys.executable, __file__, "--throughput-only", str(path), "--h", str(args.h),
               "--throughput-jobs", str(args.throughput_jobs), "--selection", args.selection]
        res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        print(f"\nthroughput (batched, n_jobs={args.throughput_jobs}, model choice per {args.selection}): "
              f"{res['series']:,} series, {res['rows']:,} rows; "
              f"read + fit {res['fit_s']:.1f} s, end to end (read + fit + predict) {res['total_s']:.1f} s "
              f"({1000 * res['total_s'] / res['series']:.2f} ms per series); "
              f"peak RSS {res['peak_rss_gb']:.2f} GB (main process), {res['peak_rss_worker_gb']:.2f} GB (largest worker); "
              f"{res['fallbacks']:,} fallbacks; {res['outliers']:,} outlier points cleaned in "
              f"{res['series_with_outliers']:,} series; data generation {gen:.1f} s (not counted)")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
