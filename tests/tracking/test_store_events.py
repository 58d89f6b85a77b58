"""A risk model trained on too few events is reported as such and never becomes champion."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_too_few_training_events_is_noted_and_not_promoted(tmp_path, _mlflow_template_db, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    import gridcrm.pipeline as pipeline

    extract = generate_dataset(1500, "2022-06-01", "2024-06-30", seed=11).dataset.save(tmp_path / "extract")
    risk = tmp_path / "risk.yaml"  # the shipped config, small: fewer snapshots and trials
    risk.write_text((ROOT / "configs/risk.yaml").read_text().replace("n_trials: 30", "n_trials: 2")
                    .replace("  n: 12\n", "  n: 10\n").replace("min_history_days: 365", "min_history_days: 180")
                    .replace("min_events: 50", "min_events: 1000000"))
    out = tmp_path / "out"
    out.mkdir()
    shutil.copyfile(_mlflow_template_db, out / "mlruns.db")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: t\nas_of: 2024-03-01\ndata:\n  path: {extract}\noutput:\n  dir: {out}\n"
                   f"risk:\n  config: {risk}\ntracking:\n  enabled: true\n  experiment: t\n")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    # the case made directly, whatever the generator's event counts: a minimum above every count
    result = pipeline.run(load_config(cfg))
    uri = f"sqlite:///{out / 'mlruns.db'}"
    client = MlflowClient(uri)
    tracking = result.tracking
    assert tracking["decisions"] == {} and set(tracking["held_back"]) == {"gridcrm-arrears", "gridcrm-churn"}
    report = (out / "report.md").read_text()
    for kind in ("arrears", "churn"):
        events, minimum = result.results["risk"].events[kind]
        assert minimum == 1_000_000 and any(f"training rows ({events:,} positive)" in n for n in result.notes)
        note = f"risk: {kind} model: trained on {events} events (< 1000000): not registered as champion"
        assert any(n.startswith(note) for n in result.notes) and f"- {note}" in report
        assert f"gridcrm-{kind} v1: not champion (roc_auc_after_as_of" in report
        # logged and registered (a rerun finds it), but no alias: score and load_model never use it
        version = client.get_model_version(f"gridcrm-{kind}", "1")
        assert version.tags["promotion"] == f"trained on {events} events (< 1000000)" and version.aliases == []
        with pytest.raises(MlflowException):
            client.get_model_version_by_alias(f"gridcrm-{kind}", "champion")
    # the job's own list still has the probabilities (the note says they are indicative only)
    assert {"p_arrears", "p_churn"} <= set(result.results["risk"].risk_list.columns)
