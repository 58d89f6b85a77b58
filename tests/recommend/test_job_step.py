"""The main job's recommend step, its registered model served over HTTP."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset
from gridcrm.job import run
from gridcrm.job.recommend import RecommendResult
from gridcrm.recommend import load_payment_plans, load_product_catalogue

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2024-10-01"


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    return generate_dataset(500, "2023-01-01", "2024-12-31", seed=2).dataset.save(tmp_path_factory.mktemp("extract"))


def _config(tmp_path: Path, extract: Path, sections: tuple[str, ...]) -> Path:
    files = {"credit": "credit_ahp.yaml", "tags": "tags.yaml", "recommend": "products.yaml"}
    body = "".join(f"{s}:\n  config: {ROOT / 'configs' / files[s]}\n" for s in sections)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: t\nas_of: {AS_OF}\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n"
                   f"{body}tracking:\n  enabled: false\n")
    return cfg


@pytest.mark.slow
def test_the_step_writes_bundles_and_payment_plans(tmp_path, extract):
    result = run(load_config(_config(tmp_path, extract, ("credit", "tags", "recommend"))))
    res = result.results["recommend"]
    assert isinstance(res, RecommendResult)
    out = tmp_path / "out"
    recs = pd.read_parquet(out / "recommendations.parquet")
    plans = pd.read_parquet(out / "payment_plans.parquet")
    changes = pd.read_csv(out / "payment_plan_changes.csv", index_col=0)
    cat = load_product_catalogue()
    assert recs.groupby("customer_id").size().max() <= cat.settings.k
    assert set(recs["product"]) <= set(cat.ids)
    for p in cat.products:
        if p.capacity is not None:
            assert (recs["product"] == p.id).sum() <= p.capacity
    grades = result.results["credit"].scores["grade"].astype(str)
    cash = recs[recs["product"] == "financial_payment"]
    assert grades.reindex(cash["customer_id"]).isin(["AAA", "AA"]).all()  # offered by credit grade
    assert res.n_training_offers > 100 and res.bundle["recommender"].model_ is not None
    # a change exactly where the grade does not allow the current arrangement
    shipped = load_payment_plans()
    allowed = plans["credit_grade"].map({g: set(p.allowed) for g, p in shipped.plans.items()})
    expected = [c not in a for c, a in zip(plans["current"], allowed, strict=True)]
    assert plans["change"].tolist() == expected
    assert sorted(changes.index) == sorted(plans.index[plans["change"]])
    assert any(n.startswith("recommend: ") and "learned from" in n for n in result.notes)
    # the catalogue's campaigns: each list is its audience on the step's customers, counted by group
    counts = pd.read_csv(out / "campaign_counts.csv")
    assert counts["campaign"].unique().tolist() == [c.name for c in cat.campaigns]
    for c in cat.campaigns:
        listed = pd.read_csv(out / f"campaign_{c.name}.csv", index_col="customer_id")
        assert listed.columns.tolist() == [*c.by, *c.columns]
        assert sorted(listed.index) == sorted(res.campaigns[c.name].customers.index)
        mine = counts[counts["campaign"] == c.name]
        assert mine.loc[mine["group"] == "all", "selected"].tolist() == [len(listed)]
        assert mine.loc[mine["group"] != "all", "selected"].sum() == len(listed)
    wide = result.results["tags"].tags.wide  # the first: demand_power_quality and not residential
    expected = wide.index[wide["demand_power_quality"].astype(bool) & ~wide["residential"].astype(bool)]
    assert len(expected) > 0
    assert sorted(res.campaigns[cat.campaigns[0].name].customers.index) == sorted(expected)


@pytest.mark.slow
def test_without_credit_grades_no_cash_flow_product_and_no_plan(tmp_path, extract):
    result = run(load_config(_config(tmp_path, extract, ("recommend",))))
    recs = result.results["recommend"].recommendations
    assert not recs["product_class"].eq("cash_flow").any()
    assert not result.results["recommend"].payment_plans["change"].any()
    assert any("no credit grades" in n for n in result.notes)


@pytest.mark.slow
def test_served_recommender_answers_like_in_process(tracking_uri):
    from gridcrm.recommend import ProductRecommender
    from gridcrm.tracking import ModelServer, log_model, promote, tracked_run
    from gridcrm.tracking.adapters import serve_predict
    from recommend.test_recommender import CAT, _world

    X, offers = _world(300)
    X = X.assign(complaints_365d=X["complaints_365d"].astype("int64"))
    rec = ProductRecommender(catalogue=CAT, n_estimators=30).fit(X, offers)
    bundle = {"recommender": rec, "tags": None, "credit": None, "segmenter": None, "names": {}}
    request = X.reset_index().astype({"customer_class": object})
    with tracked_run("recommender", "serve"):
        info = log_model(bundle, "recommender", request.head(3), registered_model_name="gridcrm-recommender")
    promote("gridcrm-recommender", info.registered_model_version, "n", lambda m: 1.0)
    expected = serve_predict("recommender", bundle, request.head(20))
    assert expected.columns.tolist() == ["customer_id", "products", "product_1", "product_2", "expected_value",
                                         "reasons"]
    with ModelServer("models:/gridcrm-recommender@champion", tracking_uri=tracking_uri) as server:
        body = {"dataframe_split": json.loads(request.head(20).to_json(orient="split", index=False,
                                                                        double_precision=15))}
        req = urllib.request.Request(f"{server.url}/invocations", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            got = pd.DataFrame(json.loads(resp.read())["predictions"])
    assert got["customer_id"].tolist() == expected["customer_id"].tolist()
    assert got["products"].tolist() == expected["products"].tolist()
    np.testing.assert_allclose(got["expected_value"], expected["expected_value"], rtol=1e-6)
    assert got["reasons"].tolist() == expected["reasons"].tolist()


def test_a_broken_campaign_stops_the_run_before_anything_is_written(tmp_path, capsys):
    from gridcrm.cli import main

    raw = yaml.safe_load((ROOT / "configs" / "products.yaml").read_text())
    raw["payment_plans"] = str(ROOT / "configs" / "payment_plans.yaml")
    raw["campaigns"] = [{"name": "broken", "audience": "demand_cash_flow and (high_bill or"}]
    catalogue = tmp_path / "products.yaml"
    catalogue.write_text(yaml.safe_dump(raw, allow_unicode=True))
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: t\ndata:\n  path: {tmp_path / 'nowhere'}\noutput:\n  dir: {tmp_path / 'out'}\n"
                   f"recommend:\n  config: {catalogue}\n")
    assert main(["run", "--config", str(cfg)]) == 2
    assert "campaigns[0].audience" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
