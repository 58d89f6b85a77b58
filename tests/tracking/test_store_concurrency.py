"""Two (or more) writers on a new SQLite store: both succeed and the store opens afterwards.

Without the inter-process lock around the store's creation, 20 of these 30 writes failed
(MLflow's migrations racing: "duplicate column name: step", alembic "expected to match one row").
"""

from __future__ import annotations

import multiprocessing

import pytest

WRITERS = 3
ROUNDS = 10


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


@pytest.mark.slow
def test_writers_starting_together_on_a_new_store_all_succeed(tmp_path):
    from mlflow import MlflowClient

    from gridcrm.tracking import configure

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WRITERS)
    errors = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), me, ROUNDS, barrier, errors)) for me in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=600)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == [], f"{len(failures)} of {WRITERS * ROUNDS} writes failed: {failures[:5]}"
    assert [p.exitcode for p in procs] == [0] * WRITERS
    for i in range(ROUNDS):  # every store opens afterwards and holds every writer's run
        client = MlflowClient(configure(f"sqlite:///{tmp_path}/round{i}.db", create=False))
        exp = client.get_experiment_by_name("race")
        assert exp is not None, f"round {i}: no experiment"
        runs = client.search_runs([exp.experiment_id])
        assert sorted(r.data.metrics["writer"] for r in runs) == [float(me) for me in range(WRITERS)], f"round {i}"
