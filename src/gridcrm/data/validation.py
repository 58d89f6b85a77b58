"""Validation of raw tables against the data model.

:func:`validate_tables` turns the frames of an extract into a :class:`~gridcrm.data.Dataset`.
It checks, table by table and then across tables:

* structure: required tables and columns present (always an error);
* reading: ids are parsed exactly (digit by digit from text, from floats only when
  the float holds an exact whole number), never through float64; ids written as
  account numbers (leading zeros, letters) are an error saying how to map them;
  text dates are read in year-first layouts only (``YYYY-MM-DD``, ``YYYY/MM/DD``,
  ``YYYYMMDD``, optional time) unless a ``date_format`` is given — day/month
  layouts are an error, never a guess — and time zones are an error (naive local time);
* values: dtypes (every unparseable number, id or date is reported row by row),
  nullability, allowed values and ranges (the rules of ``schema.to_pandera()``,
  checked with numpy in bounded chunks),
  cross-column rules (due date before issue date, closed before connected, ...),
  dates before 1950 (placeholders) or after the extract was taken;
* keys: duplicate keys (all rows sharing a key are set aside: which one is
  right cannot be known);
* references: rows of unknown customers, payments of unknown bills or of a
  bill of another customer, daily kWh above what the contracted capacity can
  draw.

With ``on_error="raise"`` every problem found is gathered and raised at once as a
:class:`DataValidationError`; with ``on_error="quarantine"`` offending rows are
set aside and counted in the :class:`ValidationReport`, rule by rule, and rows
whose customer was set aside are set aside in turn (and counted).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gridcrm.data.dataset import Dataset
from gridcrm.data.schemas import REQUIRED_TABLES, TABLES, ColumnSpec, TableSchema
from gridcrm.errors import GridcrmError, InputError

__all__ = ["DataValidationError", "SchemaError", "DataFileError", "Rejection", "ValidationReport", "validate_tables"]

logger = logging.getLogger(__name__)

OnError = Literal["raise", "quarantine"]
#: Dates before this are treated as placeholders (``1900-01-01`` and the like).
EARLIEST_DATE = pd.Timestamp("1950-01-01")
#: A day's kWh may not exceed contracted kVA × 24 h × this factor.
CAPACITY_FACTOR = 1.5
_N_EXAMPLES = 5


class DataValidationError(GridcrmError, ValueError):
    """Rows of an extract break the data model; ``.report`` lists every rule broken."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class SchemaError(DataValidationError):
    """A table or a column the data model needs is missing or cannot be read as the model says: nothing is loaded.

    Raised whatever ``on_error`` says: besides missing tables and columns, ids held
    as account numbers with leading zeros or letters, dates with day and month in
    either order (pass ``date_format``) and time zones in a date column.
    """


class DataFileError(SchemaError):
    """A file of a dataset folder cannot be read: corrupt, empty, cut short, in another encoding, or
    its row count differs from ``dataset.json``. The message names the file and what to do."""


@dataclass(frozen=True)
class Rejection:
    """Rows of one table that break one rule.

    Attributes
    ----------
    table, column, rule : str
        Where and what. ``column`` names the offending column (or columns, joined by ``+``).
    n_rows : int
        Number of rows that break the rule.
    examples : list of dict
        Up to five offending rows: their position in the input (``row``) and the values of ``column``.
    """

    table: str
    column: str
    rule: str
    n_rows: int
    examples: list[dict[str, object]]

    def __str__(self) -> str:
        shown = "; ".join(", ".join(f"{k}={v!r}" for k, v in ex.items()) for ex in self.examples)
        return f"{self.table}.{self.column}: {self.rule} — {self.n_rows:,} row(s), e.g. {shown}"


@dataclass
class ValidationReport:
    """What validation read, kept and set aside, per table and per rule.

    Attributes
    ----------
    on_error : {"raise", "quarantine"}
    extracted_on : Timestamp
        The extraction date that rows were checked against.
    rows_in, rows_kept : dict of str to int
        Rows read and rows kept, per table.
    rejections : list of Rejection
        One entry per (table, column, rule) broken. A row can break several rules,
        so the counts of a table's rules may add up to more than its rows set aside.
    ignored_columns : dict of str to list of str
        Columns of the input that the data model does not know (not loaded).
    """

    on_error: OnError
    extracted_on: pd.Timestamp
    rows_in: dict[str, int] = field(default_factory=dict)
    rows_kept: dict[str, int] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def rows_rejected(self) -> dict[str, int]:
        """Rows set aside, per table."""
        return {t: self.rows_in[t] - self.rows_kept.get(t, self.rows_in[t]) for t in self.rows_in}

    @property
    def ok(self) -> bool:
        """True when no rule was broken."""
        return not self.rejections

    def to_frame(self) -> pd.DataFrame:
        """One row per (table, column, rule) with the number of rows and examples."""
        rows = [
            {"table": r.table, "column": r.column, "rule": r.rule, "rows": r.n_rows, "examples": r.examples}
            for r in self.rejections
        ]
        return pd.DataFrame(rows, columns=["table", "column", "rule", "rows", "examples"])

    def __str__(self) -> str:
        if self.ok:
            return "all rows valid"
        lines = [str(r) for r in self.rejections]
        if self.on_error == "quarantine":
            lines.append(
                "set aside: " + ", ".join(f"{t}={n:,}" for t, n in self.rows_rejected.items() if n)
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# column conversion
# ---------------------------------------------------------------------------------------
_INT64_MAX = "9223372036854775807"
_FLOAT_EXACT = 2.0**53
#: Year-first layouts read without a ``date_format``: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD, optional time.
_TIME = r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
_ISO_DASH = r"^\d{4}-\d{2}-\d{2}" + _TIME
_ISO_SLASH = r"^\d{4}/\d{2}/\d{2}" + _TIME
_ISO_BASIC = r"^\d{8}" + _TIME
#: Day and month in either order (05/03/2024, 5.3.24, 03-05-2024 ...): never guessed.
_DAY_MONTH = r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}([T ]|$)"
#: A time followed by a zone: Z, UTC, +08:00, -0500 ...
_ZONE = r"\d:\d{2}(:\d{2}(\.\d+)?)?\s*([Zz]|UTC|GMT|[+-]\d{2}(:?\d{2})?)$"
_TZ_HINT = (
    "gridcrm holds naive local time: convert to the utility's local time and drop the zone first, e.g. "
    "pd.to_datetime(s, utc=True).dt.tz_convert('Asia/Shanghai').dt.tz_localize(None)"
)


def _to_number(raw: pd.Series) -> tuple[pd.Series, np.ndarray, str]:
    if pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64"), np.zeros(len(raw), bool), ""
    if pd.api.types.is_numeric_dtype(raw):
        conv = raw.astype("float64") if not pd.api.types.is_float_dtype(raw) else raw
        if isinstance(conv.dtype, pd.api.extensions.ExtensionDtype):
            conv = conv.astype("float64")
        return conv, np.zeros(len(raw), bool), ""
    conv = pd.to_numeric(raw, errors="coerce").astype("float64")
    return conv, (raw.notna() & conv.isna()).to_numpy(), "not a number"


def _strings(raw: pd.Series) -> pa.Array:
    """The column as an Arrow string array (trimmed; blanks are nulls), without a float detour."""
    if isinstance(raw.dtype, pd.StringDtype):
        arr = pa.array(raw.array)
    else:
        try:
            arr = pa.array(raw.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers, Decimals, dates mixed in: their text
            arr = pa.array(raw.map(str, na_action="ignore").to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _first(table: str, column: str, raw: pd.Series, mask: np.ndarray) -> str:
    p = int(np.flatnonzero(mask)[0])
    return f"row {p}: {_plain(raw.iloc[p])!r}"


def _int_result(values: np.ndarray, missing: np.ndarray, index: pd.Index, name: object) -> pd.Series:
    if missing.any():
        return pd.Series(pd.arrays.IntegerArray(values, missing), index=index, name=name)
    return pd.Series(values, index=index, name=name)


def _to_int(raw: pd.Series, spec: ColumnSpec, table: str) -> tuple[pd.Series, list[tuple[np.ndarray, str]]]:
    """Convert to int64 exactly: strings digit by digit, floats only where they hold an exact whole number."""
    bad: list[tuple[np.ndarray, str]] = []
    dtype = raw.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raw = raw.astype("Int64")
        dtype = raw.dtype
    if pd.api.types.is_integer_dtype(dtype):
        masked = isinstance(dtype, pd.api.extensions.ExtensionDtype)
        missing = raw.isna().to_numpy() if masked else np.zeros(len(raw), bool)
        if dtype.kind == "u" and dtype.itemsize == 8:  # uint64 beyond int64 would wrap to negative
            big = (raw > np.iinfo(np.int64).max).fillna(False).to_numpy(dtype=bool)
            if big.any():
                bad.append((big, "out of int64 range"))
                missing = missing | big
            values = raw.to_numpy(dtype="uint64", na_value=0).copy()
            values[missing] = 0
            return _int_result(values.astype("int64"), missing, raw.index, raw.name), bad
        if not masked:
            return (raw if dtype == np.int64 else raw.astype("int64")), bad
        return _int_result(raw.to_numpy(dtype="int64", na_value=0), missing, raw.index, raw.name), bad
    if pd.api.types.is_float_dtype(dtype):
        return _float_to_int(raw.to_numpy(dtype="float64", na_value=np.nan), raw, bad)
    if pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(raw, skipna=True) in ("floating", "mixed-integer-float"):
        return _float_to_int(pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64"), raw, bad)
    return _text_to_int(raw, spec, table, bad)


def _float_to_int(values: np.ndarray, raw: pd.Series, bad: list) -> tuple[pd.Series, list]:
    with np.errstate(invalid="ignore"):
        infinite = _chunked(values, np.isinf)
        fractional = _chunked(values, lambda a: np.isfinite(a) & (a != np.floor(a)))
        huge = _chunked(values, lambda a: np.isfinite(a) & (np.abs(a) >= 2.0**63))
        inexact = _chunked(values, lambda a: np.isfinite(a) & (np.abs(a) > _FLOAT_EXACT) & (np.abs(a) < 2.0**63))
    for mask, why in (
        (infinite, "not a finite number"),
        (fractional, "not a whole number"),
        (huge, "out of int64 range"),
        (inexact, "a float above 2^53 cannot hold an exact id (store ids as integers or text)"),
    ):
        if mask.any():
            bad.append((mask, why))
    missing = np.isnan(values) | infinite | fractional | huge | inexact
    ints = np.where(missing, 0.0, values).astype("int64")
    return _int_result(ints, missing, raw.index, raw.name), bad


def _text_to_int(raw: pd.Series, spec: ColumnSpec, table: str, bad: list) -> tuple[pd.Series, list]:
    text = _strings(raw)
    null = _mask(pc.is_null(text))
    is_id = spec.name.endswith("_id")
    try:  # fast path: every value is plain digits within int64
        ints = pc.cast(text, pa.int64())
        leading = pc.and_(pc.starts_with(text, "0"), pc.greater(pc.utf8_length(text), 1)) if is_id else None
        if leading is not None and _mask(leading).any():
            raise _id_error(table, spec.name, raw, _mask(leading))
    except pa.ArrowInvalid:
        whole = pc.match_substring_regex(text, r"^[+-]?[0-9]+(\.0*)?$")
        signed = pc.replace_substring_regex(text, r"^\+|\.0*$", "")
        magnitude = pc.replace_substring_regex(signed, r"^-", "")
        if is_id:
            leading = pc.and_(whole, pc.match_substring_regex(magnitude, r"^0[0-9]"))
            letters = pc.and_(
                pc.match_substring_regex(text, r"^[A-Za-z0-9][A-Za-z0-9 ._/#-]*$"),
                pc.and_(pc.match_substring_regex(text, r"[A-Za-z]"), pc.match_substring_regex(text, r"[0-9]")),
            )
            odd = _mask(leading) | _mask(letters)
            if odd.any():
                raise _id_error(table, spec.name, raw, odd) from None
        digits = pc.replace_substring_regex(magnitude, r"^0+([0-9])", r"\1")
        length = pc.utf8_length(digits)
        too_big = pc.and_(whole, pc.or_(pc.greater(length, 19),
                                        pc.and_(pc.equal(length, 19), pc.greater(digits, _INT64_MAX))))
        notwhole, overflow = ~_mask(whole) & ~null, _mask(too_big)
        if notwhole.any():
            bad.append((notwhole, "not a whole number"))
        if overflow.any():
            bad.append((overflow, "out of int64 range"))
        good = _mask(whole) & ~overflow
        ints = pc.cast(pc.if_else(pa.array(good), signed, pa.scalar(None, signed.type)), pa.int64())
    missing = _mask(pc.is_null(ints))
    values = np.asarray(pc.fill_null(ints, 0).to_numpy(zero_copy_only=False), dtype="int64")
    return _int_result(values, missing, raw.index, raw.name), bad


def _id_error(table: str, column: str, raw: pd.Series, mask: np.ndarray) -> SchemaError:
    return SchemaError(
        f"{table}.{column} has values with leading zeros or letters (e.g. {_first(table, column, raw, mask)}, "
        f"{int(mask.sum()):,} value(s) in all): gridcrm ids are int64 and these would not survive as integers. "
        f"Map account numbers to integers first, the same way in every table, e.g. "
        f"`codes, uniques = pd.factorize(df['{column}'])`, and keep the mapping"
    )


def _to_datetime(
    raw: pd.Series, spec: ColumnSpec, table: str, fmt: str | None
) -> tuple[pd.Series, list[tuple[np.ndarray, str]]]:
    """Read dates: year-first layouts as they are, anything else only with an explicit ``fmt``."""
    bad: list[tuple[np.ndarray, str]] = []
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        if getattr(raw.dt, "tz", None) is not None:
            raise SchemaError(f"{table}.{spec.name} holds time zone {raw.dt.tz} (e.g. "
                              f"{_first(table, spec.name, raw, raw.notna().to_numpy())}); {_TZ_HINT}")
        conv = raw
    elif pd.api.types.is_object_dtype(raw.dtype) and pd.api.types.infer_dtype(raw, skipna=True) in ("datetime", "date"):
        try:
            conv = pd.to_datetime(raw, errors="coerce")
        except (ValueError, TypeError):  # mixed zones: the text path names one
            conv = None
        if conv is None or getattr(conv.dt, "tz", None) is not None:
            return _text_to_datetime(raw.map(str, na_action="ignore"), raw, spec, table, fmt, bad)
    else:
        return _text_to_datetime(raw, raw, spec, table, fmt, bad)
    return _finish_datetime(conv, spec, bad)


def _text_to_datetime(
    text_series: pd.Series, raw: pd.Series, spec: ColumnSpec, table: str, fmt: str | None, bad: list
) -> tuple[pd.Series, list]:
    codes, uniques = pd.factorize(text_series)  # dates repeat: work on each distinct text once
    values = _strings(pd.Series(uniques, dtype=object) if len(uniques) else pd.Series([], dtype=object))
    what = "not a date" if spec.kind == "date" else "not a timestamp"
    if fmt is not None:
        try:
            parsed = pd.to_datetime(pd.Series(values.to_pandas(), dtype=object), format=fmt, errors="coerce")
        except ValueError as exc:
            raise SchemaError(f"{table}.{spec.name}: date_format {fmt!r} cannot be used ({exc})") from exc
        if getattr(parsed.dt, "tz", None) is not None:
            raise SchemaError(f"{table}.{spec.name}: date_format {fmt!r} reads time zones; {_TZ_HINT}")
        what = f"does not match date_format {fmt!r}"
    else:
        for pattern, problem in ((_ZONE, "zone"), (_DAY_MONTH, "day_month")):
            hit = _mask(pc.match_substring_regex(values, pattern))
            if hit.any():
                rows = np.isin(codes, np.flatnonzero(hit))
                example = _first(table, spec.name, raw, rows)
                if problem == "zone":
                    raise SchemaError(f"{table}.{spec.name} has time zones (e.g. {example}); {_TZ_HINT}")
                raise SchemaError(
                    f"{table}.{spec.name} has dates with day and month in either order (e.g. {example}): "
                    f"gridcrm does not guess. Pass date_format={{'{table}': '%d/%m/%Y'}} (or '%m/%d/%Y', the "
                    f"layout of the file) to load_dataset/validate_tables, or write dates as YYYY-MM-DD"
                )
        iso = pc.replace_substring_regex(values, r"^(\d{4})/?(\d{2})/?(\d{2})([T ]|$)", r"\1-\2-\3\4")
        known = pc.or_(pc.match_substring_regex(values, _ISO_DASH),
                       pc.or_(pc.match_substring_regex(values, _ISO_SLASH), pc.match_substring_regex(values, _ISO_BASIC)))
        iso = pc.if_else(known, iso, pa.scalar(None, iso.type))
        parsed = pd.to_datetime(pd.Series(iso.to_pandas(), dtype=object), format="ISO8601", errors="coerce")
    parsed_values = np.append(parsed.to_numpy(), np.datetime64("NaT")) if len(parsed) else np.array(
        ["NaT"], dtype="datetime64[ns]")
    conv = pd.Series(parsed_values[codes], index=raw.index, name=raw.name)
    unparsed = (codes >= 0) & conv.isna().to_numpy()
    unparsed &= ~np.isin(codes, np.flatnonzero(_mask(pc.is_null(values))))  # blanks are missing, not unparsed
    if unparsed.any():
        bad.append((unparsed, what))
    return _finish_datetime(conv, spec, bad)


def _finish_datetime(conv: pd.Series, spec: ColumnSpec, bad: list) -> tuple[pd.Series, list]:
    arr = conv.to_numpy()
    if arr.dtype != np.dtype("datetime64[ns]"):
        limit = np.datetime64(pd.Timestamp.max.floor("s").to_pydatetime()).astype(arr.dtype)  # in arr's unit
        late = _chunked(arr, lambda a: a > limit)
        if late.any():
            bad.append((late, f"date after {pd.Timestamp.max.date()} (a placeholder?)"))
            arr = np.where(late, np.datetime64("NaT"), arr)
        conv = pd.Series(arr.astype("datetime64[ns]"), index=conv.index, name=conv.name)
    if spec.kind == "date" and _has_time_of_day(conv):
        conv = conv.dt.normalize()
    early = _chunked(conv.to_numpy(), lambda a: a < EARLIEST_DATE.to_datetime64())
    if early.any():
        bad.append((early, f"date before {EARLIEST_DATE.date()} (a placeholder?)"))
    return conv, bad


def _convert(
    raw: pd.Series, spec: ColumnSpec, table: str = "", date_format: str | None = None
) -> tuple[pd.Series, list[tuple[np.ndarray, str]]]:
    """Convert ``raw`` towards ``spec``'s dtype; return it and the masks of unconvertible values."""
    bad: list[tuple[np.ndarray, str]] = []
    if spec.kind == "int":
        return _to_int(raw, spec, table)
    if spec.kind == "float":
        conv, unparsed, why = _to_number(raw)
        if unparsed.any():
            bad.append((unparsed, why))
        values = conv.to_numpy()
        with np.errstate(invalid="ignore"):
            infinite = _chunked(values, np.isinf)
            if infinite.any():
                bad.append((infinite, "not a finite number"))
        return conv, bad
    if spec.kind in ("date", "timestamp"):
        return _to_datetime(raw, spec, table, date_format)
    if spec.kind == "category":
        text = raw.astype("str")
        allowed = list(spec.allowed or ())
        unknown = (text.notna() & ~text.isin(allowed)).to_numpy()
        if unknown.any():
            bad.append((unknown, f"not one of {allowed}"))
            text = text.mask(unknown)
        return pd.Series(pd.Categorical(text, categories=allowed), index=raw.index, name=raw.name), bad
    if spec.kind == "bool":
        if pd.api.types.is_bool_dtype(raw):
            return raw, bad
        lowered = raw.astype("str").str.strip().str.lower()
        mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False,
                   "1.0": True, "0.0": False}
        conv = lowered.map(mapping)
        unknown = (raw.notna() & conv.isna()).to_numpy()
        if unknown.any():
            bad.append((unknown, "not a boolean (true/false, 1/0, yes/no)"))
        return conv.astype("boolean"), bad
    # str
    return raw.astype("str"), bad


def _has_time_of_day(values: pd.Series) -> bool:
    ns = values.to_numpy().view("int64")
    day = np.int64(86_400_000_000_000)
    return any(bool(np.any(ns[i : i + _CHUNK] % day)) for i in range(0, len(ns), _CHUNK))


def _final_dtype(series: pd.Series, spec: ColumnSpec) -> pd.Series:
    target = spec.dtype
    if target == "category":
        return series
    if str(series.dtype) == target:
        return series
    return series.astype(target)


# ---------------------------------------------------------------------------------------
# per-table checks
# ---------------------------------------------------------------------------------------
class _Collector:
    """Gathers the bad-row masks of one table, rule by rule."""

    def __init__(self, name: str, frame: pd.DataFrame) -> None:
        self.name = name
        self.raw = frame
        self.n = len(frame)
        self.masks: list[tuple[str, str, np.ndarray]] = []

    def add(self, column: str, rule: str, mask: np.ndarray | pd.Series) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.masks.append((column, rule, mask))

    def any_bad(self) -> np.ndarray:
        bad = np.zeros(self.n, bool)
        for _, _, m in self.masks:
            bad |= m
        return bad

    def rejections(self) -> list[Rejection]:
        out = []
        for column, rule, mask in self.masks:
            pos = np.flatnonzero(mask)[:_N_EXAMPLES]
            cols = [c for c in column.split("+") if c in self.raw.columns]
            examples = [
                {"row": int(p), **{c: _plain(self.raw[c].iloc[p]) for c in cols}} for p in pos
            ]
            out.append(Rejection(self.name, column, rule, int(mask.sum()), examples))
        return out


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_columns(schema: TableSchema, frame: pd.DataFrame) -> None:
    missing = [c for c in schema.required_columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"table {schema.name!r} lacks required column(s) {missing}; it has {list(frame.columns)}. "
            f"Required: {schema.required_columns}"
        )


def _convert_table(
    schema: TableSchema, frame: pd.DataFrame, col: _Collector, date_formats: Mapping[str, str]
) -> pd.DataFrame:
    out = {}
    for spec in schema.columns:
        if spec.name not in frame.columns:
            out[spec.name] = pd.Series(pd.NA if spec.kind in ("int", "bool") else np.nan,
                                       index=frame.index, dtype=spec.dtype if spec.kind != "category" else
                                       pd.CategoricalDtype(list(spec.allowed or ())))
            continue
        fmt = date_formats.get(f"{schema.name}.{spec.name}", date_formats.get(schema.name))
        conv, bad = _convert(frame[spec.name], spec, schema.name, fmt)
        for mask, why in bad:
            col.add(spec.name, why, mask)
        out[spec.name] = conv
    return pd.DataFrame(out, index=frame.index, copy=False)


def _row_rules(schema: TableSchema, frame: pd.DataFrame, col: _Collector) -> None:
    """Nullability and ranges (allowed values were checked on conversion).

    The same rules as ``schema.to_pandera()``; done here with numpy because pandera
    took 7.6 s and 3.8 GB more memory on 65 million meter rows (see README).
    """
    unparsed = {c: m for c, _, m in col.masks}
    for spec in schema.columns:
        values = frame[spec.name]
        if not spec.nullable:
            missing = values.isna().to_numpy()
            if spec.name in unparsed:  # already reported as unparseable
                missing = missing & ~unparsed[spec.name]
            col.add(spec.name, "missing value", missing)
        if spec.min is None and spec.max is None:
            continue
        if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
            arr = values.to_numpy()
        else:
            arr = values.to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            if spec.min is not None:
                col.add(spec.name, f"below the minimum {spec.min:g}", _chunked(arr, lambda a, m=spec.min: a < m))
            if spec.max is not None:
                col.add(spec.name, f"above the maximum {spec.max:g}", _chunked(arr, lambda a, m=spec.max: a > m))


_CHUNK = 4_000_000


def _chunked(arr: np.ndarray, fn: object) -> np.ndarray:
    """Apply an element-wise predicate in chunks (bounded temporaries on 100-million-row tables)."""
    out = np.empty(len(arr), bool)
    for i in range(0, len(arr), _CHUNK):
        out[i : i + _CHUNK] = fn(arr[i : i + _CHUNK])  # type: ignore[operator]
    return out


def _key_order(frame: pd.DataFrame, key: tuple[str, ...]) -> tuple[np.ndarray | None, np.ndarray]:
    """Return (order that sorts by key or None if already sorted, mask of rows sharing a key)."""
    codes = []
    for k in key:
        values = frame[k]
        if pd.api.types.is_datetime64_any_dtype(values):
            arr = values.to_numpy().view("int64")
        elif pd.api.types.is_integer_dtype(values) and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
            arr = values.to_numpy()
        else:
            arr = pd.factorize(values, sort=True, use_na_sentinel=True)[0].astype("int64")
        codes.append(arr)
    n = len(frame)
    if n < 2:
        return None, np.zeros(n, bool)
    ascending = np.ones(n - 1, bool)
    tie = np.ones(n - 1, bool)
    for arr in codes:
        a, b = arr[:-1], arr[1:]
        ascending &= ~tie | (a <= b)
        ascending |= tie & (a < b)
        tie &= a == b
    # after the loop: ``tie`` marks neighbours with equal keys, ``ascending`` sortedness
    if ascending.all():
        order = None
        same = tie
    else:
        order = np.lexsort(codes[::-1])
        same = np.ones(n - 1, bool)
        for arr in codes:
            s = arr[order]
            same &= s[:-1] == s[1:]
    dup_sorted = np.zeros(n, bool)
    dup_sorted[:-1] |= same
    dup_sorted[1:] |= same
    if order is None:
        return None, dup_sorted
    dup = np.zeros(n, bool)
    dup[order] = dup_sorted
    return order, dup


def _ids(values: pd.Series) -> np.ndarray:
    """Ids as int64, missing ones as -1 (ids are never negative in a kept row)."""
    return values.to_numpy(dtype="int64", na_value=-1) if values.hasnans else values.to_numpy(dtype="int64")


def _cross_column_rules(name: str, frame: pd.DataFrame, col: _Collector) -> None:
    if name == "customers":
        col.add("connected_on+closed_on", "closed_on before connected_on", frame["closed_on"] < frame["connected_on"])
    elif name == "bills":
        col.add("issued_on+due_on", "due_on before issued_on", frame["due_on"] < frame["issued_on"])
        col.add("period+issued_on", "issued_on before the billing period starts", frame["issued_on"] < frame["period"])
        not_first = frame["period"].dt.day.ne(1) & frame["period"].notna()
        col.add("period", "period is not the first day of a month", not_first)
    elif name == "load_interval":
        ts = frame["timestamp"]
        col.add("timestamp", "timestamp not on the 15-minute grid", ts.notna() & ts.ne(ts.dt.floor("15min")))


def _future_rules(schema: TableSchema, frame: pd.DataFrame, extracted_on: pd.Timestamp, col: _Collector) -> None:
    limit = extracted_on + pd.Timedelta(days=1)
    for c in schema.future_columns:
        col.add(c, f"dated after the extract was taken ({extracted_on.date()})", frame[c] >= limit)


# ---------------------------------------------------------------------------------------
# cross-table checks
# ---------------------------------------------------------------------------------------
def _reference_rules(name: str, frame: pd.DataFrame, kept: dict[str, pd.DataFrame], col: _Collector) -> None:
    if "customer_id" in frame.columns and name != "customers":
        customers = kept["customers"]
        pos = pd.Index(customers["customer_id"]).get_indexer(frame["customer_id"])
        known = frame["customer_id"].notna().to_numpy()  # a missing id is reported as missing, once
        pos[~known] = -1
        col.add("customer_id", "customer_id not in customers (unknown or set aside)", (pos < 0) & known)
        if name == "meter_daily":
            kva = customers["contracted_kva"].to_numpy(dtype="float64", na_value=np.nan)
            cap = np.append(kva * 24 * CAPACITY_FACTOR, np.inf)  # position -1 (unknown customer): no cap
            kwh = frame["kwh"].to_numpy(dtype="float64", na_value=np.nan)
            over = np.empty(len(kwh), bool)
            with np.errstate(invalid="ignore"):
                for i in range(0, len(kwh), _CHUNK):
                    over[i : i + _CHUNK] = kwh[i : i + _CHUNK] > cap[pos[i : i + _CHUNK]]
            col.add("kwh", f"kWh above contracted_kva × 24 h × {CAPACITY_FACTOR}", over)
    if name == "payments":
        bills = kept["bills"]
        pos = pd.Index(bills["bill_id"]).get_indexer(frame["bill_id"])
        known = frame["bill_id"].notna().to_numpy()
        pos[~known] = -1
        col.add("bill_id", "bill_id not in bills (unknown or set aside)", (pos < 0) & known)
        # a sentinel after the last bill: position -1 (no bill) must not index a table that may be empty
        owners = np.append(_ids(bills["customer_id"]), -1)
        other = (pos >= 0) & (owners[pos] != _ids(frame["customer_id"]))
        col.add("bill_id+customer_id", "bill belongs to another customer", other)


# ---------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------
def _date_formats(date_format: str | Mapping[str, str] | None) -> dict[str, str]:
    """``date_format`` as {"table" or "table.column": layout}, checked against the data model."""
    if date_format is None:
        return {}
    if isinstance(date_format, str):
        return dict.fromkeys(TABLES, date_format)
    if not isinstance(date_format, Mapping):
        raise InputError(f"date_format must be a string or a mapping of table to layout, got {date_format!r}")
    out = {}
    for key, layout in date_format.items():
        table, _, column = str(key).partition(".")
        dated = [c.name for c in TABLES[table].columns if c.kind in ("date", "timestamp")] if table in TABLES else []
        if not dated or (column and column not in dated):
            known = [f"{t}" for t in TABLES] + [f"{t}.{c.name}" for t in TABLES.values() for c in t.columns
                                                 if c.kind in ("date", "timestamp")]
            raise InputError(f"date_format key {key!r} is not a table or date column; use one of {known}")
        if not isinstance(layout, str) or "%" not in layout:
            raise InputError(f"date_format[{key!r}] must be a strftime layout such as '%d/%m/%Y', got {layout!r}")
        out[str(key)] = layout
    return out


def validate_tables(
    tables: Mapping[str, pd.DataFrame],
    extracted_on: pd.Timestamp | str | None = None,
    on_error: OnError = "raise",
    date_format: str | Mapping[str, str] | None = None,
) -> Dataset:
    """Validate raw tables and return them as a :class:`~gridcrm.data.Dataset`.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Raw frames by table name (see :data:`gridcrm.data.schemas.TABLES`);
        ``customers`` and ``meter_daily`` are required. Columns may hold strings
        (as read from CSV): they are converted to the schema's dtypes.
    extracted_on : Timestamp-like, optional
        Date the extract was taken; rows dated after it are errors. Defaults to today.
    on_error : {"raise", "quarantine"}
        ``"raise"``: raise :class:`DataValidationError` listing every broken rule.
        ``"quarantine"``: set offending rows aside, count them in ``dataset.report``.
    date_format : str or mapping of str to str, optional
        strftime layout of text dates, e.g. ``"%d/%m/%Y"``: one for every table, or per table
        (``{"bills": "%d/%m/%Y"}``) or per column (``{"bills.due_on": "%Y%m%d %H%M"}``). Values that do
        not match it are rejected row by row. Without it, only year-first layouts are read
        (``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYYMMDD``, with an optional ``HH:MM[:SS[.fff]]``); day/month
        layouts such as ``05/03/2024`` raise :class:`SchemaError` rather than being guessed.

    Returns
    -------
    Dataset
        With ``report`` set to the :class:`ValidationReport`.

    Raises
    ------
    SchemaError
        Whatever ``on_error`` says: a required table or column is missing; an id column holds
        account numbers with leading zeros or letters; a date column has day/month layouts and
        no ``date_format``, or time zones.
    DataValidationError
        With ``on_error="raise"``, when any row breaks a rule.

    Examples
    --------
    >>> import pandas as pd
    >>> from gridcrm.data import validate_tables
    >>> customers = pd.DataFrame({
    ...     "customer_id": [1, 2], "customer_class": ["residential", "commercial"],
    ...     "industry_code": [None, "H62"], "region": ["east", "east"], "supply_station": ["s1", "s1"],
    ...     "tariff": ["res_tiered", "commercial_flat"], "contracted_kva": [8.0, 60.0],
    ...     "voltage_kv": [0.22, 0.38], "connected_on": ["2015-03-01", "2019-07-15"],
    ...     "closed_on": [None, None], "preferred_channel": ["wechat", "bank"]})
    >>> meter = pd.DataFrame({"customer_id": [1, 1, 2, 3], "kwh": [6.1, -2.0, 210.0, 5.0],
    ...                       "date": ["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-01"]})
    >>> ds = validate_tables({"customers": customers, "meter_daily": meter},
    ...                      extracted_on="2024-02-01", on_error="quarantine")
    >>> ds.report.rows_rejected["meter_daily"]
    2
    >>> print(ds.report)  # doctest: +NORMALIZE_WHITESPACE
    meter_daily.kwh: below the minimum 0 — 1 row(s), e.g. row=1, kwh=-2.0
    meter_daily.customer_id: customer_id not in customers (unknown or set aside) — 1 row(s), e.g. row=3, customer_id=3
    set aside: meter_daily=2
    """
    if on_error not in ("raise", "quarantine"):
        raise ValueError(f"on_error must be 'raise' or 'quarantine', got {on_error!r}")
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise SchemaError(f"unknown table(s) {unknown}; the data model has {list(TABLES)}")
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise SchemaError(f"required table(s) {missing} missing; got {sorted(tables)}")
    date_formats = _date_formats(date_format)
    cut = pd.Timestamp(extracted_on if extracted_on is not None else pd.Timestamp.now()).normalize()
    report = ValidationReport(on_error=on_error, extracted_on=cut)

    for name in TABLES:
        if name in tables:
            _check_columns(TABLES[name], tables[name])

    kept: dict[str, pd.DataFrame] = {}
    for name, schema in TABLES.items():
        if name not in tables:
            continue
        raw = tables[name]
        if not isinstance(raw.index, pd.RangeIndex) or raw.index.start != 0 or raw.index.step != 1:
            raw = raw.reset_index(drop=True)
        extra = [c for c in raw.columns if c not in schema.column_names]
        if extra:
            report.ignored_columns[name] = [str(c) for c in extra]
            logger.warning("table %s: columns %s are not in the data model and were not loaded", name, extra)
        col = _Collector(name, raw)
        frame = _convert_table(schema, raw, col, date_formats)
        _row_rules(schema, frame, col)
        _cross_column_rules(name, frame, col)
        _future_rules(schema, frame, cut, col)
        _reference_rules(name, frame, kept, col)
        order, dup = _key_order(frame, schema.key)
        col.add("+".join(schema.key), "duplicate key (all rows sharing it set aside)", dup)

        report.rows_in[name] = len(frame)
        report.rejections.extend(col.rejections())
        if on_error == "raise" and col.masks:
            # keep checking the other tables against this one, rows and all, to report everything at once
            kept[name] = frame.loc[~dup]
            continue
        bad = col.any_bad()
        if order is not None:
            frame = frame.take(order)
            bad = bad[order]
        if bad.any():
            frame = frame.loc[~bad]
        frame = pd.DataFrame(
            {spec.name: _final_dtype(frame[spec.name], spec) for spec in schema.columns}, copy=False
        ).reset_index(drop=True)
        kept[name] = frame
        report.rows_kept[name] = len(frame)

    if report.rejections and on_error == "raise":
        raise DataValidationError(
            "the data break the data model:\n"
            + "\n".join(f"- {r}" for r in report.rejections)
            + "\nFix the rows, or load with on_error='quarantine' to set them aside and count them.",
            report,
        )
    for name, n in report.rows_rejected.items():
        if n:
            logger.warning("table %s: %s of %s rows set aside", name, f"{n:,}", f"{report.rows_in[name]:,}")
    return Dataset(kept, extracted_on=cut, report=report)
