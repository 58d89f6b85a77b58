"""Two (or more) writers on a new SQLite store: both succeed and the store opens afterwards.

Without the inter-process lock around the store's creation, 20 of these 30 writes failed
(MLflow's migrations racing: "duplicate column name: step", alembic "expected to match one row");
four rounds of three writers keep the test short and still fail nearly surely without the lock.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

WRITERS = 3
ROUNDS = 4  # 12 writes: without the lock about two in three failed, so a race cannot pass unseen


def _writer(folder: str, me: int, rounds: int, barrier, errors) -> None:  # runs in a fresh interpreter (spawn)
    import os

    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    from gridcrm.tracking import tracked_run

    for i in range(rounds):
        barrier.wait(timeout=120)  # every writer opens the same new store at the same moment
        try:
            with tracked_run("race", f"writer-{me}", uri=f"sqlite:///{folder}/round{i}.db") as run:
                run.log_metrics({"writer": float(me)})
        except Exception as exc:  # noqa: BLE001 - the test counts every failure
            errors.put(f"round {i}, writer {me}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


def _together(ctx, target, args: list[tuple]) -> tuple[list[str], list[int | None]]:
    """Start one process per argument tuple, wait for all; the failures they reported and their exit codes."""
    procs = [ctx.Process(target=target, args=a) for a in args]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    errors = args[0][-1]
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    return failures, [p.exitcode for p in procs]


@pytest.mark.slow
def test_writers_starting_together_on_a_new_store_all_succeed(tmp_path):
    from mlflow import MlflowClient

    from gridcrm.tracking import configure

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WRITERS)
    errors = ctx.Queue()
    failures, exitcodes = _together(ctx, _writer, [(str(tmp_path), me, ROUNDS, barrier, errors) for me in range(WRITERS)])
    assert failures == [], f"{len(failures)} of {WRITERS * ROUNDS} writes failed: {failures[:5]}"
    assert exitcodes == [0] * WRITERS
    for i in range(ROUNDS):  # every store opens afterwards and holds every writer's run
        client = MlflowClient(configure(f"sqlite:///{tmp_path}/round{i}.db", create=False))
        exp = client.get_experiment_by_name("race")
        assert exp is not None, f"round {i}: no experiment"
        runs = client.search_runs([exp.experiment_id])
        assert sorted(r.data.metrics["writer"] for r in runs) == [float(me) for me in range(WRITERS)], f"round {i}"


def _job(config_file: str, barrier, errors) -> None:  # runs in a fresh interpreter (spawn)
    from gridcrm.config import load_config
    from gridcrm.pipeline import run

    config = load_config(config_file)
    barrier.wait(timeout=300)  # both jobs reach tracking at about the same moment
    try:
        run(config)
    except Exception as exc:  # noqa: BLE001 - the test reports every failure
        errors.put(f"{config_file}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")


@pytest.mark.slow
def test_two_jobs_started_together_on_a_new_store_register_each_model_once(tmp_path):
    from mlflow import MlflowClient

    from gridcrm.data.synth import generate_dataset
    from gridcrm.tracking import configure

    root = Path(__file__).resolve().parents[2]
    extract = generate_dataset(300, "2023-01-01", "2024-06-30", seed=11).dataset.save(tmp_path / "extract")
    uri = f"sqlite:///{tmp_path / 'store' / 'mlruns.db'}"  # new: created by whichever job comes first
    files = []
    for i in range(2):
        cfg = tmp_path / f"job{i}.yaml"
        cfg.write_text(f"name: job{i}\nas_of: 2024-05-01\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / f'out{i}'}\n"
                       f"credit:\n  config: {root / 'configs/credit_ahp.yaml'}\n"
                       f"value:\n  config: {root / 'configs/value_ahp.yaml'}\n"
                       f"tracking:\n  enabled: true\n  experiment: t\n  uri: {uri}\n")
        files.append(str(cfg))
    ctx = multiprocessing.get_context("spawn")
    barrier, errors = ctx.Barrier(2), ctx.Queue()
    failures, exitcodes = _together(ctx, _job, [(f, barrier, errors) for f in files])
    assert failures == [] and exitcodes == [0, 0]
    client = MlflowClient(configure(uri, create=False))
    for name in ("gridcrm-credit", "gridcrm-value"):  # the same inputs: one version, not one per job
        assert [str(v.version) for v in client.search_model_versions(f"name = '{name}'")] == ["1"], name
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    for i in range(2):
        assert (tmp_path / f"out{i}" / "report.md").is_file()
