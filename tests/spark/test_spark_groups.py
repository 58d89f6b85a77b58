"""Group forecasts summed and reconciled on Spark equal the main job's pandas path (fit_group_forecaster)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from gridcrm.data import load_dataset
from gridcrm.errors import ConfigError
from gridcrm.forecasting.reconcile import Hierarchy, reconcile
from gridcrm.spark.groups import reconcile_sums

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore::FutureWarning")]  # pyspark: pandas >= 3
AS_OF = pd.Timestamp("2024-06-01")
H = 7
N_CUSTOMERS = 20
SHORT_DAYS = 3  # one customer's reads stop 3 days before as_of: its forecasts miss days of the grid (0 there)


def test_reconcile_sums_hand_computed_two_customers_one_group():
    """W = diag(wa, w1, w2): the total is the precision-weighted mean of its forecast and the customers' sum."""
    yb, wb = np.array([10.0, 30.0]), np.array([1.0, 3.0])
    ya, wa = 48.0, 4.0
    total = (ya / wa + yb.sum() / wb.sum()) / (1 / wa + 1 / wb.sum())  # (12 + 10) / 0.5 = 44
    assert total == pytest.approx(44.0)
    moved = yb + wb / wb.sum() * (total - yb.sum())  # the gap shared in proportion to the variances: 11, 33
    # each customer a cell of its own, or both in one cell: the same answer
    ra, k = reconcile_sums(np.array([[1.0, 1.0]]), yb[:, None], wb[:, None], np.array([[ya]]), np.array([[wa]]))
    assert ra[0, 0] == pytest.approx(total, abs=1e-12)
    np.testing.assert_allclose(yb + wb * k[:, 0], moved, atol=1e-12)
    ra1, k1 = reconcile_sums(np.array([[1.0]]), np.array([[yb.sum()]]), np.array([[wb.sum()]]), np.array([[ya]]),
                             np.array([[wa]]))
    assert ra1[0, 0] == pytest.approx(total, abs=1e-12)
    np.testing.assert_allclose(yb + wb * k1[0, 0], moved, atol=1e-12)
    # the library's reconcile (wls_var reads the variances from the 95 % upper bounds) agrees
    z = 1.959963984540054
    fc = pd.DataFrame({"unique_id": ["1", "2", "total"], "ds": AS_OF, "forecast": [10.0, 30.0, 48.0]})
    fc["hi_95"] = fc["forecast"] + z * np.sqrt([1.0, 3.0, 4.0])
    fc["lo_95"] = fc["forecast"] - 1.0
    h = Hierarchy(np.array(["1", "2"]), np.array(["total"]), sparse.csr_matrix(np.ones((1, 2))), {"total": ["total"]})
    got = reconcile(fc, h, "wls_var").set_index("unique_id")["forecast"]
    np.testing.assert_allclose(got[["1", "2", "total"]].to_numpy(), [*moved, total], atol=1e-6)


@pytest.mark.parametrize("method", ["ols", "wls_struct", "wls_var"])
def test_reconcile_sums_equals_reconcile_on_crossed_groups(method):
    """Cells of customers with the same class and region: the library's reconcile on every customer."""
    rng = np.random.default_rng(3)
    n, H_ = 40, 3
    members = pd.DataFrame({"c": rng.choice(["a", "b"], n), "r": rng.choice(["x", "y", "z"], n)},
                           index=np.arange(n).astype(str))
    from gridcrm.forecasting.reconcile import _membership

    h = _membership(members.index.to_numpy(), members, ["c", "r"], True)
    ids = np.r_[h.bottom_ids, h.group_ids]
    yb = rng.uniform(5, 20, (n, H_))
    ya = (h.A @ yb) * rng.uniform(0.8, 1.2, (len(h.group_ids), H_))
    sd = np.vstack([rng.uniform(1, 4, (n, H_)), rng.uniform(5, 15, (len(h.group_ids), H_))])
    dates = pd.date_range(AS_OF, periods=H_)
    point = np.vstack([yb, ya])
    fc = pd.DataFrame({"unique_id": np.repeat(ids, H_), "ds": np.tile(dates, len(ids)), "forecast": point.ravel(),
                       "lo_95": (point - 1.96 * sd).ravel(), "hi_95": (point + 1.959963984540054 * sd).ravel()})
    rec = reconcile(fc, h, method, clip=False).set_index(["unique_id", "ds"])["forecast"]
    cell = members["c"] + "|" + members["r"]
    cells, inv = np.unique(cell, return_inverse=True)
    onehot = sparse.csr_matrix((np.ones(n), (inv, np.arange(n))), shape=(len(cells), n))
    A_cells = sparse.csr_matrix((h.A @ onehot.T).toarray() > 0, dtype=float)
    if method == "wls_var":
        wb, wa = sd[:n] ** 2, sd[n:] ** 2
    else:  # as spark_group_forecasts: w_b = 1 per customer; w_a = 1 or the customers per group (cells' counts)
        wb = np.ones((n, H_))
        counts = np.bincount(inv).astype(float)
        wa = np.repeat((A_cells @ counts if method == "wls_struct" else np.ones(A_cells.shape[0]))[:, None], H_, 1)
        assert method == "ols" or wa[list(h.group_ids).index("total"), 0] == n
    ra, k = reconcile_sums(A_cells, onehot @ yb, onehot @ wb, ya, wa)
    want = rec.unstack("ds").reindex(ids).to_numpy()
    np.testing.assert_allclose(ra, want[n:], rtol=0, atol=1e-9)
    np.testing.assert_allclose(yb + wb * k[inv], want[:n], rtol=0, atol=1e-9)


@pytest.fixture(scope="module")
def pandas_path(extract):
    """What the main job's forecasting step computes with pandas (job/builtin.py ``_group_forecasts``) for a few customers."""
    from gridcrm.forecasting import daily_frame, load_forecast_config
    from gridcrm.forecasting.groups import accuracy_by_level, fit_group_forecaster
    from gridcrm.forecasting.regressors import add_calendar, with_regressors

    folder, _ = extract
    dataset = load_dataset(folder)
    cfg = load_forecast_config(Path(__file__).resolve().parents[2] / "configs" / "forecast.yaml")
    assert cfg.temperature and cfg.calendar and cfg.reconciliation == "wls_var"
    ids = dataset.customers.loc[dataset.customers["connected_on"] < AS_OF, "customer_id"].to_numpy()[:N_CUSTOMERS]
    short = int(ids[0])
    history = add_calendar(daily_frame(dataset.truncate(AS_OF), customers=ids, temperature=True))
    history = history[(history["unique_id"] != short) | (history["ds"] < AS_OF - pd.Timedelta(days=SHORT_DAYS))]
    history = history.reset_index(drop=True)
    customers_model = with_regressors(cfg.forecaster().fit(history), dataset.customers, dataset.weather, AS_OF,
                                      cfg.future_temperature)
    members = dataset.customers.set_index("customer_id").reindex(history["unique_id"].unique())[list(cfg.groups)]
    members.index.name = "unique_id"
    regions = dataset.customers.set_index("customer_id")["region"]
    model = fit_group_forecaster(customers_model, history, members, cfg.groups, cfg.forecaster(),
                                 method=cfg.reconciliation, regions=regions, weather=dataset.weather, as_of=AS_OF,
                                 future_temperature=cfg.future_temperature)
    reconciled = model.predict(H)
    base = model.base(H)
    later = daily_frame(dataset, customers=ids, fill=False)
    later = later[(later["ds"] >= AS_OF) & (later["ds"] < AS_OF + pd.Timedelta(days=H))]
    acc = []
    for name, fc in (("base", base), (f"reconciled ({model.method})", reconciled)):
        table = accuracy_by_level(fc, history, later, model.hierarchy, members, int(cfg.season_length))
        acc.append(table.assign(forecasts=name).set_index("forecasts", append=True))
    return {"cfg": cfg, "dataset": dataset, "ids": ids, "short": short, "model": model, "reconciled": reconciled,
            "base": base, "groups": reconciled.loc[reconciled["level"] != "customer"].reset_index(drop=True),
            "accuracy": pd.concat(acc)}


@pytest.fixture(scope="module")
def spark_inputs(spark, extract, pandas_path):
    """The Spark history, the customer forecasts (those of the pandas step, as ``spark_forecasts`` types them: that
    they are equal is tested in test_spark_forecasting.py) and the reads after as_of."""
    from pyspark.sql import functions as F

    from gridcrm.spark import SparkDataset, read_tables
    from gridcrm.spark.forecasting import Regressors, spark_daily_frame

    folder, extracted_on = extract
    p = pandas_path
    sds = SparkDataset.trusted(read_tables(spark, folder), extracted_on)
    chosen = spark.createDataFrame(pd.DataFrame({"customer_id": p["ids"]}))
    history = spark_daily_frame(sds.tables["meter_daily"], AS_OF, customers=chosen)
    cut = (AS_OF - pd.Timedelta(days=SHORT_DAYS)).to_pydatetime()
    history = history.where((F.col("unique_id") != p["short"]) | (F.col("ds") < F.lit(cut).cast("timestamp_ntz")))
    reg = Regressors(p["dataset"].customers, p["dataset"].weather, AS_OF,
                     future_temperature=p["cfg"].future_temperature)
    fc = p["model"].customers.predict(H)
    ddl = ", ".join(["unique_id bigint", "ds timestamp_ntz", *[f"{c} double" for c in fc.columns[2:]]])
    forecasts = spark.createDataFrame(fc, ddl)
    end = (AS_OF + pd.Timedelta(days=H)).to_pydatetime()
    actual = (sds.tables["meter_daily"].join(chosen, "customer_id", "left_semi")
              .where((F.col("date") >= F.lit(AS_OF.to_pydatetime()).cast("timestamp_ntz"))
                     & (F.col("date") < F.lit(end).cast("timestamp_ntz")))
              .select(F.col("customer_id").alias("unique_id"), F.col("date").alias("ds"), F.col("kwh").alias("y")))
    return {"history": history, "forecasts": forecasts, "customers": sds.tables["customers"], "regressors": reg,
            "actual": actual}


def test_group_forecasts_equal_the_pandas_path_for_two_partitionings(pandas_path, spark_inputs):
    from gridcrm.spark.forecasting import forecasts_to_pandas
    from gridcrm.spark.groups import spark_group_forecasts

    p, s = pandas_path, spark_inputs
    expected_customers = p["reconciled"].loc[p["reconciled"]["level"] == "customer"].drop(columns="level")
    expected_customers = expected_customers.assign(unique_id=expected_customers["unique_id"].astype(np.int64))
    expected_customers = expected_customers.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    for n in (2, 5):
        got = spark_group_forecasts(s["history"].repartition(n), s["forecasts"].repartition(n), s["customers"],
                                    p["cfg"].groups, p["cfg"].forecaster(), H, method="wls_var",
                                    regressors=s["regressors"], actual=s["actual"].repartition(n))
        pd.testing.assert_frame_equal(got.groups, p["groups"], check_exact=False, rtol=0, atol=1e-9)
        base = p["base"][~p["base"]["unique_id"].isin(p["model"].hierarchy.bottom_ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(got.base, base, check_exact=False, rtol=0, atol=1e-9)
        pd.testing.assert_frame_equal(got.accuracy, p["accuracy"], check_exact=False, rtol=0, atol=1e-9)
        assert got.hierarchy_levels == p["model"].hierarchy.levels
        assert type(got.group_model).__name__ == "RegressorForecaster"
    customers = forecasts_to_pandas(got.customers)  # lazy: computed now, from the last partitioning
    pd.testing.assert_frame_equal(customers, expected_customers, check_exact=False, rtol=0, atol=1e-9)
    # what the comparison covers: every level, the zero-filled days of the customer whose reads stop early
    assert set(p["groups"]["level"]) == {"customer_class", "region", "industry_code", "total"}
    assert list(p["accuracy"].index.get_level_values("level").unique()) == [
        "customer", "customer_class", "region", "industry_code", "total"]
    short = customers.loc[customers["unique_id"] == p["short"], "forecast"]
    assert (short < 1e-6).sum() == SHORT_DAYS  # base 0 (no forecast that day), moved by w_b * k with w_b = 1e-9
    moved = p["groups"]["forecast"].to_numpy() - base["forecast"].to_numpy()
    assert np.abs(moved).max() > 1.0  # the reconciliation did move the groups


def test_mint_shrink_and_bad_input_are_refused(spark, pandas_path, spark_inputs):
    from gridcrm.errors import InputError
    from gridcrm.spark.groups import spark_group_forecasts

    p, s = pandas_path, spark_inputs
    args = (s["history"], s["forecasts"], s["customers"], p["cfg"].groups, p["cfg"].forecaster(), H)
    with pytest.raises(ConfigError, match="mint_shrink.*covariance.*wls_var"):
        spark_group_forecasts(*args, method="mint_shrink")
    with pytest.raises(ConfigError, match="not a reconciliation method"):
        spark_group_forecasts(*args, method="bottom-up")
    with pytest.raises(InputError, match="customers lacks column.*tariff_zone"):
        spark_group_forecasts(*args[:3], ["tariff_zone"], *args[4:])
    few = s["customers"].where(s["customers"]["customer_id"] != int(p["ids"][3]))
    with pytest.raises(InputError, match=rf"no row for 1 customer.*\[{int(p['ids'][3])}\]"):
        spark_group_forecasts(args[0], args[1], few, *args[3:])


def test_bottom_up_without_regressors_or_actuals_equals_the_pandas_path(extract, pandas_path, spark_inputs):
    """No degree-days nor calendar (a plain group model), bottom-up: the groups are the customers' sums."""
    from gridcrm.forecasting import daily_frame
    from gridcrm.forecasting.groups import fit_group_forecaster
    from gridcrm.spark.groups import spark_group_forecasts

    p, s = pandas_path, spark_inputs
    history = daily_frame(p["dataset"].truncate(AS_OF), customers=p["ids"])
    history = history[(history["unique_id"] != p["short"]) | (history["ds"] < AS_OF - pd.Timedelta(days=SHORT_DAYS))]
    members = p["dataset"].customers.set_index("customer_id").reindex(history["unique_id"].unique())
    members.index.name = "unique_id"
    model = fit_group_forecaster(p["model"].customers, history.reset_index(drop=True), members[["region"]], ["region"],
                                 p["cfg"].forecaster(), method="bottom_up")
    reconciled = model.predict(H)
    want = reconciled.loc[reconciled["level"] != "customer"].reset_index(drop=True)
    got = spark_group_forecasts(s["history"], s["forecasts"], s["customers"], ["region"], p["cfg"].forecaster(), H,
                                method="bottom_up")
    pd.testing.assert_frame_equal(got.groups, want, check_exact=False, rtol=0, atol=1e-9)
    assert type(got.group_model).__name__ == "ConsumptionForecaster"
    assert got.accuracy.empty and list(got.accuracy.columns) == ["mase", "bias", "coverage_95", "n_series"]
    total = want.loc[want["unique_id"] == "total", "forecast"].to_numpy()
    regions = want.loc[want["level"] == "region"].groupby("ds")["forecast"].sum().to_numpy()
    np.testing.assert_allclose(total, regions, rtol=1e-12)  # coherent: the regions add up to the total
