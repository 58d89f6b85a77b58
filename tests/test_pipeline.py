"""The main job end to end on a small synthetic extract."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset
from gridcrm.pipeline import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    return generate_dataset(300, "2023-01-01", "2024-06-30", seed=11).dataset.save(folder)


def _config(tmp_path: Path, extract: Path, extra: str = "") -> Path:
    cfg = tmp_path / "configs" / "run.yaml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(
        f"name: t\nas_of: 2024-05-01\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n"
        f"credit:\n  config: {ROOT / 'configs/credit_ahp.yaml'}\nvalue:\n  config: {ROOT / 'configs/value_ahp.yaml'}\n"
        f"tags:\n  config: {ROOT / 'configs/tags.yaml'}\n{extra}"
    )
    return cfg


def test_main_job_writes_every_step(tmp_path, extract):
    result = run(load_config(_config(tmp_path, extract)))
    assert result.as_of == pd.Timestamp("2024-05-01")
    features = pd.read_parquet(result.files["features"])
    portraits = pd.read_parquet(result.files["portraits"])
    credit = pd.read_parquet(result.files["credit"])
    assert features.index.equals(portraits.index) and features.index.equals(credit.index)
    assert credit["score"].between(0, 100).all()
    assert {"credit_score", "credit_grade", "value_score", "value_rank"} <= set(portraits.columns)
    big = pd.read_csv(result.files["big_customers"])
    assert len(big) == math.ceil(0.2 * len(features))  # the top 20 %, rounded up (CustomerValueScorer)
    for key in ("credit_weights_plot", "group_portrait_plot"):
        assert result.files[key].stat().st_size > 10_000
    # a model's output feeds the tags: the credit grade tag is evaluated, not skipped
    tags = pd.read_parquet(result.files["tags"])
    low = set(credit.index[credit["grade"].astype(str).isin(["B", "C"])])
    assert low, "the sample should hold some low grades"
    assert set(tags.loc[tags["tag_id"] == "low_credit_grade", "customer_id"]) == low


def test_each_step_returns_its_typed_result_and_frames_is_a_read_only_view(tmp_path, extract):
    from gridcrm.job.results import CreditResult, FeaturesResult, TagsResult, ValueResult

    result = run(load_config(_config(tmp_path, extract)))
    assert list(result.results) == ["features", "credit", "value", "tags"]  # the configured steps, in order
    for name, kind in (("features", FeaturesResult), ("credit", CreditResult), ("value", ValueResult),
                       ("tags", TagsResult)):
        assert type(result.results[name]) is kind
    pd.testing.assert_frame_equal(result.results["credit"].scores, pd.read_parquet(result.files["credit"]))
    # the former string keys, for code written against them: deprecated, read-only, the same objects
    with pytest.warns(DeprecationWarning, match="RunResult.frames is deprecated"):
        frames = result.frames
    assert frames["features"] is result.results["features"].features
    assert frames["value_model"] is result.results["value"].scorer
    with pytest.raises(TypeError):
        frames["features"] = None  # type: ignore[index]
    assert result.tracking is None and result.models() != []  # tracking off: the models are declared, not logged


def test_a_step_can_be_switched_off(tmp_path, extract):
    cfg = _config(tmp_path, extract).read_text().replace("value:\n", "value:\n  enabled: false\n")
    (tmp_path / "configs" / "run.yaml").write_text(cfg)
    result = run(load_config(tmp_path / "configs" / "run.yaml"))
    assert "value" not in result.files and "credit" in result.files


@pytest.mark.slow
def test_main_job_registers_every_model_once_and_scores_from_the_registry(tmp_path, tracking_uri):
    from mlflow import MlflowClient

    risk = tmp_path / "risk.yaml"  # the shipped config with a small trial budget
    risk.write_text((ROOT / "configs/risk.yaml").read_text().replace("n_trials: 30", "n_trials: 3")
                    )
    extra = (f"segmentation:\n  config: {ROOT / 'configs/segmentation.yaml'}\n"
             f"forecasting:\n  config: {ROOT / 'configs/forecast.yaml'}\n"
             f"risk:\n  config: {risk}\n"
             "tracking:\n  enabled: true\n  experiment: t\n")
    # the committed sample: churn is rare, and a validation snapshot needs some
    text = _config(tmp_path, ROOT / "data" / "sample", extra).read_text().replace("as_of: 2024-05-01", "as_of: 2024-10-01")
    (tmp_path / "configs" / "run.yaml").write_text(text)
    cfg = load_config(tmp_path / "configs" / "run.yaml")
    import matplotlib.pyplot as plt

    open_before = set(plt.get_fignums())
    first = run(cfg)
    assert set(plt.get_fignums()) <= open_before  # every figure saved and closed
    assert first.tracking["uri"] == tracking_uri
    decisions, held_back = first.tracking["decisions"], first.tracking["held_back"]
    registered = set(decisions) | set(held_back)
    assert registered == {"gridcrm-segmenter", "gridcrm-credit", "gridcrm-value", "gridcrm-forecaster",
                          "gridcrm-group-forecaster", "gridcrm-arrears", "gridcrm-churn"}
    for kind in ("arrears", "churn"):  # a risk model trained on too few events is registered but never champion
        events, minimum = first.results["risk"].events[kind]
        assert (f"gridcrm-{kind}" in held_back) == (events < minimum), (kind, events, minimum)
    assert "gridcrm-arrears" in decisions  # the sample has enough arrears for a champion
    assert all(d["promoted"] for d in decisions.values())
    again = run(cfg).tracking  # rerunning is safe: same inputs, no new registrations of any kind
    assert again["decisions"] == {} and again["held_back"] == {}
    assert sorted(again["unchanged"]) == sorted(f"{name} v1" for name in registered)
    client = MlflowClient()
    for name in registered:
        assert len(client.search_model_versions(f"name = '{name}'")) == 1
    for name in decisions:
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    exp = client.get_experiment_by_name("t").experiment_id
    run_ = client.search_runs(exp, "tags.`gridcrm.kind` = 'arrears'", max_results=1)[0]
    assert run_.data.params["as_of"] == "2024-10-01"
    assert "gridcrm.version" in run_.data.tags and "roc_auc_after_as_of" in run_.data.metrics
    assert {a.path for a in client.list_artifacts(run_.info.run_id)} >= {"config", "plots", "tables"}
    trials = client.search_runs(exp, f"tags.`mlflow.parentRunId` = '{run_.info.run_id}'")
    assert len(trials) == 3 and all("objective" in t.data.metrics for t in trials)  # Optuna trials as child runs
    # batch scoring from the registry gives what the job computed in process
    from gridcrm.pipeline import score

    rows, path = score(cfg)
    assert path.is_file() and rows.index.equals(first.results["features"].features.index)
    pd.testing.assert_series_equal(rows["credit_score"], first.results["credit"].scores["score"], check_names=False)
    assert (rows["segment_name"] == first.results["segmentation"].segment_names).all()
    np.testing.assert_allclose(rows["arrears_probability"],
                               first.results["risk"].columns["arrears"]["arrears_probability"], rtol=1e-9)
    assert rows["arrears_reasons"].str.len().gt(0).all()
    assert set(rows["arrears_risk_grade"]) <= {"normal", "elevated", "high"}
    assert (rows["arrears_risk_grade"] == "high").mean() == pytest.approx(0.05, abs=0.02)  # cut at the top 5%
    # one grade function: `gridcrm score` grades every customer as `gridcrm run` did in its risk list and portraits
    portraits = pd.read_parquet(first.files["portraits"])
    risk_list = pd.read_parquet(first.files["risk_list"]).reindex(rows.index)
    assert (rows["arrears_risk_grade"] == portraits["arrears_risk_grade"]).all()
    assert (rows["arrears_risk_grade"] == risk_list["arrears_risk_grade"]).all()
    assert rows["value_rank"].min() == 1 and rows.loc[rows["value_score"].idxmax(), "value_rank"] == 1
    # the consumption range from the registered forecaster is the one the job computed in process
    ranges = first.results["forecasting"].ranges
    pd.testing.assert_frame_equal(rows[ranges.columns], ranges.reindex(rows.index), rtol=1e-6, check_names=False)
    assert (rows["forecast_kwh_day_lo_80"] <= rows["forecast_kwh_day"]).all()
    assert (rows["forecast_kwh_day"] <= rows["forecast_kwh_day_hi_95"]).all()
    assert rows["tag_low_credit_grade"].sum() == first.results["credit"].scores["grade"].astype(str).isin(["B", "C"]).sum()
