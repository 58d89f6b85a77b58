"""MLflow runs for every gridcrm training entry point.

One way to open a run: :func:`tracked_run`. It configures MLflow to work offline
and quietly, puts the run in an experiment whose artifacts live next to the
tracking database (never in the working directory by accident), and logs the
flattened config, the config file, gridcrm's version and the git commit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd

from gridcrm._version import __version__
from gridcrm.errors import TrackingError

__all__ = ["TrackedRun", "configure", "flatten", "store_lock", "store_path", "tracked_run", "tracking_uri"]

logger = logging.getLogger(__name__)

#: Default tracking store: a SQLite file in the working directory.
DEFAULT_DB = "mlruns.db"

_QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def tracking_uri(uri: str | None = None, default: str | Path | None = None) -> str:
    """Resolve the tracking URI: ``uri``, else ``$MLFLOW_TRACKING_URI``, else a SQLite store at ``default``.

    The one place a tracking store is chosen: the main job, batch scoring, serving
    and :func:`configure` all resolve it here.

    Parameters
    ----------
    uri : str, optional
        An explicit tracking URI (``tracking.uri``, ``--tracking-uri``, ``uri=``).
    default : str or Path, optional
        The SQLite file used when neither ``uri`` nor ``$MLFLOW_TRACKING_URI`` is set
        (the main job: ``<output dir>/mlruns.db``); default ``<cwd>/mlruns.db``.

    Returns
    -------
    str

    Examples
    --------
    >>> tracking_uri("sqlite:////tmp/x.db")
    'sqlite:////tmp/x.db'
    >>> import os
    >>> tracking_uri(None, "/data/out/mlruns.db") if "MLFLOW_TRACKING_URI" not in os.environ else 'sqlite:////data/out/mlruns.db'
    'sqlite:////data/out/mlruns.db'
    """
    if uri:
        return uri
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    db = Path(default).resolve() if default is not None else Path.cwd() / DEFAULT_DB
    return f"sqlite:///{db}"


def current_uri() -> str:
    """The store MLflow is pointed at (by :func:`configure` or ``mlflow.set_tracking_uri``), else :func:`tracking_uri`.

    Never MLflow's own default (``sqlite:///<cwd>/mlflow.db``): a second store in the working directory.
    """
    from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

    if is_tracking_uri_set():
        import mlflow

        return str(mlflow.get_tracking_uri())
    return tracking_uri(None)


def artifact_root(uri: str) -> str | None:
    """Folder for the artifacts of a SQLite store: ``mlartifacts/`` beside the database file."""
    parsed = urlparse(uri)
    if parsed.scheme != "sqlite":
        return None
    db = Path(uri[len("sqlite:///"):])
    return (db.parent / "mlartifacts").resolve().as_uri()


def store_path(uri: str) -> Path | None:
    """The database file of a SQLite tracking URI (relative paths from the working directory), else None.

    Examples
    --------
    >>> store_path("sqlite:////data/mlruns.db").as_posix()
    '/data/mlruns.db'
    >>> store_path("http://127.0.0.1:5000") is None
    True
    """
    if not uri.startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///"):].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


#: Stores this process has opened (created and migrated if new) under the inter-process lock.
_OPENED: set[str] = set()


#: Locks this process holds, by lock file, with their depth (the lock is re-entrant within a process).
_HELD: dict[Path, int] = {}


@contextmanager
def _store_lock(db: Path) -> Iterator[None]:
    """Hold an exclusive inter-process lock on ``<db>.lock`` (a no-op where ``fcntl`` is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: MLflow's own lock is all there is
        yield
        return
    lock = db.with_name(db.name + ".lock").resolve()
    if _HELD.get(lock):
        _HELD[lock] += 1
        try:
            yield
        finally:
            _HELD[lock] -= 1
        return
    with open(lock, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        _HELD[lock] = 1
        try:
            yield
        finally:
            _HELD.pop(lock, None)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """Hold the tracking store's inter-process lock (SQLite stores; a no-op for others).

    The main job holds it while it checks whether a model is registered already,
    registers it and promotes it, so that two jobs on one store never register the
    same model twice nor promote over each other.

    Examples
    --------
    >>> import tempfile
    >>> with store_lock(f"sqlite:///{tempfile.mkdtemp()}/mlruns.db"):
    ...     pass
    """
    db = store_path(uri)
    if db is None:
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    with _store_lock(db):
        yield


def _first_line(exc: BaseException) -> str:
    """An exception as one short line (SQLAlchemy appends SQL and a help link on further lines)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^\((?:sqlite3|sqlalchemy)[.\w]*\) ", "", text)
    return text[:300]


def _open_store(uri: str, create: bool) -> None:
    """Open the tracking and registry stores of ``uri`` once per process.

    A new SQLite store is created and migrated under an inter-process lock on
    ``<db>.lock``, so that jobs started together on a new store neither crash in
    MLflow's migrations nor leave a half-migrated database behind.
    """
    if uri in _OPENED:
        return
    db = store_path(uri)
    if db is None:  # a server or another database: MLflow opens it on first use
        return
    if not create and not db.is_file():
        raise TrackingError(f"no tracking store at {uri} (file {db} does not exist): nothing is registered there; "
                            "train and register with `gridcrm run` (tracking.enabled: true), or give the store that "
                            "holds the models (tracking.uri, $MLFLOW_TRACKING_URI or --tracking-uri)")
    if db.is_dir():
        raise TrackingError(f"tracking store {uri} cannot be opened: {db} is a directory, not a SQLite file")
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        with _store_lock(db):
            from mlflow.tracking._model_registry.utils import _get_store as registry_store
            from mlflow.tracking._tracking_service.utils import _get_store as tracking_store

            tracking_store(uri)
            registry_store(uri)
    except TrackingError:
        raise
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy, alembic, MLflow and OS errors all mean "cannot open"
        raise TrackingError(f"tracking store {uri} cannot be opened: {_first_line(exc)}") from exc
    _OPENED.add(uri)


def configure(uri: str | None = None, *, create: bool = True) -> str:
    """Point MLflow at the tracking store, offline and quiet, and open it; return the URI used.

    Sets telemetry off, git warnings off and artifact progress bars off (unless the
    caller set those variables), and MLflow's own loggers to WARNING. A new SQLite
    store is created and migrated under an inter-process lock (``<db>.lock`` beside
    it), so two jobs can start together on a new store.

    Parameters
    ----------
    uri : str, optional
        Tracking URI (see :func:`tracking_uri`).
    create : bool
        Create a SQLite store that does not exist yet (default). Readers (loading a
        registered model, batch scoring) pass False: a missing store is then an error
        naming it rather than a new empty file.

    Returns
    -------
    str
        The resolved URI.

    Raises
    ------
    gridcrm.errors.TrackingError
        The store cannot be opened (not a SQLite file, a directory, unwritable, ...),
        or it does not exist and ``create`` is False.

    Examples
    --------
    >>> import tempfile
    >>> configure(f"sqlite:///{tempfile.mkdtemp()}/none.db", create=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.errors.TrackingError: no tracking store at sqlite:///.../none.db (file .../none.db does not exist): ...
    """
    import mlflow

    for key, value in _QUIET_ENV.items():
        os.environ.setdefault(key, value)
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # MLflow 3.17's SQLAlchemy store trips a deprecation inside SQLAlchemy itself; nothing a user can act on
    warnings.filterwarnings("ignore", message=".*``noload`` loader strategy is deprecated")
    # MLflow 3.17 compares columns with a range, which pandas 3 deprecates; MLflow's to fix
    warnings.filterwarnings("ignore", message="Operation with range is deprecated", module="mlflow")
    resolved = tracking_uri(uri)
    _open_store(resolved, create)
    mlflow.set_tracking_uri(resolved)
    return resolved


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten a nested mapping into ``{"a.b.c": "value"}`` (MLflow params are flat strings).

    Examples
    --------
    >>> flatten({"data": {"path": "x", "windows": [30, 90]}, "seed": 1})
    {'data.path': 'x', 'data.windows': '[30, 90]', 'seed': '1'}
    """
    out: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, prefix=f"{name}."))
        else:
            out[name] = str(value)[:6000]
    return out


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def frame_digest(frame: pd.DataFrame) -> str:
    """A short content hash of a frame (row values and column names)."""
    h = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    h.update(",".join(map(str, frame.columns)).encode())
    return h.hexdigest()[:16]


class TrackedRun:
    """An open MLflow run with gridcrm's logging helpers. Made by :func:`tracked_run`.

    Attributes
    ----------
    run_id : str
    experiment_id : str
    """

    def __init__(self, run: Any) -> None:
        self._run = run
        self.run_id: str = run.info.run_id
        self.experiment_id: str = run.info.experiment_id

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log (nested) parameters, flattened."""
        import mlflow

        flat = flatten(params)
        items = list(flat.items())
        for i in range(0, len(items), 100):
            mlflow.log_params(dict(items[i : i + 100]), run_id=self.run_id)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Log numeric metrics (non-finite values are skipped with a debug message)."""
        import math

        import mlflow

        clean = {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}
        skipped = set(metrics) - set(clean)
        if skipped:
            logger.debug("metrics %s not finite: not logged", sorted(skipped))
        if clean:
            mlflow.log_metrics(clean, step=step, run_id=self.run_id)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set run tags (values as strings)."""
        from mlflow import MlflowClient

        client = MlflowClient(current_uri())
        for key, value in tags.items():
            client.set_tag(self.run_id, key, str(value))

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> None:
        """Log a file or a folder as artifacts."""
        import mlflow

        p = Path(path)
        if p.is_dir():
            mlflow.log_artifacts(str(p), artifact_path=artifact_path, run_id=self.run_id)
        else:
            mlflow.log_artifact(str(p), artifact_path=artifact_path, run_id=self.run_id)

    def log_frame(self, frame: pd.DataFrame, name: str, artifact_path: str | None = None) -> None:
        """Log a frame as a CSV artifact ``name`` (e.g. ``"segment_profiles.csv"``)."""
        with tempfile.TemporaryDirectory() as tmp:
            file = Path(tmp) / name
            frame.to_csv(file, index=frame.index.name is not None or not isinstance(frame.index, pd.RangeIndex))
            self.log_artifact(file, artifact_path)

    def log_figure(self, figure: Any, name: str) -> None:
        """Log a matplotlib figure as ``name`` (PNG)."""
        import mlflow

        mlflow.log_figure(figure, name, run_id=self.run_id)

    def log_dataset(self, frame: pd.DataFrame, name: str, *, as_of: Any = None, context: str = "training",
                    source: str | None = None) -> None:
        """Record a dataset used by the run: name, as-of date, rows, columns and a content digest."""
        import mlflow

        tags = {"as_of": str(pd.Timestamp(as_of).date()) if as_of is not None else "",
                "rows": str(len(frame)), "columns": str(frame.shape[1])}
        if source is not None:  # as a tag: MLflow cannot tell which kind of source a plain local path is
            tags["source"] = str(source)
        schema_rows = frame.head(0)
        ints = [c for c in schema_rows.columns if pd.api.types.is_integer_dtype(schema_rows[c])]
        data = mlflow.data.from_pandas(schema_rows.astype({c: "float64" for c in ints}), name=name,
                                       digest=frame_digest(frame))
        mlflow.log_input(data, context=context, tags=tags)
        self.log_params({f"dataset.{name}.as_of": tags["as_of"], f"dataset.{name}.rows": len(frame)})


def _experiment_id(experiment: str, uri: str) -> str:
    """The experiment's id, creating it (artifacts beside a SQLite store) if needed, safe under two writers."""
    import mlflow
    from mlflow.exceptions import MlflowException

    exp = mlflow.get_experiment_by_name(experiment)
    if exp is not None:
        return str(exp.experiment_id)
    try:
        return str(mlflow.create_experiment(experiment, artifact_location=artifact_root(uri)))
    except MlflowException:  # another job created it a moment ago
        exp = mlflow.get_experiment_by_name(experiment)
        if exp is None:
            raise
        return str(exp.experiment_id)


@contextmanager
def tracked_run(
    experiment: str,
    run_name: str | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    config_file: str | Path | None = None,
    tags: Mapping[str, str] | None = None,
    uri: str | None = None,
    nested: bool = False,
) -> Iterator[TrackedRun]:
    """Open an MLflow run for a gridcrm training entry point.

    Parameters
    ----------
    experiment : str
        Experiment name (created with its artifacts beside a SQLite store).
    run_name : str, optional
    config : mapping, optional
        Logged as flattened parameters.
    config_file : path, optional
        Logged as an artifact under ``config/``.
    tags : mapping, optional
        Extra run tags; ``gridcrm.version`` and ``gridcrm.git_commit`` are always set.
    uri : str, optional
        Tracking URI (see :func:`tracking_uri`).
    nested : bool
        Open as a child of the active run (e.g. Optuna trials).

    Yields
    ------
    TrackedRun

    Examples
    --------
    >>> import tempfile
    >>> uri = f"sqlite:///{tempfile.mkdtemp()}/mlruns.db"
    >>> with tracked_run("doc", config={"k": 3}, uri=uri) as run:
    ...     run.log_metrics({"silhouette": 0.41})
    >>> import mlflow
    >>> mlflow.get_run(run.run_id).data.metrics
    {'silhouette': 0.41}
    """
    import mlflow

    resolved = configure(uri)
    exp_id = _experiment_id(experiment, resolved)
    run_tags = {"gridcrm.version": __version__}
    commit = _git_commit()
    if commit:
        run_tags["gridcrm.git_commit"] = commit
    run_tags.update(tags or {})
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name, nested=nested, tags=run_tags) as run:
        tracked = TrackedRun(run)
        if config:
            tracked.log_params(config)
        if config_file is not None:
            tracked.log_artifact(config_file, "config")
        logger.info("MLflow run %s in experiment %r (%s)", tracked.run_id, experiment, resolved)
        yield tracked
