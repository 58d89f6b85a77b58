"""Theft detection benchmark (#16): gridcrm's generator, a second independent generator, speed.

    python experiments/bench_anomaly.py                # 20,000 customers, both generators
    python experiments/bench_anomaly.py --speed 100000 # + time and memory of scoring 100,000 × 2 years
    python experiments/bench_anomaly.py --delay        # + median detection delay (scores at 6 monthly dates)
    python experiments/bench_anomaly.py --no-quality --speed 100000   # speed alone

Figures: ROC-AUC; R-precision (precision at k = the number of thefts active at as_of, started >= 60 days
before it and not yet recorded; thefts younger than 60 days and recorded ones left out); precision and
recall at the inspection capacity (1 % of customers); the share of the top 1 % that are legitimate drops;
recovered kWh per inspection over a year against a random list and a "largest drop" rule (the largest
year-on-year kWh lost over the last 90 days).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from second_theft_generator import second_generator  # noqa: E402

from gridcrm.anomaly import AnomalyDetector, anomaly_signals  # noqa: E402
from gridcrm.anomaly.evaluation import evaluate_against_truth, theft_targets  # noqa: E402
from gridcrm.data.synth import generate_dataset  # noqa: E402

AS_OF = pd.Timestamp("2024-12-01")


def _isolation_forest(sig: pd.DataFrame) -> pd.Series:
    """IsolationForest (scikit-learn) on the detector's bounded signal transforms: the unsupervised alternative."""
    from sklearn.ensemble import IsolationForest

    from gridcrm.anomaly.detector import model_inputs

    x = model_inputs(sig, None)
    x = x[[c for c in x.columns if not c.startswith("evidence")]].fillna(0.0)
    forest = IsolationForest(n_estimators=200, random_state=0).fit(x)
    return pd.Series(-forest.score_samples(x), index=sig.index)


def _rules(sig: pd.DataFrame) -> dict[str, pd.Series]:
    """Simple drop rules a utility might use instead of the detector."""
    lost = (sig["kwh_per_day_before"] - sig["kwh_per_day_90d"]).fillna(-1e300)
    return {
        "largest drop (kWh/day lost, yoy 90d)": lost,
        "yoy drop share 90d": sig["drop_yoy_90d"].fillna(-1e300),
        "drop share vs peers 90d": sig["drop_vs_peers_90d"].fillna(-1e300),
    }


def _report(name: str, scores: dict[str, pd.Series], truth: pd.DataFrame, capacity: int, legit: pd.Series,
            missing: pd.Series) -> pd.DataFrame:
    rows = {k: evaluate_against_truth(v, truth, AS_OF, capacity, legit=legit, missing_kwh=missing)
            for k, v in scores.items()}
    table = pd.DataFrame(rows).T
    print(f"\n== {name}: capacity {capacity} ==")
    print(table.to_string(float_format=lambda x: f"{x:.3f}"))
    return table


def gridcrm_generator(n: int, seed: int) -> None:
    t0 = time.perf_counter()
    synth = generate_dataset(n, "2023-01-01", "2024-12-31", seed=seed)
    ds, truth = synth.dataset, synth.truth
    print(f"gridcrm generator: {n:,} customers, theft rate {truth['theft_from'].notna().mean():.3%} "
          f"({time.perf_counter() - t0:.1f} s)")
    t0 = time.perf_counter()
    det = AnomalyDetector(random_state=0).fit(ds, AS_OF)
    t1 = time.perf_counter()
    out = det.score(ds, AS_OF)
    t2 = time.perf_counter()
    print(f"fit {t1 - t0:.1f} s ({det.n_positives_} recorded thefts, PU blend weight {det.blend_weight_}), "
          f"score {t2 - t1:.1f} s")
    sig = anomaly_signals(ds, AS_OF)
    t = truth.reindex(out.index)
    legit = (((t["level_shift_factor"] < 0.9) & (t["level_shift_on"] < AS_OF))
             | ((t["vacant_from"] < AS_OF) & (t["vacant_to"] > AS_OF - pd.Timedelta(days=120)))
             | (t["distress_from"] < AS_OF) | t["confounder"].notna() | (t["closed_on"] >= AS_OF))
    share = t["theft_share"].fillna(0.0).clip(0, 0.95)
    missing = sig["kwh_per_day_90d"].fillna(0) * share / (1 - share)
    rng = np.random.default_rng(0)
    paid = AnomalyDetector(random_state=0, use_payments=True).fit(ds, AS_OF).score(ds, AS_OF)
    scores = {"AnomalyDetector": out["score"], "AnomalyDetector(use_payments=True)": paid["score"],
              "random": pd.Series(rng.random(len(out)), index=out.index),
              "IsolationForest on the signals": _isolation_forest(sig), **_rules(sig)}
    table = _report("gridcrm generator", scores, truth, max(1, n // 100), legit, missing)
    kinds = t.loc[theft_targets(truth, out.index, AS_OF)[0], "theft_kind"].astype(str)
    top = out["score"].sort_values(ascending=False, kind="stable").index[: int(table.loc["random", "n_targets"])]
    found = kinds.index.isin(top)
    print("R-precision hits by theft kind:", pd.crosstab(kinds.to_numpy(), found).to_dict())
    in_cap = kinds.index.isin(out["score"].sort_values(ascending=False, kind="stable").index[: max(1, n // 100)])
    print("targets in the top 1 % by theft kind (found / all):",
          {k: f"{int(in_cap[kinds.to_numpy() == k].sum())}/{int((kinds == k).sum())}" for k in sorted(set(kinds))})
    tl = t.loc[out["score"].sort_values(ascending=False, kind="stable").index[: max(1, n // 100)]]
    print("top 1 % by truth:", {
        "theft (any)": int(tl["theft_from"].notna().sum()),
        "level shift down": int(((tl["level_shift_factor"] < 0.9) & (tl["level_shift_on"] < AS_OF)).sum()),
        "vacancy": int(((tl["vacant_from"] < AS_OF) & (tl["vacant_to"] > AS_OF - pd.Timedelta(days=120))).sum()),
        "distress": int((tl["distress_from"] < AS_OF).sum()),
        "solar/retrofit": int(tl["confounder"].notna().sum()), "meter fault": int(tl["fault_kind"].notna().sum()),
    })
    # the kinds given to what the truth knows: meter faults, vacancies, solar and retrofits
    kind = out["kind"].astype(str)
    fault = t["fault_kind"].notna() & (t["fault_from"] < AS_OF - pd.Timedelta(days=14)) & (t["fault_to"] >= AS_OF)
    for k in ("stuck", "slow"):
        print(f"{k} meters active at as_of: {int((fault & (t['fault_kind'] == k)).sum())}, given kinds "
              f"{kind[fault & (t['fault_kind'] == k)].value_counts().to_dict()}")
    print(f"meter_fault given to {int((kind == 'meter_fault').sum())} customers, "
          f"{int(((kind == 'meter_fault') & fault).sum())} with an active fault")
    vacant = (t["vacant_from"] < AS_OF) & (t["vacant_to"] >= AS_OF)
    print(f"vacant at as_of: {int(vacant.sum())}, given kinds {kind[vacant].value_counts().to_dict()}")
    top200 = out["score"].rank(ascending=False, method="first") <= max(1, n // 100)
    for c in ("solar", "retrofit"):
        has = (t["confounder"] == c) & (t["confounder_from"] < AS_OF - pd.Timedelta(days=60))
        print(f"{c} (started >= 60 days before as_of): {int(has.sum())}, in the top 1 %: {int((has & top200).sum())}")


def second(n: int, seed: int) -> None:
    ds, truth = second_generator(n, seed=seed)
    det = AnomalyDetector(random_state=0).fit(ds, AS_OF)  # no events: unsupervised
    out = det.score(ds, AS_OF)
    sig = anomaly_signals(ds, AS_OF)
    legit = truth["legit_kind"].ne("") & (truth["legit_from"] < AS_OF)
    share = truth["theft_share"].reindex(out.index).fillna(0.0)
    missing = sig["kwh_per_day_90d"].fillna(0) * share / (1 - share)
    rng = np.random.default_rng(0)
    scores = {"AnomalyDetector": out["score"], "random": pd.Series(rng.random(len(out)), index=out.index),
              "IsolationForest on the signals": _isolation_forest(sig), **_rules(sig)}
    table = _report("second generator (daily reads alone, no recorded thefts)", scores, truth, max(1, n // 100),
                    legit, missing)
    best_rule = table.drop(index=["AnomalyDetector", "random", "IsolationForest on the signals"])["r_precision"].max()
    print(f"R-precision detector / best simple rule: {table.loc['AnomalyDetector', 'r_precision']:.3f} / "
          f"{best_rule:.3f} = {table.loc['AnomalyDetector', 'r_precision'] / best_rule:.2f}")


def delay(n: int, seed: int) -> None:
    synth = generate_dataset(n, "2023-01-01", "2024-12-31", seed=seed)
    ds, truth = synth.dataset, synth.truth
    dates = [AS_OF - pd.DateOffset(months=k) for k in range(5, -1, -1)]
    first_listed = pd.Series(pd.NaT, index=truth.index, dtype="datetime64[ns]")
    for d in dates:
        out = AnomalyDetector(random_state=0).fit(ds, d).score(ds, d)
        top = out["score"].sort_values(ascending=False, kind="stable").index[: max(1, n // 100)]
        new = first_listed.index.isin(top) & first_listed.isna()
        first_listed[new] = d
    start = truth["theft_from"]
    cohort = start.notna() & (start >= dates[0] - pd.Timedelta(days=180)) & (start < dates[-1])
    listed = cohort & first_listed.notna() & (first_listed > start)
    days = (first_listed[listed] - start[listed]).dt.days
    print(f"\n== detection delay: {int(cohort.sum())} thefts starting {(dates[0] - pd.Timedelta(days=180)).date()}.."
          f"{dates[-1].date()}; listed (top 1 %, monthly) {int(listed.sum())}; median delay {days.median():.0f} "
          f"days (quartiles {days.quantile(0.25):.0f}-{days.quantile(0.75):.0f})")


def speed(n: int) -> None:
    t0 = time.perf_counter()
    synth = generate_dataset(n, "2023-01-01", "2024-12-31", seed=3)
    ds = synth.dataset
    print(f"\n== speed: {n:,} customers × 2 years, {len(ds.meter_daily):,} reads (generated in "
          f"{time.perf_counter() - t0:.0f} s) ==")
    del synth
    t0 = time.perf_counter()
    det = AnomalyDetector(random_state=0).fit(ds, AS_OF)
    t1 = time.perf_counter()
    out = det.score(ds, AS_OF)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"fit {t1 - t0:.1f} s, score {t2 - t1:.1f} s for {len(out):,} customers; peak RSS of the process "
          f"{peak:.2f} GB (including the data)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--speed", type=int, default=0, help="also time scoring this many customers")
    ap.add_argument("--delay", action="store_true", help="also measure the detection delay")
    ap.add_argument("--no-quality", action="store_true", help="skip the two quality benchmarks")
    args = ap.parse_args()
    print("command: python experiments/bench_anomaly.py " + " ".join(sys.argv[1:]))
    if not args.no_quality:
        gridcrm_generator(args.customers, args.seed)
        second(args.customers, args.seed)
    if args.delay:
        delay(args.customers, args.seed)
    if args.speed:
        speed(args.speed)
