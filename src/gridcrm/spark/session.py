"""A small, offline-safe :class:`pyspark.sql.SparkSession` for gridcrm, its files in a temporary folder.

Spark writes a warehouse folder, a Derby metastore (``metastore_db``, ``derby.log``) and
shuffle spill files; left to its defaults it puts them in the working directory. Here they
go to one temporary folder that :func:`stop_session` removes.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridcrm.errors import ConfigError, GridcrmError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["DEFAULT_MASTER", "SparkUnavailable", "shuffle_bytes_written", "spark_available", "spark_session",
           "started_session", "stop_session"]

logger = logging.getLogger(__name__)

#: Master URL when neither the argument, the run config (``spark.master``) nor ``$GRIDCRM_SPARK_MASTER`` gives one.
DEFAULT_MASTER = "local[*]"
_TEMP_KEY = "spark.gridcrm.tempdir"


class SparkUnavailable(GridcrmError, RuntimeError):
    """pyspark is not installed or no Java runtime was found."""


def spark_available() -> str | None:
    """Why Spark cannot start here (pyspark or Java missing), or None when it can.

    Examples
    --------
    >>> reason = spark_available()
    >>> reason is None or "pyspark" in reason or "Java" in reason
    True
    """
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'gridcrm[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        return "no Java runtime found (Spark needs Java 17 or later on PATH or in JAVA_HOME)"
    return None


def spark_session(
    master: str | None = None,
    *,
    app_name: str = "gridcrm",
    driver_memory: str = "2g",
    shuffle_partitions: int = 8,
    conf: dict[str, Any] | None = None,
) -> SparkSession:
    """Start (or return the running) Spark session with settings that work offline and in tests.

    Parameters
    ----------
    master : str, optional
        Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``). Default:
        ``$GRIDCRM_SPARK_MASTER``, else :data:`DEFAULT_MASTER`.
    app_name : str
    driver_memory : str
        ``spark.driver.memory`` (only takes effect when this call starts the JVM).
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions`` (Spark's default of 200 doubles a small job's time).
    conf : dict, optional
        More Spark settings, set last.

    Returns
    -------
    SparkSession
        With the UI off, time zone UTC, Arrow on, Parquet nanosecond timestamps read as
        longs (gridcrm converts them), the warehouse, metastore and local dirs in one
        temporary folder.

    Raises
    ------
    SparkUnavailable
        pyspark or Java is missing (the message says which).

    Examples
    --------
    >>> spark = spark_session("local[2]")  # doctest: +SKIP
    >>> stop_session(spark)  # doctest: +SKIP
    """
    reason = spark_available()
    if reason is not None:
        raise SparkUnavailable(f"cannot start Spark: {reason}")
    if not isinstance(shuffle_partitions, int) or isinstance(shuffle_partitions, bool) or shuffle_partitions < 1:
        raise ConfigError(f"shuffle_partitions must be a positive whole number, got {shuffle_partitions!r}")
    from pyspark.sql import SparkSession

    master = master or os.environ.get("GRIDCRM_SPARK_MASTER") or DEFAULT_MASTER
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # workers run this interpreter (else PATH's python3, which may not have gridcrm)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    temp = Path(tempfile.mkdtemp(prefix="gridcrm-spark-"))
    builder = (
        SparkSession.builder.master(master).appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.legacy.parquet.nanosAsLong", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
        .config("spark.sql.warehouse.dir", str(temp / "warehouse"))
        .config("spark.local.dir", str(temp / "local"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={temp / 'derby'}")
        .config("spark.executorEnv.PYTHONWARNINGS", "ignore::FutureWarning")
        .config(_TEMP_KEY, str(temp))
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, str(value))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # a session that was already running keeps its own folder: drop the one made for nothing
    if spark.conf.get(_TEMP_KEY) != str(temp):
        shutil.rmtree(temp, ignore_errors=True)
    for key, value in (("spark.sql.session.timeZone", "UTC"), ("spark.sql.legacy.parquet.nanosAsLong", "true"),
                       ("spark.sql.execution.arrow.pyspark.enabled", "true")):
        spark.conf.set(key, value)  # the settings gridcrm's readers rely on, also on a session already running
    logger.info("Spark session on %s (version %s)", master, spark.version)
    return spark


def shuffle_bytes_written(spark: SparkSession) -> int:
    """Bytes every stage of ``spark`` has written to shuffle files so far (compressed, as on disk).

    Read from Spark's status store (what the UI's *Shuffle Write* column shows; the UI itself can
    stay off): the difference before and after an action is what that action shuffled.

    Examples
    --------
    >>> before = shuffle_bytes_written(spark)  # doctest: +SKIP
    >>> spark.range(1000).repartition(4).write.format("noop").mode("overwrite").save()  # doctest: +SKIP
    >>> shuffle_bytes_written(spark) > before  # doctest: +SKIP
    True
    """
    sc = spark.sparkContext
    store = sc._jsc.sc().statusStore()
    stages = store.stageList(None, False, False, sc._gateway.new_array(sc._jvm.double, 0), None)
    total = 0
    it = stages.iterator()
    while it.hasNext():  # a few stages per action
        total += int(it.next().shuffleWriteBytes())
    return total


def stop_session(spark: SparkSession) -> None:
    """Stop ``spark`` and remove its temporary folder."""
    temp = spark.conf.get(_TEMP_KEY, None)
    spark.stop()
    if temp:
        shutil.rmtree(temp, ignore_errors=True)


@contextmanager
def started_session(master: str | None = None, **kwargs: Any) -> Iterator[SparkSession]:
    """A Spark session for a ``with`` block, stopped after it unless it was already running before.

    A session already running (a notebook's, a test's) is used as it is and left running.
    """
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    spark = spark_session(master, **kwargs)
    try:
        yield spark
    finally:
        if running is None:
            stop_session(spark)
