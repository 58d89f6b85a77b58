"""Why the exact engine lost to AutoARIMA on hard daily series (#15): each change to it, one at a time.

One run on ``experiments/hard_daily.py`` series, cleaned and imputed as ``ConsumptionForecaster``
does, the last 28 days held out, no model choice: ``batched``; ``exact`` as it was (maximum
likelihood refit, classical seasonal test, Hyndman–Khandakar's four starts only, p+q+P+Q <= 5);
then CSS estimates; the STL seasonal test; the batched candidates as extra starts; p+q+P+Q <= 7
(today's default); and without a bound. Mean MASE (m = 7), 95 % coverage, seconds per series; with
``--sf`` statsforecast's AutoARIMA on the same cleaned series (benchmark-only install)::

    .venv/bin/python experiments/exact_vs_batched_hard.py 40
    PYTHONPATH=/tmp/sfpkgs .venv/bin/python experiments/exact_vs_batched_hard.py 80 --seed 1 --sf
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hard_daily import hard_daily  # noqa: E402

from gridcrm.forecasting._models import predict_models  # noqa: E402
from gridcrm.forecasting.batched import fit_batched  # noqa: E402
from gridcrm.forecasting.exact import fit_exact  # noqa: E402
from gridcrm.forecasting.frame import impute_seasonal, to_matrix  # noqa: E402
from gridcrm.forecasting.outliers import clean_outliers  # noqa: E402

STEPS = [
    ("exact before #15 (ML, classical test, 4 starts, order <= 5)",
     dict(estimation="ml", seasonal_test="classical", more_starts=False, max_order=5)),
    ("+ CSS estimates", dict(estimation="css", seasonal_test="classical", more_starts=False, max_order=5)),
    ("+ STL seasonal test", dict(estimation="css", seasonal_test="stl", more_starts=False, max_order=5)),
    ("+ batched candidates as starts", dict(estimation="css", seasonal_test="stl", more_starts=True, max_order=5)),
    ("+ p+q+P+Q <= 7 (default)", dict()),
    ("  (no bound on p+q+P+Q, as auto.arima's stepwise)", dict(max_order=None)),
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, nargs="?", default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--h", type=int, default=28)
    p.add_argument("--sf", action="store_true", help="statsforecast AutoARIMA on the same cleaned series")
    args = p.parse_args()
    print("command:", " ".join(["python", *sys.argv]))
    warnings.simplefilter("ignore")
    n, h = args.n, args.h
    df = hard_daily(n, days=730, seed=args.seed)[["unique_id", "ds", "y"]]
    cut = df["ds"].max() - pd.Timedelta(days=h)
    train, test = df[df["ds"] <= cut], df[df["ds"] > cut]
    Y = to_matrix(train, "D").values.copy()
    clean_outliers(Y, 7, 7.0, copy=False)
    Y, _ = impute_seasonal(Y, 7, copy=False)
    Yte = to_matrix(test, "D").values
    scale = np.nanmean(np.abs(Y[7:] - Y[:-7]), axis=0)
    rows = []

    def score(name: str, mean: np.ndarray, sd: np.ndarray, secs: float) -> None:
        mean = np.maximum(mean, 0)
        mase = np.nanmean(np.abs(Yte - mean), axis=0) / scale
        rows.append({"method": name, "mase": mase.mean(), "cov95": np.nanmean(np.abs(Yte - mean) <= 1.96 * sd),
                     "s_per_series": secs / n})
        print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1, float_format="%.4f"), flush=True)

    t0 = time.perf_counter()
    score("batched", *predict_models(fit_batched(Y, 7), h), time.perf_counter() - t0)
    for name, kw in STEPS:
        t0 = time.perf_counter()
        score(name, *predict_models(fit_exact(Y, 7, **kw), h), time.perf_counter() - t0)
    if args.sf:
        from statsforecast.models import AutoARIMA

        AutoARIMA(season_length=7).forecast(y=Y[-100:, 0], h=2)  # numba compiles once, not timed
        t0 = time.perf_counter()
        out = [AutoARIMA(season_length=7).forecast(y=Y[:, j][~np.isnan(Y[:, j])], h=h, level=[95]) for j in range(n)]
        mean = np.array([o["mean"] for o in out]).T
        score("statsforecast AutoARIMA", mean, np.array([(o["hi-95"] - o["mean"]) / 1.96 for o in out]).T,
              time.perf_counter() - t0)
        for r in rows:
            r["vs_autoarima"] = r["mase"] / rows[-1]["mase"]
    print()
    print(pd.DataFrame(rows).to_string(index=False, float_format="%.4f"))


if __name__ == "__main__":
    main()
