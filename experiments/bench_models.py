"""Benchmarks of the risk models: the evidence behind the defaults, and the issue's speed targets.

``defaults``: the evidence behind ``RiskClassifier``'s defaults. Arrears (and
churn) training sets of 1,000 to 1,000,000 rows are drawn from synthetic
extracts (whole customers, earlier snapshots for training, a later one for
validation); every candidate is scored on a fixed later test snapshot against
the generator's true probabilities (expected ROC-AUC and Brier score: no label
noise), averaged over repeated draws at the small sizes.

``speed``: the issue's speed targets on 2 cores — fitting 1,000,000 rows × 60
features with fixed parameters (< 120 s), scoring 1,000,000 rows with
explanations (probabilities and 3 reasons in words each, < 60 s), a 30-trial
Optuna study on 200,000 rows (< 10 min). The model is ``RiskClassifier``'s
defaults (15 leaves, rate 0.05, linear base) with the number of trees fixed
(``--trees``, 300) instead of early stopping. Each timed step runs
``--repeat`` times; the table gives the best and the median. It also checks
that the explanations are exact: on a sample, the largest difference from
LightGBM's own ``pred_contrib`` and the largest gap between a row's
contributions and its raw score.

Usage::

    .venv/bin/python experiments/bench_models.py defaults --customers 25000 --datasets 4 --out out/bench_models
    .venv/bin/python experiments/bench_models.py speed --repeat 3 --out out/bench_models
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.risk import ArrearsLabel, ChurnLabel, RiskClassifier, build_training_set, snapshot_dates, time_split
from gridcrm.risk.evaluation import LogisticBaseline, expected_brier, expected_roc_auc

logger = logging.getLogger("bench_models")

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)


def candidates(n_jobs: int) -> dict[str, object]:
    """The settings compared: LightGBM's own defaults, ours with and without the linear base, logistic."""
    return {
        "lightgbm_library": RiskClassifier(n_estimators=100, learning_rate=0.1, num_leaves=31, subsample=1.0,
                                           colsample_bytree=1.0, reg_lambda=0.0, linear_base=False,
                                           early_stopping=False, n_jobs=n_jobs),
        "boosting": RiskClassifier(linear_base=False, n_jobs=n_jobs),
        "boosting_leaves7": RiskClassifier(linear_base=False, num_leaves=7, min_child_samples=50, n_jobs=n_jobs),
        "boosting_from_linear": RiskClassifier(linear_base=True, n_jobs=n_jobs),
        "boosting_from_linear_leaves7": RiskClassifier(linear_base=True, num_leaves=7, min_child_samples=50,
                                                       n_jobs=n_jobs),
        "logistic": LogisticBaseline(),
    }


def _nonlinear(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A task where trees matter: interactions, thresholds, missingness and a category, 5% events."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 30)), columns=[f"f{i}" for i in range(30)])
    X["f0"] = np.where(rng.random(n) < 0.15, np.nan, X["f0"])
    X["segment"] = pd.Categorical(rng.choice([f"s{i}" for i in range(12)], n))
    logit = (-3.6 + 0.6 * X["f1"] + 0.8 * X["f2"] * X["f3"] + 1.0 * (X["f4"] > 1.0) - 0.7 * np.abs(X["f5"])
             + np.where(X["f0"].isna(), 0.8, 0.4 * np.tanh(X["f0"])) + 0.5 * (X["segment"].cat.codes % 4 == 0)
             + 0.4 * X["f6"] * (X["segment"].cat.codes % 3 == 0))
    p = 1.0 / (1.0 + np.exp(-logit.to_numpy()))
    X.index = pd.MultiIndex.from_arrays([np.zeros(n, dtype="datetime64[ns]"), np.arange(n) + seed * 10**8],
                                        names=["as_of", "customer_id"])
    return X, p


def _pool(n_customers: int, n_datasets: int, n_snapshots: int) -> dict[str, dict[str, object]]:
    """Train/valid/test frames for arrears and churn, stacked over several independent extracts."""
    parts: dict[str, dict[str, list]] = {k: {"train": [], "valid": [], "test": [], "oracle_test": [], "end": []}
                                         for k in ("arrears", "churn")}
    for seed in range(n_datasets):
        t0 = time.perf_counter()
        synth = generate_dataset(n_customers, "2022-01-01", "2024-12-31", seed=100 + seed)
        ds = synth.dataset
        cache: dict[pd.Timestamp, pd.DataFrame] = {}

        def features(d, as_of, _cache=cache):
            if as_of not in _cache:
                _cache[as_of] = build_features(d, as_of)
            return _cache[as_of]

        for kind, label in (("arrears", ArrearsLabel()), ("churn", ChurnLabel(consumption_share=None))):
            ts = build_training_set(ds, snapshot_dates(ds, label, n=n_snapshots), label, features=features)
            tr, va, te = time_split(ts, 1, 1 if kind == "arrears" else 0)
            for name, part in (("train", tr), ("valid", va), ("test", te)):
                if len(part):  # customer ids repeat across extracts: offset them
                    idx = part.X.index
                    X = part.X.set_axis(pd.MultiIndex.from_arrays(
                        [idx.get_level_values(0), idx.get_level_values(1) + seed * 10**10], names=idx.names))
                    parts[kind][name].append((X, part.y.to_numpy(), seed))
            if kind == "arrears":
                parts[kind]["oracle_test"].append(synth.bill_truth.loc[te.info["bill_id"], "p_arrears"].to_numpy())
            else:
                end = build_features(ds, ds.extracted_on)
                p = synth.truth.loc[end.index, "p_churn_90d"]
                parts[kind]["end"].append((end.loc[p.notna().to_numpy()], p.dropna().to_numpy()))
        logger.info("extract %d: %d customers, %.0f s", seed, n_customers, time.perf_counter() - t0)
    out: dict[str, dict[str, object]] = {}
    rng = np.random.default_rng(7)
    nl = {}
    for name, (size, seed) in {"train": (1_000_000, 1), "valid": (250_000, 2), "test": (100_000, 3)}.items():
        X, p = _nonlinear(size, seed)
        nl[name] = (X, (rng.random(size) < p).astype(int))
        if name == "test":
            nl["oracle"] = p
    out["nonlinear"] = nl
    for kind, p in parts.items():
        out[kind] = {name: (pd.concat([x for x, _, _ in p[name]]), np.concatenate([y for _, y, _ in p[name]]))
                     for name in ("train", "valid", "test") if p[name]}
        if kind == "arrears":
            out[kind]["oracle"] = np.concatenate(p["oracle_test"])
        else:
            out[kind]["test"] = (pd.concat([x for x, _ in p["end"]]), None)
            out[kind]["oracle"] = np.concatenate([q for _, q in p["end"]])
    return out


def _draw(X: pd.DataFrame, y: np.ndarray, n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """About ``n`` rows of whole customers (all their snapshots), as a user with a smaller utility would have."""
    if n >= len(y):
        return X, y
    ids = X.index.get_level_values("customer_id")
    uniq = ids.unique()
    per = len(y) / len(uniq)
    keep = rng.choice(uniq, size=max(1, int(round(n / per))), replace=False)
    mask = ids.isin(keep)
    return X.loc[mask], y[mask]


def run_defaults(args: argparse.Namespace) -> pd.DataFrame:
    pool = _pool(args.customers, args.datasets, args.snapshots)
    rows = []
    for kind in args.tasks:
        data = pool[kind]
        Xtr, ytr = data["train"]
        Xva, yva = data["valid"]
        Xte, _ = data["test"]
        oracle = data["oracle"]
        logger.info("%s: %d train rows (%.2f%% events), %d valid, %d test; oracle expected AUC %.4f", kind, len(ytr),
                    100 * ytr.mean(), len(yva), len(Xte), expected_roc_auc(oracle, oracle))
        for n in args.sizes:
            if n > len(ytr):
                continue
            repeats = args.repeats if n <= 30_000 else 1
            for rep in range(repeats):
                rng = np.random.default_rng(1000 * rep + n)
                X, y = _draw(Xtr, ytr, n, rng)
                Xv, yv = _draw(Xva, yva, max(200, n // 4), rng)
                if y.sum() < 2 or yv.sum() < 1:
                    continue
                for name, est in candidates(args.n_jobs).items():
                    t0 = time.perf_counter()
                    if isinstance(est, RiskClassifier):
                        est.fit(X, y, eval_set=(Xv, yv))
                    else:
                        est.fit(X, y)
                    fit_s = time.perf_counter() - t0
                    q = est.predict_proba(Xte)[:, 1]
                    rows.append({"task": kind, "rows": len(y), "size": n, "repeat": rep, "events": int(y.sum()),
                                 "candidate": name, "exp_auc": expected_roc_auc(oracle, q),
                                 "exp_brier": expected_brier(oracle, q), "fit_s": fit_s,
                                 "trees": getattr(est, "best_iteration_", np.nan)})
                    logger.info("%s n=%d rep=%d %s: AUC %.4f Brier %.5f (%.1f s)", kind, n, rep, name,
                                rows[-1]["exp_auc"], rows[-1]["exp_brier"], fit_s)
        rows.append({"task": kind, "size": 0, "candidate": "oracle", "exp_auc": expected_roc_auc(oracle, oracle),
                     "exp_brier": expected_brier(oracle, oracle)})
    return pd.DataFrame(rows)


def speed_data(n: int, n_features: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` rows × ``n_features`` columns (one of them a 20-level category, one with 10% missing), ~7% events."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, n_features - 1)), columns=[f"f{i}" for i in range(n_features - 1)])
    X["f0"] = np.where(rng.random(n) < 0.1, np.nan, X["f0"])
    X["region"] = pd.Categorical(rng.choice([f"r{i}" for i in range(20)], n))
    logit = -3 + X["f1"] + 0.5 * X["f2"] * X["f3"] + np.where(X["f0"].isna(), 1.0, 0.3 * X["f0"]) \
        + (X["region"].cat.codes % 3 == 0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def _tree_shape(model: RiskClassifier) -> str:
    """Trees, leaves per tree and their mean and largest depth."""
    def depth(node: dict) -> int:
        return 1 + max(depth(node["left_child"]), depth(node["right_child"])) if "split_index" in node else 0

    info = model.booster_.dump_model(num_iteration=model.best_iteration_)["tree_info"]
    depths = [depth(t["tree_structure"]) for t in info]
    return (f"{len(info)} trees of {np.mean([t['num_leaves'] for t in info]):.0f} leaves, depth mean "
            f"{np.mean(depths):.1f}, max {max(depths)}")


def _timed(fn, repeat: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def run_speed(args: argparse.Namespace) -> pd.DataFrame:
    from gridcrm.risk.tuning import tune

    n = args.rows
    X, y = speed_data(n, args.features, args.seed)
    rows = []

    def row(step: str, times: list[float], target: float | None) -> None:
        best, median = min(times), float(np.median(times))
        rows.append({"step": step, "best_s": round(best, 1), "median_s": round(median, 1), "runs": len(times),
                     "target_s": target, "met": "" if target is None else ("yes" if best < target else "NO")})
        logger.info("%s: best %.1f s, median %.1f s over %d run(s)", step, best, median, len(times))

    def fit() -> RiskClassifier:
        return RiskClassifier(n_estimators=args.trees, early_stopping=False, n_jobs=args.n_jobs).fit(X, y)

    times, model = _timed(fit, args.repeat_fit)
    shape = _tree_shape(model)
    row(f"fit {n:,} rows × {X.shape[1]} features, fixed parameters ({shape})", times, 120)
    times, _ = _timed(lambda: model.predict_proba(X)[:, 1], args.repeat)
    row(f"score {n:,} rows: probabilities only", times, None)

    def score_and_explain() -> pd.DataFrame:
        proba = model.predict_proba(X)[:, 1]
        reasons = model.top_reasons(X, n_reasons=3)
        return reasons.assign(p=proba)

    times, scored = _timed(score_and_explain, args.repeat)
    assert len(scored) == n and scored["reason_1"].notna().any()
    row(f"score {n:,} rows with explanations: probability + 3 reasons in words each", times, 60)

    sample = X.iloc[:10_000]  # enough rows for the per-pattern path; LightGBM's own takes seconds here
    contrib = model.explain(sample)
    data = model._prepared(sample)
    lgb_trees = model.booster_.predict(data, num_iteration=model.best_iteration_, pred_contrib=True)
    linear, bias = model.linear_.contributions(data)
    reference = lgb_trees + np.column_stack([linear, bias])
    gap_lgb = float(np.abs(contrib.to_numpy() - reference).max())
    gap_raw = float(np.abs(model.explain(X.iloc[:100_000]).sum(axis=1) - model.decision_function(X.iloc[:100_000]))
                    .max())
    logger.info("explanations: largest difference from LightGBM pred_contrib %.1e (10,000 rows); largest "
                "|sum of contributions - raw score| %.1e (%d rows)", gap_lgb, gap_raw,
                min(n, 100_000))

    m = args.study_rows
    study = {}

    def run_study() -> None:
        study["res"] = tune(X.iloc[:m], y[:m], X.iloc[m:m + m // 4], y[m:m + m // 4],
                            estimator=RiskClassifier(n_jobs=args.n_jobs), n_trials=args.trials, seed=args.seed)

    times, _ = _timed(run_study, args.repeat_study)
    pruned = int((study["res"].history["state"] == "PRUNED").sum())
    row(f"Optuna study, {args.trials} trials, {m:,} training rows ({pruned} pruned)", times, 600)
    out = pd.DataFrame(rows)
    out.attrs["checks"] = {"max_diff_vs_lightgbm_pred_contrib": gap_lgb, "max_gap_sum_vs_raw_score": gap_raw}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("defaults", help="compare default settings over training-set sizes")
    d.add_argument("--customers", type=int, default=25_000, help="customers per synthetic extract")
    d.add_argument("--datasets", type=int, default=4, help="independent extracts stacked")
    d.add_argument("--snapshots", type=int, default=14)
    d.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    d.add_argument("--tasks", nargs="+", default=["arrears", "churn", "nonlinear"])
    d.add_argument("--repeats", type=int, default=3, help="draws per size up to 30,000 rows")
    s = sub.add_parser("speed", help="the issue's speed targets")
    s.add_argument("--rows", type=int, default=1_000_000)
    s.add_argument("--features", type=int, default=60)
    s.add_argument("--trees", type=int, default=300, help="fixed number of trees (no early stopping)")
    s.add_argument("--study-rows", type=int, default=200_000, help="training rows of the Optuna study")
    s.add_argument("--trials", type=int, default=30)
    s.add_argument("--repeat", type=int, default=3, help="runs of each scoring step")
    s.add_argument("--repeat-fit", type=int, default=1, help="runs of the fit")
    s.add_argument("--repeat-study", type=int, default=1, help="runs of the study")
    s.add_argument("--seed", type=int, default=0)
    for p in (d, s):
        p.add_argument("--n-jobs", type=int, default=2 if p is s else 1)
        p.add_argument("--out", type=Path, default=Path("out/bench_models"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("gridcrm").setLevel(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.command == "defaults":
        res = run_defaults(args)
        res.to_csv(args.out / "defaults_runs.csv", index=False)
        summary = (res.loc[res["candidate"] != "oracle"]
                   .groupby(["task", "size", "candidate"])[["exp_auc", "exp_brier", "fit_s", "trees"]].mean()
                   .round(4))
        summary.to_csv(args.out / "defaults_summary.csv")
        print(summary.to_string())
        print(res.loc[res["candidate"] == "oracle", ["task", "exp_auc", "exp_brier"]].to_string(index=False))
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        load = os.getloadavg()
        res = run_speed(args)
        res.to_csv(args.out / "speed.csv", index=False)
        print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
        print(f"machine: {cores} cores; load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f} "
              "(other jobs may share the cores)")
        print(res.to_string(index=False))
        print(", ".join(f"{k} {v:.1e}" for k, v in res.attrs["checks"].items()))


if __name__ == "__main__":
    main()
