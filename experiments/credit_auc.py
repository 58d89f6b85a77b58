"""Does the AHP credit score mean something? ROC-AUC of the score for next-cycle arrears on synthetic data.

Usage::

    .venv/bin/python experiments/credit_auc.py [--customers 20000] [--seed 20241231] [--as-of 2024-01-01]

1. Generate a synthetic extract (``gridcrm.data.synth.generate_dataset``).
2. Build the features known just before ``as_of`` (``gridcrm.features.build_features``).
3. Fit ``CreditScorer("configs/credit_ahp.yaml")`` on them and score every customer.
4. Label each customer by their *next bill* — the first one issued on or after
   ``as_of``: arrears = paid in full more than 15 days after its due date, or not
   paid in full by the extraction date. Customers whose next bill is not yet 15
   days past due at extraction are left out.
5. Report the ROC-AUC of ``−score`` (a lower credit score should mean more
   arrears), next to the AUC of the generator's true arrears probability of the
   same bills (the ceiling any score can reach) and of single indicators.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from gridcrm.credit import CreditScorer
from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "credit_ahp.yaml"
LATE_DAYS = 15


def next_bill_arrears(bills: pd.DataFrame, payments: pd.DataFrame, as_of: pd.Timestamp,
                      extracted_on: pd.Timestamp) -> pd.DataFrame:
    """Per customer, the first bill issued on or after ``as_of`` and whether it went into arrears."""
    nxt = bills[bills["issued_on"] >= as_of].sort_values(["customer_id", "issued_on", "bill_id"])
    nxt = nxt.drop_duplicates("customer_id").set_index("bill_id")
    pays = payments[payments["bill_id"].isin(nxt.index)].sort_values(["bill_id", "paid_on", "payment_id"])
    pays = pays.assign(cum=pays.groupby("bill_id")["amount"].cumsum())
    pays = pays.join(nxt["amount"].rename("billed"), on="bill_id")
    full = pays[pays["cum"] >= pays["billed"] - 0.005].groupby("bill_id")["paid_on"].min()
    nxt["paid_in_full_on"] = full.reindex(nxt.index)
    deadline = nxt["due_on"] + pd.Timedelta(days=LATE_DAYS)
    nxt["known"] = deadline < extracted_on
    late = nxt["paid_in_full_on"].isna() | (nxt["paid_in_full_on"] > deadline)
    nxt["arrears"] = late.astype(int)
    return nxt.reset_index().set_index("customer_id")[["bill_id", "due_on", "paid_in_full_on", "known", "arrears"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20241231)
    parser.add_argument("--start", default="2022-01-01")
    parser.add_argument("--end", default="2024-06-30")
    parser.add_argument("--as-of", default="2024-01-01")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    as_of = pd.Timestamp(args.as_of)

    t0 = time.perf_counter()
    synth = generate_dataset(args.customers, args.start, args.end, seed=args.seed)
    ds = synth.dataset
    print(f"synthetic extract: {len(ds.customers):,} customers, {len(ds.bills):,} bills, "
          f"{args.start}…{args.end} (seed {args.seed}), {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    features = build_features(ds, as_of)
    print(f"features as of {as_of.date()}: {features.shape[0]:,} customers × {features.shape[1]} "
          f"({time.perf_counter() - t0:.1f} s)")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scorer = CreditScorer(CONFIG).fit(features)
    for w in caught:
        print(f"warning while fitting: {w.message}")
    scored = scorer.transform(features)

    labels = next_bill_arrears(ds.bills, ds.payments, as_of, pd.Timestamp(ds.extracted_on))
    frame = scored.join(labels, how="inner")
    frame = frame[frame["known"] & frame["score"].notna()]
    truth = synth.bill_truth["p_arrears"].reindex(frame["bill_id"]).to_numpy()
    y = frame["arrears"].to_numpy()
    print(f"customers with a known next bill: {len(frame):,}; next-bill arrears rate {y.mean():.1%}")

    auc = roc_auc_score(y, -frame["score"])
    oracle = roc_auc_score(y, truth)
    print(f"\nROC-AUC for next-cycle arrears (paid > {LATE_DAYS} days late or unpaid):")
    print(f"  AHP credit score (configs/credit_ahp.yaml)      {auc:.3f}")
    print(f"  generator's true arrears probability (ceiling)  {oracle:.3f}")
    rates = frame.groupby("grade", observed=False)["arrears"].agg(["size", "mean"])
    rates.columns = ["customers", "arrears_rate"]
    print("\nnext-bill arrears rate by credit grade:")
    print(rates.sort_index(ascending=False).to_string(float_format=lambda v: f"{v:.3f}"))

    print("\nsingle indicators (AUC of the indicator's goodness, NaN filled as the config says):")
    good = scorer.normalizer_.transform(features).reindex(frame.index)
    rows = []
    for name in scorer.indicators_:
        g = good[name].fillna(0.5).to_numpy()
        if np.unique(g).size > 1:
            rows.append((name, roc_auc_score(y, -g), float(scorer.weights_[name])))
    for name, a, w in sorted(rows, key=lambda r: -r[1]):
        print(f"  {name:<30} AUC {a:.3f}   AHP weight {w:.3f}")


if __name__ == "__main__":
    main()
