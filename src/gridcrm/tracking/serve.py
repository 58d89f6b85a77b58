"""Serving registered models over HTTP on 127.0.0.1, with MLflow's scoring app behind a thin wrapper.

:class:`ModelServer` downloads the model version's artifacts to a temporary folder and runs
``python -m uvicorn gridcrm.tracking._asgi:app`` on them, in its own process group; it waits
for ``/ping`` and, on stop, kills the whole group and removes the folder, leaving nothing behind.

Why not ``mlflow models serve``: the scoring app is MLflow's own (same ``/invocations``,
``/ping``, JSON formats and predictions), but MLflow answers a request it cannot parse
(malformed JSON, CSV, Parquet) with a ``stack_trace`` field holding server paths, and its CSV
parser cannot read the ``any``-typed columns gridcrm models are logged with (so that MLflow casts
nothing before the model checks the request), so every CSV request failed. The wrapper
(:mod:`gridcrm.tracking._asgi`) answers every error with only ``{"error_code", "message"}``
and reads CSV bodies with pandas. Plain ``mlflow models serve`` still refuses the same wrongly
typed requests (the checks live in the logged model), but not CSV, and with MLflow's stack traces.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from gridcrm.errors import TrackingError
from gridcrm.tracking.runs import configure

__all__ = ["ModelServer", "free_port", "group_processes"]

logger = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ModelServer:
    """Serve an MLflow model URI on ``host:port`` until stopped.

    Parameters
    ----------
    model_uri : str
        e.g. ``"models:/gridcrm-churn@champion"``.
    host : str
        Interface to listen on (loopback by default).
    port : int, optional
        Port; a free one by default.
    timeout : float
        Seconds to wait for the server to answer ``/ping``.
    tracking_uri : str, optional
        Tracking store holding the registry (default: as :func:`gridcrm.tracking.tracking_uri`).

    Examples
    --------
    A served model answers JSON or CSV on ``/invocations`` (``tests/tracking`` starts a real one)::

        with ModelServer("models:/gridcrm-credit@champion") as server:
            requests.post(f"{server.url}/invocations", json={"dataframe_split": ...})
            requests.post(f"{server.url}/invocations", data=frame.to_csv(index=False),
                          headers={"Content-Type": "text/csv"})

    An error is answered as ``{"error_code": ..., "message": ...}`` and nothing else.
    """

    def __init__(self, model_uri: str, host: str = "127.0.0.1", port: int | None = None, timeout: float = 90.0,
                 tracking_uri: str | None = None) -> None:
        self.model_uri = model_uri
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tracking_uri = tracking_uri
        self.process: subprocess.Popen[bytes] | None = None
        self.log_file: Path | None = None
        self.model_dir: Path | None = None

    @property
    def url(self) -> str:
        """Base URL of the server (``/invocations``, ``/ping``)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> ModelServer:
        """Start the server and wait until it answers.

        Raises
        ------
        gridcrm.errors.TrackingError
            The store does not exist or holds no such model (the message names both), the model's
            artifacts cannot be downloaded, or the server exits or does not answer ``/ping`` in
            ``timeout`` seconds (the message names its log file and the log's last error line).
        """
        uri = configure(self.tracking_uri, create=False)
        if self.port is None:
            self.port = free_port(self.host)
        self.model_dir = Path(tempfile.mkdtemp(prefix="gridcrm-serve-model-"))
        try:
            local = self._download(uri)
            env = dict(os.environ)
            env["MLFLOW_TRACKING_URI"] = uri
            env["__pyfunc_model_path__"] = local  # what MLflow's scoring app loads (scoring_server._SERVER_MODEL_PATH)
            env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
            fd, log = tempfile.mkstemp(prefix="gridcrm-serve-", suffix=".log")
            self.log_file = Path(log)
            cmd = [sys.executable, "-m", "uvicorn", "--host", self.host, "--port", str(self.port), "--workers", "1",
                   "gridcrm.tracking._asgi:app"]
            logger.info("serving %s on %s (log: %s)", self.model_uri, self.url, self.log_file)
            self.process = subprocess.Popen(cmd, env=env, stdout=fd, stderr=subprocess.STDOUT, start_new_session=True)
            os.close(fd)
            self._wait_ready()
        except BaseException:  # not answering, or Ctrl-C while starting: leave no server or folder behind
            self.stop()
            raise
        return self

    def _download(self, uri: str) -> str:
        """Download the model's artifacts into ``model_dir``; return the local model folder."""
        from mlflow.artifacts import download_artifacts
        from mlflow.exceptions import MlflowException

        from gridcrm.tracking.registry import registered_model_uri

        alias = re.fullmatch(r"models:/([^/@]+)@([^/@]+)", self.model_uri)
        if alias:  # a missing model or alias: one line naming the store and what it holds
            registered_model_uri(alias.group(1), alias.group(2), uri=uri)
        assert self.model_dir is not None
        try:
            return download_artifacts(artifact_uri=self.model_uri, dst_path=str(self.model_dir), tracking_uri=uri)
        except (MlflowException, OSError) as exc:
            reason = " ".join(str(getattr(exc, "message", exc)).split())[:300]
            raise TrackingError(f"could not download the model {self.model_uri} from the tracking store {uri}: "
                                f"{reason}") from exc

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TrackingError(f"the model server for {self.model_uri} exited with code "
                                    f"{self.process.returncode} before answering ({self._last_error()}); "
                                    f"its log: {self.log_file}")
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        raise TrackingError(f"the model server for {self.model_uri} did not answer {self.url}/ping within "
                            f"{self.timeout:.0f} s ({self._last_error()}); its log: {self.log_file}")

    def _last_error(self) -> str:
        """The log's last line that names an error (e.g. "[Errno 98] address already in use"), else its last line."""
        if self.log_file is None or not self.log_file.exists():
            return "no log"
        lines = [line.strip() for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
        errors = [line for line in lines if re.search(r"error|exception|errno", line, re.IGNORECASE)]
        last = (errors or lines or ["empty log"])[-1]
        return last if len(last) <= 300 else last[:299] + "…"

    def stop(self) -> None:
        """Stop the server and every process it started, remove the model's folder; return once none is left."""
        if self.model_dir is not None:
            model_dir, self.model_dir = self.model_dir, None
            try:
                self._stop_process()
            finally:
                shutil.rmtree(model_dir, ignore_errors=True)
        else:
            self._stop_process()

    def _stop_process(self) -> None:
        if self.process is None:
            return
        pgid = self.process.pid  # the server leads its own session, so its pid is the group id
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                continue
            deadline = time.monotonic() + grace  # workers leave after the parent: wait for them too
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _group_alive(pgid):
                break
        if _group_alive(pgid):
            logger.warning("model server processes %s did not exit", group_processes(pgid))
        self.process = None

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def group_processes(pgid: int) -> list[int]:
    """PIDs of the living (not zombie) processes in process group ``pgid``.

    Zombies are left out: where PID 1 does not reap orphans (some containers), a
    killed worker stays a zombie that holds no port, memory or CPU.
    """
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _group_alive(pgid: int) -> bool:
    return bool(group_processes(pgid))
