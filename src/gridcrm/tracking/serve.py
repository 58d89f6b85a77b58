"""Serving registered models over HTTP with MLflow's scoring server, on 127.0.0.1.

:class:`ModelServer` starts ``mlflow models serve --env-manager local`` in its own
process group (MLflow starts workers that outlive a plain kill of the parent),
waits for ``/ping``, and on stop kills the whole group, leaving no process behind.
"""

from __future__ import annotations

import logging
import os
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
    A served model answers JSON on ``/invocations`` (``tests/tracking`` starts a real one)::

        with ModelServer("models:/gridcrm-credit@champion") as server:
            requests.post(f"{server.url}/invocations", json={"dataframe_split": ...})
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

    @property
    def url(self) -> str:
        """Base URL of the server (``/invocations``, ``/ping``)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> ModelServer:
        """Start the server and wait until it answers; raise ``RuntimeError`` with its log if it does not."""
        uri = configure(self.tracking_uri)
        if self.port is None:
            self.port = free_port(self.host)
        env = dict(os.environ)
        bin_dir = str(Path(sys.executable).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")  # uvicorn is exec'd from PATH
        env["MLFLOW_TRACKING_URI"] = uri
        env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
        fd, log = tempfile.mkstemp(prefix="gridcrm-serve-", suffix=".log")
        self.log_file = Path(log)
        cmd = [sys.executable, "-m", "mlflow", "models", "serve", "-m", self.model_uri, "--env-manager", "local",
               "-h", self.host, "-p", str(self.port)]
        logger.info("serving %s on %s", self.model_uri, self.url)
        self.process = subprocess.Popen(cmd, env=env, stdout=fd, stderr=subprocess.STDOUT, start_new_session=True)
        os.close(fd)
        try:
            self._wait_ready()
        except BaseException:  # not answering, or Ctrl-C while starting: leave no server behind
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"model server exited with code {self.process.returncode}:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"model server did not answer /ping within {self.timeout:.0f} s:\n{self._log_tail()}")

    def _log_tail(self, n: int = 40) -> str:
        if self.log_file is None or not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        """Stop the server and every process it started; return once none is left."""
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
