"""Benchmark (#18): precision@3 of the product recommender against rules only, popularity and the oracle.

Two worlds, written independently:
  1. gridcrm's generator (gridcrm.data.synth.offers): propensities from six latent needs;
  2. gridcrm.recommend.simulate: a random latent-factor world over the same customers' features,
     offers targeted by the catalogue's eligibility.
Precision@3 = mean true acceptance probability (within 90 days) of the three products recommended
at as_of ("expected"), and the replay estimate on the offers actually made in the 90 days after as_of;
top_decile_lift = per product, the true acceptance of the tenth of its eligible customers a ranking
puts first over that of all of them (the campaign metric), averaged over products. Rankings: model
(LightGBM), hierarchical, ensemble (the default: mean log-odds of the two), logistic, per_product,
rules, popularity, oracle (true propensities).

    .venv/bin/python experiments/bench_recommend.py --customers 8000 --seed 1
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from gridcrm.credit import CreditScorer
from gridcrm.data.synth import generate_dataset
from gridcrm.features import build_features
from gridcrm.recommend import training_offers
from gridcrm.recommend.evaluate import compare_recommenders
from gridcrm.recommend.simulate import simulate_offer_history
from gridcrm.tags import load_tags


def customers_at(dataset, as_of: pd.Timestamp) -> pd.DataFrame:
    """Features, tags and credit grade of every active customer at ``as_of`` (what the job gives the step)."""
    features = build_features(dataset, as_of=as_of)
    tags = load_tags().evaluate(features).wide
    grade = CreditScorer().fit(features).transform(features)["grade"].astype(str).rename("credit_grade")
    return pd.concat([features, tags[[c for c in tags.columns if c not in features.columns]], grade], axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", default="2024-07-01")
    args = ap.parse_args()
    t0 = time.perf_counter()
    synth = generate_dataset(args.customers, "2022-07-01", "2024-12-31", seed=args.seed)
    ds, as_of = synth.dataset, pd.Timestamp(args.as_of)
    snapshot, train = training_offers(ds["offers"], as_of)
    X_train, X = customers_at(ds, snapshot), customers_at(ds, as_of)
    truth = synth.offer_truth.filter(like="p_").rename(columns=lambda c: c[2:])
    pd.set_option("display.width", 160)
    print(f"$ {' '.join(['python', *sys.argv])}")
    print(f"\n[1] gridcrm generator: {len(X):,} customers at {as_of.date()}, {len(train):,} training offers "
          f"({train['accepted'].mean():.1%} accepted) from {snapshot.date()}")
    print(compare_recommenders(X_train, train, X, true_propensity=truth, offers=ds["offers"], as_of=as_of)
          .round(3).to_string())

    sim = simulate_offer_history(X, snapshot, as_of + pd.Timedelta(days=180), seed=args.seed)  # outcomes known
    _, train2 = training_offers(sim.offers, as_of)
    print(f"\n[2] latent-factor simulator (gridcrm.recommend.simulate) on the same customers: {len(train2):,} "
          f"training offers ({train2['accepted'].mean():.1%} accepted)")
    print(compare_recommenders(X_train, train2, X, true_propensity=sim.propensity, offers=sim.offers, as_of=as_of)
          .round(3).to_string())
    print(f"\n{time.perf_counter() - t0:.0f} s (measured while the machine was shared)")


if __name__ == "__main__":
    main()
