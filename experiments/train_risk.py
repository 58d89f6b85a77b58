"""Train, evaluate and list: the churn and arrears risk models on a dataset, end to end.

Stacks point-in-time training sets over monthly snapshots, splits them by time,
tunes and calibrates each model (``configs/risk.yaml``), evaluates it on the
test snapshot against the logistic baseline and — for arrears — the AHP credit
score, writes the report and plots, the fitted models (joblib) and the risk
lists at the extraction date (internal blacklist, premium customers). On a
synthetic extract it also compares with the generator's true probabilities:
realised and expected ROC-AUC and Brier score of the oracle.

Usage::

    .venv/bin/python experiments/train_risk.py --customers 20000 --out out/risk        # synthetic
    .venv/bin/python experiments/train_risk.py --data data/sample --out out/risk-sample  # a dataset folder
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from gridcrm.features import build_features
from gridcrm.risk import snapshot_dates, time_split
from gridcrm.risk.config import load_risk_config
from gridcrm.risk.evaluation import expected_brier, expected_roc_auc
from gridcrm.risk.labels import build_training_set
from gridcrm.risk.risk_lists import flagged, risk_list
from gridcrm.risk.training import train_risk_model

logger = logging.getLogger("train_risk")


def _credit_score(train_X: pd.DataFrame, test_X: pd.DataFrame) -> np.ndarray | None:
    """The AHP credit score of the test rows (None when gridcrm.credit or its config is missing)."""
    try:
        from gridcrm.credit import CreditScorer
    except ImportError:
        return None
    config = Path(__file__).resolve().parents[1] / "configs" / "credit_ahp.yaml"
    if not config.is_file():
        return None
    scorer = CreditScorer(str(config)).fit(train_X.reset_index(drop=True))  # references: the training rows
    return scorer.transform(test_X.reset_index(drop=True))["score"].to_numpy(dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="dataset folder (default: a synthetic extract)")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--start", default="2022-01-01")
    parser.add_argument("--end", default="2024-12-31")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--config", type=Path, default=Path(__file__).resolve().parents[1] / "configs" / "risk.yaml")
    parser.add_argument("--trials", type=int, help="override tuning.n_trials")
    parser.add_argument("--timeout", type=float, help="override tuning.timeout_s")
    parser.add_argument("--no-tune", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("out/risk"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("gridcrm.features", "gridcrm.risk.labels", "gridcrm.data"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    cfg = load_risk_config(args.config)
    synth = None
    if args.data is not None:
        from gridcrm.data import load_dataset

        dataset = load_dataset(args.data, on_error="quarantine")
    else:
        from gridcrm.data.synth import generate_dataset

        synth = generate_dataset(args.customers, args.start, args.end, seed=args.seed)
        dataset = synth.dataset
    logger.info("%r", dataset)
    cache: dict[pd.Timestamp, pd.DataFrame] = {}

    def features(ds, as_of):
        if as_of not in cache:
            cache[as_of] = build_features(ds, as_of)
        return cache[as_of]

    args.out.mkdir(parents=True, exist_ok=True)
    at_end = build_features(dataset, dataset.extracted_on)
    figures: dict[str, dict] = {}
    models = {}
    for kind, label in (("arrears", cfg.arrears_label), ("churn", cfg.churn_label)):
        t0 = time.perf_counter()
        snaps = snapshot_dates(dataset, label, n=cfg.snapshots.n, freq=cfg.snapshots.freq,
                               min_history_days=cfg.snapshots.min_history_days)
        data = build_training_set(dataset, snaps, label, features=features)
        train, valid, test = time_split(data, cfg.snapshots.valid, cfg.snapshots.test)
        logger.info("%s: %r; train %d, valid %d, test %d rows (%.0f s)", kind, data, len(train), len(valid),
                    len(test), time.perf_counter() - t0)
        extra: dict[str, np.ndarray] = {}
        if kind == "arrears":
            score = _credit_score(train.X, test.X)
            if score is not None:
                extra["ahp_credit_score"] = -score  # higher = riskier
            if synth is not None:
                extra["oracle"] = synth.bill_truth.loc[test.info["bill_id"], "p_arrears"].to_numpy()
        result = train_risk_model(kind, train, valid, test, config=cfg, tuned=not args.no_tune, n_trials=args.trials,
                                  timeout=args.timeout, n_jobs=args.n_jobs, extra_scores=extra)
        models[kind] = result.model
        joblib.dump(result.model, args.out / f"{kind}_model.joblib")
        figures[kind] = result.summary()
        if result.report is not None:
            result.report.save(args.out / kind)
            print(f"\n## {kind}: test snapshot {test.snapshots[-1].date()}, {len(test):,} rows\n")
            print(result.report.to_markdown())
        if synth is not None:
            if kind == "arrears":
                p_true = extra["oracle"]
                scored = test.X
            else:  # the generator's churn truth is for the 90 days after the extraction date
                p = synth.truth.loc[at_end.index, "p_churn_90d"]
                scored, p_true = at_end.loc[p.notna().to_numpy()], p.dropna().to_numpy()
            calibrated = result.model.predict_proba(scored)[:, 1]
            raw = result.model.predict_proba(scored, calibrated=False)[:, 1]
            lr = result.baseline.predict_proba(scored)[:, 1]
            oracle = {"rows": len(p_true), "oracle_expected_auc": expected_roc_auc(p_true, p_true),
                      "model_expected_auc": expected_roc_auc(p_true, calibrated),
                      "logistic_expected_auc": expected_roc_auc(p_true, lr),
                      "oracle_expected_brier": expected_brier(p_true, p_true),
                      "model_expected_brier_uncalibrated": expected_brier(p_true, raw),
                      "model_expected_brier_calibrated": expected_brier(p_true, calibrated)}
            figures[kind]["oracle"] = oracle
            print(f"\n{kind} against the generator's truth ({'test snapshot' if kind == 'arrears' else 'at the end'}):")
            print(pd.Series(oracle).round(5).to_string())

    lst = risk_list(at_end, models, rules=cfg.risk_list.rules, n_reasons=cfg.risk_list.n_reasons,
                    amount_column=cfg.risk_list.amount_column, columns=list(cfg.risk_list.columns))
    lst.to_csv(args.out / "risk_list.csv")
    for rule in cfg.risk_list.rules:
        flagged(lst, rule).to_csv(args.out / f"{rule}.csv")
        logger.info("%s: %d customers", rule, int(lst[rule].sum()))
    (args.out / "figures.json").write_text(json.dumps(figures, indent=2, default=str))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
