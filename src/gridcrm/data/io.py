"""Reading and writing a :class:`~gridcrm.data.Dataset` as a folder of files.

A dataset folder holds one file per table, named after it (``customers.parquet``
or ``customers.csv``, optionally ``.csv.gz``), and a ``dataset.json`` manifest
with the extraction date, the row counts and the gridcrm version that wrote it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

import pandas as pd

from gridcrm.data.dataset import Dataset
from gridcrm.data.schemas import REQUIRED_TABLES, TABLES
from gridcrm.data.validation import OnError, SchemaError, validate_tables

__all__ = ["load_dataset", "save_dataset", "MANIFEST"]

logger = logging.getLogger(__name__)

#: Name of the manifest file in a dataset folder.
MANIFEST = "dataset.json"
_SUFFIXES = (".parquet", ".csv", ".csv.gz")


def _table_file(folder: Path, name: str) -> Path | None:
    found = [folder / f"{name}{s}" for s in _SUFFIXES if (folder / f"{name}{s}").is_file()]
    if len(found) > 1:
        raise SchemaError(f"table {name!r} is in several files {[p.name for p in found]} in {folder}; keep one")
    return found[0] if found else None


def _read(path: Path) -> pd.DataFrame:
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        # self_destruct frees Arrow buffers as columns convert: peak memory ~1x the table instead of 2x
        return pq.read_table(path).to_pandas(self_destruct=True, split_blocks=True)
    # strings stay strings: the validator converts them and reports what it cannot
    return pd.read_csv(path, low_memory=False)


def load_dataset(
    path: str | Path,
    on_error: OnError = "raise",
    extracted_on: pd.Timestamp | str | None = None,
) -> Dataset:
    """Read a folder of table files and validate it into a :class:`~gridcrm.data.Dataset`.

    Parameters
    ----------
    path : str or Path
        Folder holding ``customers`` and ``meter_daily`` (required) and any of
        ``load_interval``, ``bills``, ``payments``, ``contacts``, ``events``,
        ``weather`` as ``.parquet``, ``.csv`` or ``.csv.gz``.
    on_error : {"raise", "quarantine"}
        What to do with rows that break the data model: raise
        :class:`~gridcrm.data.DataValidationError` naming every broken rule, or
        set them aside and count them in ``dataset.report``.
    extracted_on : Timestamp-like, optional
        Date the extract was taken; rows dated after it are errors. Defaults to
        the manifest's ``extracted_on``, or today when there is no manifest.

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        ``path`` is not a folder.
    SchemaError
        A required table, or a required column of a table, is missing.
    DataValidationError
        Rows break the data model and ``on_error="raise"``.

    Examples
    --------
    >>> import tempfile
    >>> from gridcrm.data import load_dataset
    >>> from gridcrm.data.synth import generate_dataset
    >>> folder = generate_dataset(40, "2024-01-01", "2024-02-29", seed=3).dataset.save(tempfile.mkdtemp())
    >>> ds = load_dataset(folder)
    >>> ds.report.ok
    True
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset folder {folder} does not exist (or is not a folder)")
    manifest: dict = {}
    if (folder / MANIFEST).is_file():
        manifest = json.loads((folder / MANIFEST).read_text())
    if extracted_on is None:
        extracted_on = manifest.get("extracted_on")
        if extracted_on is None:
            logger.info("no %s in %s: rows are checked against today's date", MANIFEST, folder)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        file = _table_file(folder, name)
        if file is None:
            if name in REQUIRED_TABLES:
                raise SchemaError(
                    f"required table {name!r} not found in {folder}: expected {name}.parquet or {name}.csv"
                )
            continue
        logger.debug("reading %s", file)
        tables[name] = _read(file)
    return validate_tables(tables, extracted_on=extracted_on, on_error=on_error)


def save_dataset(dataset: Dataset, path: str | Path, format: Literal["parquet", "csv"] = "parquet") -> Path:
    """Write ``dataset`` to the folder ``path``: one file per table and a ``dataset.json`` manifest.

    Parameters
    ----------
    dataset : Dataset
    path : str or Path
        Folder to write; created if needed. Existing table files are replaced.
    format : {"parquet", "csv"}
        Parquet (zstd-compressed, dtypes kept) or CSV (ISO dates).

    Returns
    -------
    Path
        The folder.
    """
    from gridcrm import __version__

    if format not in ("parquet", "csv"):
        raise ValueError(f"format must be 'parquet' or 'csv', got {format!r}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in dataset.items():
        for suffix in _SUFFIXES:
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
        if format == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False, compression="zstd", compression_level=9)
        else:
            frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%dT%H:%M:%S")
    manifest = {
        "extracted_on": str(dataset.extracted_on.date()),
        "rows": {name: len(frame) for name, frame in dataset.items()},
        "format": format,
        "written_by": f"gridcrm {__version__}",
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return folder
