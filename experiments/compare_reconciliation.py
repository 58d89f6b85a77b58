"""Reconciliation methods on the sample (#15): MASE and 95 % coverage per level over the 28 days after 2024-10-01.

Customers (daily kWh, no regressors) and their groups by class, region and industry, base
forecasts and every method of ``gridcrm.forecasting.reconcile``::

    .venv/bin/python experiments/compare_reconciliation.py
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from gridcrm.data.io import load_dataset
from gridcrm.forecasting import ConsumptionForecaster, daily_frame
from gridcrm.forecasting.groups import accuracy_by_level, fit_group_forecaster
from gridcrm.forecasting.reconcile import reconcile

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
LEVELS = ["customer_class", "region", "industry_code"]


def main() -> None:
    warnings.simplefilter("ignore")
    ds = load_dataset(SAMPLE)
    as_of = pd.Timestamp("2024-10-01")
    hist = daily_frame(ds.truncate(as_of))
    ids = hist["unique_id"].unique()
    members = ds.customers.set_index("customer_id").reindex(ids)[LEVELS]
    members.index.name = "unique_id"
    gf = fit_group_forecaster(ConsumptionForecaster().fit(hist), hist, members, LEVELS, ConsumptionForecaster())
    later = daily_frame(ds, customers=ids, fill=False)
    later = later[(later["ds"] >= as_of) & (later["ds"] < as_of + pd.Timedelta(days=28))]
    base = gf.base(28)
    rows = [accuracy_by_level(base, hist, later, gf.hierarchy, members, 7).assign(method="base")]
    for method in ("bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink"):
        out = reconcile(base, gf.hierarchy, method, errors=gf.errors)
        rows.append(accuracy_by_level(out, hist, later, gf.hierarchy, members, 7).assign(method=method))
    table = pd.concat(rows).reset_index().pivot(index="level", columns="method", values=["mase", "coverage_95"])
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
