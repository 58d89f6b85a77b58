"""The main job and its tracking store: no stray files, results never lost, reruns register nothing,
one-line errors naming the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset
from gridcrm.errors import TrackingError
from gridcrm.pipeline import run, score

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    return generate_dataset(300, "2023-01-01", "2024-06-30", seed=11).dataset.save(folder)


@pytest.fixture
def job(tmp_path, extract, _mlflow_template_db, monkeypatch):
    """A credit + value + tags job with tracking and no store configured; cwd an empty folder of its own.

    MLflow's process-wide URI is unset, as in a fresh ``gridcrm run``: any MLflow call made
    before the job's store is configured lands in ``./mlflow.db``.
    """
    import mlflow.tracking._tracking_service.utils as mlflow_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(mlflow_uri, "_tracking_uri", None)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    out = tmp_path / "out"
    out.mkdir()
    shutil.copyfile(_mlflow_template_db, out / "mlruns.db")  # the default store, already migrated (fast)

    def make(extra: str = "") -> Path:
        cfg = tmp_path / "run.yaml"
        cfg.write_text(
            f"name: t\nas_of: 2024-05-01\ndata:\n  path: {extract}\noutput:\n  dir: {out}\n"
            f"credit:\n  config: {ROOT / 'configs/credit_ahp.yaml'}\nvalue:\n  config: {ROOT / 'configs/value_ahp.yaml'}\n"
            f"tags:\n  config: {ROOT / 'configs/tags.yaml'}\ntracking:\n  enabled: true\n  experiment: t\n{extra}")
        return cfg

    return make, cwd, out


def _versions(uri: str, name: str) -> list[str]:
    from mlflow import MlflowClient

    return sorted(str(v.version) for v in MlflowClient(uri).search_model_versions(f"name = '{name}'"))


@pytest.mark.slow
def test_job_leaves_nothing_in_cwd_and_reruns_register_nothing(job):
    from mlflow import MlflowClient

    make, cwd, out = job
    cfg = load_config(make())
    first = run(cfg)
    uri = f"sqlite:///{out / 'mlruns.db'}"
    assert first.tracking["uri"] == uri  # the default store: beside the results
    assert set(first.tracking["decisions"]) == {"gridcrm-credit", "gridcrm-value"}
    assert list(cwd.iterdir()) == []  # no stray ./mlflow.db (nor mlruns/, mlartifacts/)
    again = run(cfg).tracking
    assert again["decisions"] == {} and sorted(again["unchanged"]) == ["gridcrm-credit v1", "gridcrm-value v1"]
    # a version trained from these inputs that is not the champion (it lost, or was held back) is not
    # registered again either: before, only the champion's fingerprint was compared and every rerun
    # registered one more identical version
    client = MlflowClient(uri)
    for name in ("gridcrm-credit", "gridcrm-value"):
        client.delete_registered_model_alias(name, "champion")
        client.set_registered_model_alias(name, "challenger", "1")
    third = run(cfg).tracking
    assert third["decisions"] == {} and third["held_back"] == {}
    assert _versions(uri, "gridcrm-credit") == ["1"] and _versions(uri, "gridcrm-value") == ["1"]
    assert any("not registered again: gridcrm-credit v1" in n for n in run(cfg).notes)
    for name in ("gridcrm-credit", "gridcrm-value"):
        client.set_registered_model_alias(name, "champion", "1")
    rows, path = score(cfg)
    assert path == out / "scores.parquet" and {"credit_score", "value_score"} <= set(rows.columns)
    from gridcrm.tracking import load_model

    credit = load_model("gridcrm-credit", uri=uri)  # the store given explicitly
    features = first.results["features"].features
    assert credit.predict(features)["score"].to_numpy() == pytest.approx(rows["credit_score"].to_numpy())
    assert list(cwd.iterdir()) == []


@pytest.mark.parametrize("store", ["directory", "not_sqlite"])
def test_unusable_store_keeps_the_results_and_says_what_was_not_registered(job, store, tmp_path):
    make, cwd, out = job
    bad = tmp_path / "bad.db"
    if store == "directory":
        bad.mkdir()
    else:
        bad.write_text("these are not the droids\n" * 100)
    cfg_file = make()
    cfg_file.write_text(cfg_file.read_text().replace("  experiment: t\n", f"  experiment: t\n  uri: sqlite:///{bad}\n"))
    with pytest.raises(TrackingError) as err:
        run(load_config(cfg_file))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"tracking failed, the results are written to {out}/ but gridcrm-credit, gridcrm-value "
                              f"were not logged or registered in sqlite:///{bad}: tracking store sqlite:///{bad} "
                              "cannot be opened: ")
    assert ("is a directory" if store == "directory" else "file is not a database") in message
    assert f"rerun gridcrm run --config {cfg_file}: the results come out the same" in message
    for name in ("features.parquet", "credit.parquet", "value.parquet", "portraits.parquet", "config.yaml"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert "- credit: grades" in report and "- tracking: FAILED — gridcrm-credit, gridcrm-value not registered" in report
    assert err.value.result.files["portraits"] == out / "portraits.parquet"
    assert list(cwd.iterdir()) == []


@pytest.mark.slow
def test_failure_part_way_names_what_was_recorded_and_what_was_not(job, monkeypatch):
    import gridcrm.tracking as tracking

    make, cwd, out = job
    real = tracking.log_model

    def failing(model, kind, *args, **kwargs):
        if kind == "value":
            raise OSError(28, "No space left on device")
        return real(model, kind, *args, **kwargs)

    monkeypatch.setattr(tracking, "log_model", failing)
    cfg = load_config(make())
    with pytest.raises(TrackingError, match=r"but gridcrm-value was not logged or registered in sqlite:///.*mlruns\.db "
                                            r"\(gridcrm-credit recorded\): OSError: \[Errno 28\] No space left"):
        run(cfg)
    assert (out / "value.parquet").is_file()
    monkeypatch.setattr(tracking, "log_model", real)
    again = run(cfg).tracking  # the rerun registers only what was missing
    assert again["unchanged"] == ["gridcrm-credit v1"] and set(again["decisions"]) == {"gridcrm-value"}


def test_cli_tracking_failure_is_one_line(job, tmp_path, capsys):
    from gridcrm.cli import main

    make, cwd, out = job
    cfg_file = make()
    cfg_file.write_text(cfg_file.read_text().replace("  experiment: t\n", f"  experiment: t\n  uri: sqlite:///{tmp_path}\n"))
    assert main(["run", "--config", str(cfg_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "gridcrm-credit, gridcrm-value were not logged or registered" in err


def test_score_without_a_store_names_the_store_and_creates_nothing(job):
    make, cwd, out = job
    (out / "mlruns.db").unlink()
    with pytest.raises(TrackingError, match=f"no tracking store at sqlite:///{out / 'mlruns.db'} "):
        score(load_config(make()))
    assert not (out / "mlruns.db").exists() and list(cwd.iterdir()) == []


def test_score_with_an_empty_store_names_the_store(job):
    make, cwd, out = job
    with pytest.raises(TrackingError, match=r"no registered model @champion in the tracking store sqlite:///.*mlruns\.db"):
        score(load_config(make()))


def test_load_model_not_found_names_the_store_the_model_and_the_demo_store(tracking_uri, tmp_path, monkeypatch):
    from gridcrm.tracking import load_model

    with pytest.raises(TrackingError) as err:
        load_model("gridcrm-arrears")
    assert str(err.value).startswith(f"no registered model gridcrm-arrears@champion in the tracking store {tracking_uri} "
                                     "(it holds no registered model); the demo (gridcrm run --config configs/demo.yaml) "
                                     "registers into sqlite:///out/demo/mlruns.db")
    missing = tmp_path / "elsewhere" / "mlruns.db"
    with pytest.raises(TrackingError, match=f"no tracking store at sqlite:///{missing} "):
        load_model("gridcrm-arrears", alias="challenger", uri=f"sqlite:///{missing}")
    assert not missing.parent.exists()  # asking created nothing
    # the default store (no URI anywhere) is ./mlruns.db, and asking it creates nothing either
    import mlflow.tracking._tracking_service.utils as mlflow_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    monkeypatch.setattr(mlflow_uri, "_tracking_uri", None)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    with pytest.raises(TrackingError, match=f"no tracking store at sqlite:///{empty / 'mlruns.db'} "):
        load_model("gridcrm-arrears")
    assert list(empty.iterdir()) == []

