"""Benchmark: customer segmentation — quality against known behaviour groups, and speed on 1,000,000 customers.

Three modes (figures measured while the machine was shared):

    # quality (issue 20): within-class segments against the generator's behaviour groups, on an extract
    # of gridcrm's generator and on one of a second, independently written generator (below)
    .venv/bin/python experiments/bench_segmentation.py quality --n-customers 6000 --seed 7301

    # speed (issue 20): 1,000,000 customers segmented by class with the main job's settings, < 90 s on 2 cores
    .venv/bin/python experiments/bench_segmentation.py strata --n-customers 1000000

    # speed (issue 5): all customers at once on 20 features, k chosen in 2..12
    .venv/bin/python experiments/bench_segmentation.py flat --n-customers 1000000

quality: builds the features with ``build_features`` (default arguments) as of the
day after the extract, fits ``configs/segmentation.yaml``'s segmenter and reports the
adjusted Rand index (ARI) between the segments and the true groups, on homes and on
all customers, and the stability: the mean ARI between the fitted segments and refits
with three other seeds and on three bootstrap resamples (each scored on all customers).

strata: a feature table of the behaviour features is simulated directly (building
features from 1,000,000 simulated meters would take the generator's and the
feature builder's time, which bench_generate.py and bench_features.py measure):
five classes in the generator's shares, each a mixture of behaviour groups.
"""

from __future__ import annotations

import argparse
import logging
import platform
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from gridcrm.segmentation import CustomerSegmenter, load_segmentation_config

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "segmentation.yaml"

FEATURES_20 = (
    "kwh_mean_365d", "kwh_mean_90d", "kwh_cv_90d", "weekday_weekend_ratio", "seasonality_strength",
    "zero_day_share_365d", "load_factor", "peak_share", "valley_share", "contracted_kva",
    "daily_capacity_utilisation", "on_time_rate_365d", "days_late_mean_365d", "online_channel_share_365d",
    "bill_amount_mean_365d", "tenure_years", "complaints_365d", "calls_365d", "heating_sensitivity",
    "cooling_sensitivity",
)  # fmt: skip


def simulate_features(n: int, n_features: int, seed: int) -> pd.DataFrame:
    """A customer feature table of ``n`` rows: six behaviour groups, skewed amounts, structured missingness."""
    rng = np.random.default_rng(seed)
    group = rng.choice(6, size=n, p=[0.45, 0.30, 0.12, 0.07, 0.04, 0.02])
    level = np.array([1.5, 2.3, 5.5, 4.0, 7.5, 10.5])[group] + rng.normal(0, 0.45, n)  # log kWh/day
    weekly = np.array([0.92, 0.95, 1.25, 1.0, 1.5, 1.05])[group] * rng.lognormal(0, 0.06, n)
    season = np.clip(np.array([0.2, 0.3, 0.2, 0.7, 0.15, 0.25])[group] + rng.normal(0, 0.08, n), 0, 1)
    punctual = np.clip(np.array([0.97, 0.7, 0.92, 0.85, 0.98, 0.99])[group] + rng.normal(0, 0.08, n), 0, 1)
    interval = rng.random(n) < np.array([0.0, 0.0, 0.05, 0.0, 0.4, 1.0])[group]
    cols = {
        "kwh_mean_365d": np.exp(level),
        "kwh_mean_90d": np.exp(level + rng.normal(0, 0.15, n)),
        "kwh_cv_90d": rng.gamma(4, 0.08, n) * np.array([1.0, 1.1, 0.8, 1.8, 0.7, 0.3])[group],
        "weekday_weekend_ratio": weekly,
        "seasonality_strength": season,
        "zero_day_share_365d": np.where(group == 3, rng.beta(2, 8, n), rng.beta(0.2, 40, n)),
        "load_factor": np.where(interval, rng.beta(6, 4, n), np.nan),
        "peak_share": np.where(interval, rng.beta(8, 16, n), np.nan),
        "valley_share": np.where(interval, rng.beta(6, 18, n), np.nan),
        "contracted_kva": np.exp(level - 1.2 + rng.normal(0, 0.3, n)),
        "daily_capacity_utilisation": rng.beta(3, 6, n),
        "on_time_rate_365d": punctual,
        "days_late_mean_365d": rng.exponential(1 + 20 * (1 - punctual)),
        "online_channel_share_365d": rng.beta(2, 2, n),
        "bill_amount_mean_365d": np.exp(level + 3.2 + rng.normal(0, 0.1, n)),
        "tenure_years": rng.gamma(3, 3, n),
        "complaints_365d": rng.poisson(0.1 + 0.6 * (1 - punctual), n).astype(float),
        "calls_365d": rng.poisson(1.2, n).astype(float),
        "heating_sensitivity": rng.normal(0.02, 0.02, n),
        "cooling_sensitivity": rng.normal(0.05, 0.03, n),
    }
    frame = pd.DataFrame({name: cols[name] for name in FEATURES_20[:n_features]})
    gaps = rng.random((n, 4)) < 0.01  # a few customers without payment or seasonality history
    for j, col in enumerate(("on_time_rate_365d", "days_late_mean_365d", "seasonality_strength", "kwh_cv_90d")):
        if col in frame:
            frame.loc[gaps[:, j], col] = np.nan
    frame.index = pd.RangeIndex(n, name="customer_id")
    return frame


# --- strata: behaviour features of 1,000,000 customers by class -------------------------------------------------
#: class: (share, [(group share, mean kWh/day (log-normal), heating sensitivity, weekend ratio, variability)]);
#: the winter/summer ratio follows from the heating sensitivity (about 10 more heating degrees in winter)
_CLASS_GROUPS = {
    "residential": (0.80, [(0.30, 3.2, 0.03, 1.10, 0.26), (0.38, 7.5, 0.035, 1.10, 0.21), (0.14, 16.0, 0.04, 1.08, 0.19),
                           (0.10, 9.0, 0.09, 1.10, 0.21), (0.08, 2.8, 0.02, 1.40, 0.38)]),
    "commercial": (0.12, [(0.50, 150.0, 0.02, 0.40, 0.12), (0.35, 90.0, 0.015, 0.80, 0.12),
                          (0.15, 200.0, 0.03, 1.05, 0.10)]),
    "industrial": (0.05, [(0.40, 800.0, 0.005, 0.42, 0.10), (0.40, 2000.0, 0.005, 0.65, 0.09),
                          (0.20, 5000.0, 0.003, 0.94, 0.07)]),
    "agricultural": (0.02, [(0.65, 30.0, 0.0, 1.0, 0.33), (0.35, 60.0, 0.03, 1.0, 0.15)]),
    "large_industry": (0.01, [(0.60, 90_000.0, 0.002, 0.97, 0.05), (0.40, 50_000.0, 0.002, 0.72, 0.07)]),
}


def simulate_class_features(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``customer_class`` and the behaviour features of ``n`` customers, and each one's true group (0, 1, ...)."""
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    first_group = 0
    for klass, (share, groups) in _CLASS_GROUPS.items():
        m = int(round(share * n))
        g = rng.choice(len(groups), size=m, p=[gr[0] for gr in groups])
        level, heat, weekend, var = (np.array([gr[i] for gr in groups])[g] for i in range(1, 5))
        kwh = level * rng.lognormal(0, 0.3, m)
        frame = pd.DataFrame({
            "customer_class": klass,
            "kwh_mean_365d": kwh,
            "heating_slope": kwh * (heat * rng.lognormal(0, 0.3, m) + rng.normal(0, 0.004, m)),
            "winter_summer_ratio": (1 + 10 * heat) * rng.lognormal(0, 0.1, m),
            "weekend_ratio_365d": weekend * rng.lognormal(0, 0.04, m),
            "day_to_day_variability_365d": var * rng.lognormal(0, 0.12, m),
            "household_size": (np.clip(rng.poisson(np.array([1.5, 4.0, 4.5, 3.5, 2.0])[g]), 1, 12)
                               if klass == "residential" else np.nan),
        })  # fmt: skip
        rows.append(frame)
        truth.append(first_group + g)
        first_group += len(groups)
    X = pd.concat(rows, ignore_index=True)
    order = rng.permutation(len(X))
    X = X.iloc[order].reset_index(drop=True)
    X["customer_class"] = X["customer_class"].astype("category")
    X.index.name = "customer_id"
    return X, np.concatenate(truth)[order]


# --- quality: a second, independently written generator of behaviour groups ----------------------------------------
#: group: (class, share, mean kWh/day, heating kWh share per °C below 16, cooling per °C above 24,
#:         weekday factor, Saturday, Sunday, months empty (1-12), household sizes)
_ALT_GROUPS = {
    "single_flat": ("residential", 0.28, 3.0, 0.012, 0.020, 1.0, 1.15, 1.15, (), (1, 2)),
    "family_house": ("residential", 0.34, 9.0, 0.015, 0.030, 1.0, 1.10, 1.15, (), (3, 4, 5)),
    "heat_pump_home": ("residential", 0.14, 8.0, 0.085, 0.020, 1.0, 1.10, 1.10, (), (2, 3, 4)),
    "villa": ("residential", 0.12, 24.0, 0.020, 0.060, 1.0, 1.05, 1.05, (), (4, 5, 6)),
    "weekend_cottage": ("residential", 0.12, 2.5, 0.010, 0.010, 0.55, 1.9, 1.7, (1, 2, 12), (1, 2, 3)),
    "office": ("commercial", 0.45, 120.0, 0.010, 0.030, 1.0, 0.35, 0.30, (), ()),
    "retail": ("commercial", 0.35, 80.0, 0.008, 0.025, 1.0, 1.05, 0.70, (), ()),
    "restaurant": ("commercial", 0.20, 150.0, 0.010, 0.020, 0.95, 1.20, 1.20, (), ()),
}


def alt_generator(n: int, seed: int, start: str = "2022-10-01", end: str = "2024-09-30"):
    """A small extract (customers, daily reads, weather) of known behaviour groups, and each customer's group.

    Written apart from ``gridcrm.data.synth``: other groups, gamma-distributed levels, degree days
    on 16/24 °C, AR(1) day-to-day noise, empty months for cottages, two regions' sinusoidal weather.
    """
    from gridcrm.data import validate_tables

    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end)
    names = list(_ALT_GROUPS)
    klass = np.array([_ALT_GROUPS[g][0] for g in names])
    res_share = 0.8
    p = np.array([_ALT_GROUPS[g][1] * (res_share if _ALT_GROUPS[g][0] == "residential" else 1 - res_share)
                  for g in names])
    group = rng.choice(len(names), size=n, p=p / p.sum())
    region = rng.integers(0, 2, n)
    doy = days.day_of_year.to_numpy()
    temp = np.stack([12 + amp * -np.cos(2 * np.pi * (doy - 20) / 365.25) for amp in (13.0, 9.0)])
    anomaly = np.zeros_like(temp)
    for t in range(1, len(days)):
        anomaly[:, t] = 0.7 * anomaly[:, t - 1] + rng.normal(0, 2.0, 2)
    temp = temp + anomaly
    hdd, cdd = np.maximum(16.0 - temp, 0.0), np.maximum(temp - 24.0, 0.0)
    attr = {name: np.array([_ALT_GROUPS[g][i] for g in names])[group]
            for i, name in ((2, "level"), (3, "heat"), (4, "cool"), (5, "wd"), (6, "sat"), (7, "sun"))}
    level = attr["level"] * rng.gamma(6.0, 1 / 6.0, n)
    dow = days.day_of_week.to_numpy()
    week = np.where(dow[None, :] == 5, attr["sat"][:, None], np.where(dow[None, :] == 6, attr["sun"][:, None],
                                                                       attr["wd"][:, None]))
    weather = 1 + attr["heat"][:, None] * hdd[region] * rng.lognormal(0, 0.2, n)[:, None] \
        + attr["cool"][:, None] * cdd[region] * rng.lognormal(0, 0.2, n)[:, None]
    noise = np.zeros((n, len(days)))
    eps = rng.normal(0, 1, (n, len(days)))
    sd = np.where(group == names.index("weekend_cottage"), 0.30, 0.18) * rng.uniform(0.8, 1.2, n)
    for t in range(1, len(days)):
        noise[:, t] = 0.5 * noise[:, t - 1] + eps[:, t] * sd * np.sqrt(1 - 0.25)
    kwh = level[:, None] * week * weather * np.exp(noise - 0.5 * sd[:, None] ** 2)
    empty = np.zeros((n, len(days)), dtype=bool)
    for i, g in enumerate(names):
        months = _ALT_GROUPS[g][8]
        if months:
            empty[group == i] = days.month.isin(months)[None, :]
    kwh = np.where(empty, kwh * 0.03, kwh).round(2)
    hh = np.array([rng.choice(_ALT_GROUPS[names[g]][9]) if _ALT_GROUPS[names[g]][9] else -1 for g in group], float)
    ids = np.arange(1, n + 1)
    customers = pd.DataFrame({
        "customer_id": ids, "customer_class": klass[group], "industry_code": None,
        "region": np.array(["north", "south"])[region], "supply_station": "s1",
        "tariff": np.where(klass[group] == "residential", "res_tiered", "commercial_flat"),
        "contracted_kva": np.maximum(np.ceil(level * 2.5 / 24), 4.0), "voltage_kv": 0.22,
        "connected_on": "2015-01-01", "closed_on": None, "preferred_channel": "app",
        "household_size": pd.array(np.where(hh > 0, hh, np.nan)).astype("Int64"), "prepaid": False,
    })  # fmt: skip
    meter = pd.DataFrame({"customer_id": np.repeat(ids, len(days)), "date": np.tile(days.to_numpy(), n),
                          "kwh": kwh.ravel()})
    weather_frame = pd.DataFrame({"region": np.repeat(["north", "south"], len(days)),
                                  "date": np.tile(days.to_numpy(), 2), "temp_c": temp.ravel().round(1)})
    ds = validate_tables({"customers": customers, "meter_daily": meter, "weather": weather_frame},
                         extracted_on=pd.Timestamp(end) + pd.Timedelta(days=1))
    return ds, pd.Series(np.array(names)[group], index=pd.Index(ids, name="customer_id"), name="group")


def _stability(seg: CustomerSegmenter, X: pd.DataFrame, seed: int, runs: int = 3) -> float:
    """Mean ARI between ``seg``'s labels and refits with other seeds and on bootstrap resamples (scored on all)."""
    rng = np.random.default_rng(seed)
    aris = []
    for _ in range(runs):
        other = CustomerSegmenter(**{**seg.get_params(), "random_state": int(rng.integers(1 << 30))}).fit(X)
        aris.append(adjusted_rand_score(seg.labels_, other.labels_))
        boot = X.iloc[rng.integers(0, len(X), len(X))]
        refit = CustomerSegmenter(**{**seg.get_params(), "random_state": int(rng.integers(1 << 30))}).fit(boot)
        aris.append(adjusted_rand_score(seg.labels_, refit.predict(X)))
    return float(np.mean(aris))


def _before(X: pd.DataFrame, truth: pd.Series) -> None:
    """The segmenter as it was before issue 20: all customers at once on DEFAULT_FEATURES, k by vote."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seg = CustomerSegmenter(random_state=42).fit(X)
        homes = (X["customer_class"] == "residential").to_numpy()
        res = CustomerSegmenter(random_state=42).fit(X.loc[homes])
        res5 = CustomerSegmenter(5, random_state=42).fit(X.loc[homes])
    print(f"  before (CustomerSegmenter(), all customers): k = {seg.n_clusters_}, ARI vs class "
          f"{adjusted_rand_score(X['customer_class'], seg.labels_):.3f}, "
          f"vs groups {adjusted_rand_score(truth, seg.labels_):.3f}; "
          f"homes alone: k = {res.n_clusters_}, ARI {adjusted_rand_score(truth[homes], res.labels_):.3f}, "
          f"k = 5: ARI {adjusted_rand_score(truth[homes], res5.labels_):.3f}")


def _score(name: str, X: pd.DataFrame, truth: pd.Series, seed: int) -> None:
    seg = load_segmentation_config(CONFIG).customer_segmenter()
    t0 = time.perf_counter()
    seg.fit(X)
    took = time.perf_counter() - t0
    homes = (X["customer_class"] == "residential").to_numpy()
    k = seg.strata_.groupby("stratum").size().to_dict()
    print(f"{name}: {len(X):,} customers, k by class {k}, fit {took:.1f} s")
    print(f"  ARI homes {adjusted_rand_score(truth[homes], seg.labels_[homes]):.3f}  "
          f"ARI all {adjusted_rand_score(truth, seg.labels_):.3f}  "
          f"stability (3 seeds + 3 bootstraps) {_stability(seg, X, seed):.3f}")
    summary = seg.profile(X).summary
    for g, row in summary.iterrows():
        tops = pd.crosstab(seg.labels_, truth.to_numpy()).loc[g]
        print(f"  {g:2d} {row['name']:<90s} {row['share_customers']:6.1%}  mostly {tops.idxmax()} "
              f"({tops.max() / tops.sum():.0%})")


def quality(args: argparse.Namespace) -> None:
    from gridcrm.data.synth import generate_dataset
    from gridcrm.features import build_features

    synth = generate_dataset(args.n_customers, "2022-10-01", "2024-09-30", seed=args.seed)
    X = build_features(synth.dataset)
    truth = synth.truth["latent_segment"].reindex(X.index)
    _score(f"gridcrm generator (seed {args.seed})", X, truth, args.seed)
    _before(X, truth)
    ds, groups = alt_generator(args.n_customers, args.seed)
    X = build_features(ds)
    _score(f"second generator (seed {args.seed})", X, groups.reindex(X.index), args.seed)


def strata(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    X, truth = simulate_class_features(args.n_customers, args.seed)
    print(f"data: {len(X):,} customers × {X.shape[1]} columns simulated in {time.perf_counter() - t0:.1f} s")
    seg = load_segmentation_config(CONFIG).customer_segmenter().set_params(n_jobs=args.n_jobs, verbose=1)
    t0 = time.perf_counter()
    seg.fit(X)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    labels = seg.predict(X)
    t_predict = time.perf_counter() - t0
    homes = (X["customer_class"] == "residential").to_numpy()
    print(f"k by class: {seg.strata_.groupby('stratum').size().to_dict()}")
    print(f"ARI homes {adjusted_rand_score(truth[homes], labels[homes]):.3f}, all {adjusted_rand_score(truth, labels):.3f}")
    _footer(args, f"fit by class (k chosen by stability in each): {t_fit:.1f} s", t_predict)


def flat(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    X = simulate_features(args.n_customers, args.n_features, args.seed)
    print(f"data: {X.shape[0]:,} customers × {X.shape[1]} features simulated in {time.perf_counter() - t0:.1f} s")
    n_clusters = args.n_clusters if args.n_clusters == "auto" else int(args.n_clusters)
    seg = CustomerSegmenter(n_clusters, features=None, k_range=(2, 12), random_state=args.seed, n_jobs=args.n_jobs,
                            verbose=1)  # fmt: skip
    t0 = time.perf_counter()
    seg.fit(X)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    labels = seg.predict(X)
    t_predict = time.perf_counter() - t0
    if seg.k_scores_ is not None:
        print(seg.k_scores_.round(4).to_string())
    print(f"best k by criterion: {seg.k_votes_}; k = {seg.n_clusters_} ({seg.algorithm_} on all customers)")
    print(f"segment sizes: {np.bincount(labels).tolist()}")
    if seg.stability_ is not None:
        print(f"stability: {seg.stability_.summary()}")
    what = "choose k in 2..12 + final fit" if n_clusters == "auto" else f"k={n_clusters}: fit"
    _footer(args, f"fit ({what} + stability check): {t_fit:.1f} s", t_predict)


def _footer(args: argparse.Namespace, fit_line: str, t_predict: float) -> None:
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"python {platform.python_version()}, n_jobs={args.n_jobs}")
    print(fit_line)
    print(f"predict: {t_predict:.1f} s")
    print(f"peak memory (ru_maxrss): {rss_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="flat", choices=("quality", "strata", "flat"))
    parser.add_argument("--n-customers", type=int, default=None,
                        help="default: 6,000 (quality), 1,000,000 (strata, flat)")
    parser.add_argument("--n-features", type=int, default=20, choices=range(2, len(FEATURES_20) + 1))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--n-clusters", default="auto", help="flat: 'auto' (choose k in 2..12) or a whole number")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.n_customers is None:
        args.n_customers = 6_000 if args.mode == "quality" else 1_000_000
    logging.basicConfig(level=logging.WARNING if args.mode == "quality" else logging.INFO,
                        format="%(relativeCreated)8.0f ms  %(name)s: %(message)s")
    {"quality": quality, "strata": strata, "flat": flat}[args.mode](args)


if __name__ == "__main__":
    main()
