"""Cost of the model choice by backtest (#15): batched fit + 28-day forecast of N simulated daily series, without it,
per series and per cluster of similar series (20 clusters, 100 series backtested in each).

    .venv/bin/python experiments/bench_model_choice_speed.py 5000
"""

from __future__ import annotations

import resource
import sys
import time
import warnings

from gridcrm.forecasting import ConsumptionForecaster
from gridcrm.forecasting.simulate import arima_frame, simulate_arima


def main(n: int) -> None:
    warnings.simplefilter("ignore")
    Y = 50 + simulate_arima(ar=[0.4], ma=[0.3], seasonal_ma=[-0.6], D=1, s=7, n=730, n_series=n, seed=3)
    df = arima_frame(Y, start="2023-01-01")
    for sel, per in ((None, "series"), ("backtest", "series"), ("backtest", "cluster")):
        t0 = time.perf_counter()
        ConsumptionForecaster(model_selection=sel, selection=per, n_jobs=1).fit(df).predict(28)
        print(f"{n} series x 730 days, model_selection={sel}" + (f", per {per}" if sel else "")
              + f": {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
