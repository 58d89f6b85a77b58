"""Reading and writing a :class:`~gridcrm.data.Dataset` as a folder of files.

A dataset folder holds one file per table, named after it (``customers.parquet``
or ``customers.csv``, optionally ``.csv.gz``), and a ``dataset.json`` manifest
with the extraction date, the row counts and the gridcrm version that wrote it.

A file that cannot be read as it should — a corrupt or cut Parquet file, an
empty CSV, a CSV row with another number of fields than the header (a cut last
row in particular), text in another encoding than ``encoding``, a row count other
than the manifest's, a malformed manifest — is a :class:`DataFileError` naming the
file, whatever ``on_error`` says. CSV columns are read as text and converted by
the validator, so that ids and dates never take a detour through float or a guess.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd

from gridcrm.data.dataset import Dataset
from gridcrm.data.schemas import REQUIRED_TABLES, TABLES, TableSchema
from gridcrm.data.validation import DataFileError, OnError, SchemaError, validate_tables
from gridcrm.errors import InputError

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


#: Text that means "missing" in a numeric, date or boolean CSV column (pandas' list); in text columns
#: only an empty field is missing, so a region or code spelt "NA" or "None" stays text.
_NA_TOKENS = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
              "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _read(path: Path, name: str, encoding: str = "utf-8") -> pd.DataFrame:
    """Read one table file; every way it can be broken is a :class:`DataFileError` naming it."""
    if path.name.endswith(".parquet"):
        return _read_parquet(path)
    return _read_csv(path, name, encoding)


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataFileError(
            f"{path} is not a readable Parquet file ({exc}); copy or export it again"
        ) from exc
    # integer columns with nulls would come back as float64 (ids above 2^53 rounded): keep them Int64
    holed = [f.name for f in table.schema if pa.types.is_integer(f.type) and table.column(f.name).null_count]
    exact = {n: table.column(n).to_pandas(types_mapper=_exact_int) for n in holed}
    # self_destruct frees Arrow buffers as columns convert: peak memory ~1x the table instead of 2x
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    for n, values in exact.items():
        frame[n] = values.array
    return frame


def _exact_int(arrow_type: object) -> object:
    import pyarrow as pa

    if arrow_type == pa.uint64():
        return pd.UInt64Dtype()
    return pd.Int64Dtype() if pa.types.is_integer(arrow_type) else None


def _read_csv(path: Path, name: str, encoding: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = TABLES[name]
    if path.stat().st_size == 0:
        raise DataFileError(f"{path} is empty: expected a header row with columns {schema.required_columns}")
    table, odd = _parse_csv(path, schema, encoding, use_threads=True)
    if odd:
        _, odd = _parse_csv(path, schema, encoding, use_threads=False)  # again, to know the rows' numbers
        raise DataFileError(_odd_rows_message(path, odd))
    if not path.name.endswith(".gz"):
        with open(path, "rb") as f:
            f.seek(-1, 2)
            if f.read(1) not in (b"\n", b"\r"):
                logger.warning("%s does not end with a line break: its last row may be cut short", path)
    # every column is text so far: ids and dates are converted exactly by the validator; numbers here
    tokens = pa.array(_NA_TOKENS)
    for spec in schema.columns:
        if spec.name not in table.column_names or spec.kind in ("str", "category"):
            continue  # in text columns only an empty field is missing: a region or code "NA" stays text
        i = table.column_names.index(spec.name)
        values = table.column(i)
        values = pc.if_else(pc.is_in(values, value_set=tokens), pa.scalar(None, values.type), values)
        if spec.kind == "float":
            try:
                values = pc.cast(values, pa.float64())
            except pa.ArrowInvalid:
                pass  # some text is not a number: the validator reports it row by row
        table = table.set_column(i, spec.name, values)
    return table.to_pandas(self_destruct=True, split_blocks=True)


def _parse_csv(path: Path, schema: TableSchema, encoding: str, use_threads: bool) -> tuple[object, list]:
    import gzip
    import zlib

    import pyarrow as pa
    import pyarrow.csv as pcsv

    odd: list = []

    def keep_odd(row: object) -> str:
        odd.append(row)
        return "skip"

    utf8 = encoding.replace("-", "").replace("_", "").lower() == "utf8"
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(encoding="utf8" if utf8 else encoding, use_threads=use_threads),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=keep_odd),
            convert_options=pcsv.ConvertOptions(
                column_types={c.name: pa.string() for c in schema.columns}, null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except UnicodeDecodeError as exc:
        raise DataFileError(_encoding_message(path, encoding)) from exc
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "UTF8" in text or "UTF-8" in text:
            raise DataFileError(_encoding_message(path, encoding)) from exc
        if "Empty CSV file" in text:
            raise DataFileError(
                f"{path} is empty: expected a header row with columns {schema.required_columns}"
            ) from exc
        raise DataFileError(f"{path} is not a well-formed CSV file ({text}); copy or export it again") from exc
    except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataFileError(f"{path} cannot be read ({exc}); copy or export it again") from exc
    return table, odd


def _odd_rows_message(path: Path, odd: list) -> str:
    """Rows with another number of fields than the header: the last one short means the file was cut."""
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        data_end, n_breaks = b"", 0
        for chunk in iter(lambda: f.read(1 << 20), b""):
            n_breaks += chunk.count(b"\n")
            data_end = (data_end + chunk)[-(1 << 16):]
    complete = data_end.endswith((b"\n", b"\r"))
    last = odd[-1]
    if last.actual_columns < last.expected_columns and data_end.rstrip(b"\r\n").endswith(
        last.text.encode("utf-8", errors="replace")
    ):
        line = n_breaks + (0 if complete else 1)
        return (
            f"{path} looks cut short: its last row (line {line:,}) has {last.actual_columns} of the header's "
            f"{last.expected_columns} fields{'' if complete else ' and no line break'}; copy or export the file again"
        )
    first = odd[0]
    where = f"record {first.number:,} (the header is 1)" if first.number is not None else "a record"
    return (
        f"{path}: {len(odd):,} row(s) have another number of fields than the header's {first.expected_columns}, "
        f"e.g. {where} has {first.actual_columns}: {first.text[:200]!r}; fix the rows or export the file again"
    )


def _encoding_message(path: Path, encoding: str) -> str:
    import codecs
    import gzip

    decoder = codecs.getincrementaldecoder(encoding)()
    offset, line = 0, 1
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line += chunk.count(b"\n", 0, exc.start)
                where = f"byte 0x{chunk[exc.start]:02x} at position {offset + exc.start:,}, line {line:,}"
                break
            offset += len(chunk)
            line += chunk.count(b"\n")
        else:
            where = "at the end of the file"
    hint = "'gb18030'" if encoding.replace("-", "").replace("_", "").lower() == "utf8" else "'utf-8'"
    return (f"{path} is not valid {encoding} text ({where}); pass encoding={hint} (or the file's encoding) "
            f"to load_dataset")


def _read_manifest(folder: Path) -> dict:
    """``dataset.json`` checked for shape: an object, ``rows`` table → count, ``extracted_on`` a date."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path} is not UTF-8 text ({exc}); rewrite it or delete it (it is optional)") from exc
    except json.JSONDecodeError as exc:
        raise DataFileError(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            f"fix it or delete it (it is optional)"
        ) from exc
    if not isinstance(manifest, dict):
        raise DataFileError(
            f"{path} must hold a JSON object such as {{\"extracted_on\": \"2024-10-01\", \"rows\": "
            f"{{\"customers\": 1200}}}}, got a {type(manifest).__name__}"
        )
    when = manifest.get("extracted_on")
    if when is not None:
        stamp = pd.Timestamp("NaT")
        if isinstance(when, str):
            try:
                stamp = pd.Timestamp(when)
            except ValueError:
                pass
        if pd.isna(stamp) or stamp.tzinfo is not None:
            raise DataFileError(f"{path}: 'extracted_on' must be a date such as '2024-10-01', got {when!r}")
    rows = manifest.get("rows")
    if rows is not None:
        if not isinstance(rows, dict):
            raise DataFileError(f"{path}: 'rows' must map table names to row counts, got {rows!r}")
        for table, n in rows.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise DataFileError(f"{path}: 'rows.{table}' must be a row count (a whole number ≥ 0), got {n!r}")
    return manifest


def _check_rows(folder: Path, name: str, file: Path | None, n: int, manifest: dict) -> None:
    expected = (manifest.get("rows") or {}).get(name)
    if expected is None or expected == n:
        return
    if file is None:
        raise DataFileError(
            f"table {name!r}: {MANIFEST} in {folder} says {expected:,} rows but no {name}.parquet or {name}.csv "
            f"is there; copy the extract again"
        )
    raise DataFileError(
        f"table {name!r}: {file} has {n:,} rows but {MANIFEST} says {expected:,}: the file is incomplete "
        f"or was replaced; copy the extract again (or correct 'rows' in {MANIFEST})"
    )


def load_dataset(
    path: str | Path,
    on_error: OnError = "raise",
    extracted_on: pd.Timestamp | str | None = None,
    date_format: str | Mapping[str, str] | None = None,
    encoding: str = "utf-8",
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
        set them aside and count them in ``dataset.report``. Broken files are
        an error either way.
    extracted_on : Timestamp-like, optional
        Date the extract was taken; rows dated after it are errors. Defaults to
        the manifest's ``extracted_on``, or today when there is no manifest.
    date_format : str or mapping of str to str, optional
        Layout of text dates that are not year-first, e.g. ``"%d/%m/%Y"`` for every
        table or ``{"bills": "%d/%m/%Y"}`` per table (``"bills.due_on"`` per column).
        Without it, ``05/03/2024`` is an error, never a guess.
    encoding : str
        Text encoding of CSV files, e.g. ``"gb18030"`` for GBK/GB18030 extracts.

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        ``path`` is not a folder.
    DataFileError
        A file is corrupt, empty, cut short, not in ``encoding``, or has another
        row count than ``dataset.json`` says; ``dataset.json`` is malformed.
    SchemaError
        A required table, or a required column of a table, is missing; ids with
        leading zeros or letters; day/month dates without ``date_format``; time zones.
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
    import codecs

    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset folder {folder} does not exist (or is not a folder)")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError) as exc:
        raise InputError(f"encoding {encoding!r} is not a text encoding Python knows (e.g. 'utf-8', 'gb18030')") from exc
    manifest = _read_manifest(folder)
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
            _check_rows(folder, name, None, 0, manifest)
            continue
        logger.debug("reading %s", file)
        tables[name] = _read(file, name, encoding)
        _check_rows(folder, name, file, len(tables[name]), manifest)
    return validate_tables(tables, extracted_on=extracted_on, on_error=on_error, date_format=date_format)


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
    from gridcrm._version import __version__

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
