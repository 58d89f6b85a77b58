"""Reconciliation methods on the sample (#15): MASE and 95 % coverage per level over the 28 days after 2024-10-01.

Customers (daily kWh, no regressors) and their groups by class, region and industry, base
forecasts and every method of ``gridcrm.forecasting.reconcile``::

    .venv/bin/python experiments/compare_reconciliation.py

With ``--regressors``, as in the main job: customers with heating/cooling degree-days and the
Chinese calendar (future temperatures: the seasonal normal), and the group series without
("before") and with them ("after": a group's degree-days are its regions', weighted by their
shares of its load), base and ``wls_var`` forecasts per level::

    .venv/bin/python experiments/compare_reconciliation.py --regressors
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


def with_regressors_table() -> None:
    """Groups without and with degree-days and calendar (customers with them in both), base and wls_var."""
    import time

    from gridcrm.forecasting.regressors import add_calendar, with_regressors

    ds = load_dataset(SAMPLE)
    as_of = pd.Timestamp("2024-10-01")
    hist = add_calendar(daily_frame(ds.truncate(as_of), temperature=True))
    ids = hist["unique_id"].unique()
    members = ds.customers.set_index("customer_id").reindex(ids)[LEVELS]
    members.index.name = "unique_id"
    regions = ds.customers.set_index("customer_id")["region"]
    cust = with_regressors(ConsumptionForecaster().fit(hist), ds.customers, ds.weather, as_of)
    later = daily_frame(ds, customers=ids, fill=False)
    later = later[(later["ds"] >= as_of) & (later["ds"] < as_of + pd.Timedelta(days=28))]
    rows = []
    for name, frame in (("before (groups without regressors)", hist[["unique_id", "ds", "y"]]),
                        ("after (groups with degree-days + calendar)", hist)):
        t0 = time.perf_counter()
        gf = fit_group_forecaster(cust, frame, members, LEVELS, ConsumptionForecaster(), method="wls_var",
                                  regions=regions, weather=ds.weather, as_of=as_of)
        base = gf.base(28)
        secs = time.perf_counter() - t0
        for method, fc in (("base", base), ("wls_var", reconcile(base, gf.hierarchy, "wls_var"))):
            acc = accuracy_by_level(fc, hist, later, gf.hierarchy, members, 7)
            rows.append(acc.assign(groups=name, forecasts=method))
        print(f"{name}: groups fitted and forecast in {secs:.1f} s", flush=True)
    table = pd.concat(rows).reset_index().pivot_table(index=["groups", "forecasts"], columns="level",
                                                      values=["mase", "coverage_95"], sort=False)
    print(table.round(3).to_string())


def main() -> None:
    import sys

    warnings.simplefilter("ignore")
    if "--regressors" in sys.argv[1:]:
        with_regressors_table()
        return
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
