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
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridcrm.data._convert import _CHUNK, EARLIEST_DATE, _chunked, _convert, _final_dtype, _plain  # noqa: F401 (EARLIEST_DATE: public here)
from gridcrm.data._errors import DataFileError, DataValidationError, SchemaError
from gridcrm.data.dataset import Dataset
from gridcrm.data.schemas import TABLES, TableSchema, table_names_problem
from gridcrm.errors import InputError

__all__ = ["DataValidationError", "SchemaError", "DataFileError", "Rejection", "ValidationReport", "validate_tables"]

logger = logging.getLogger(__name__)

OnError = Literal["raise", "quarantine"]
#: A day's kWh may not exceed contracted kVA × 24 h × this factor.
CAPACITY_FACTOR = 1.5
_N_EXAMPLES = 5


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


def _check_table_names(tables: Mapping[str, Any]) -> None:
    """Every table is one of the data model's and the required ones are there (:class:`SchemaError`)."""
    problem = table_names_problem(tables)
    if problem is not None:
        raise SchemaError(problem)


def _start(tables: Mapping[str, Any], extracted_on: pd.Timestamp | str | None, on_error: OnError,
           date_format: Any) -> tuple[Any, pd.Timestamp, ValidationReport]:
    """What every validation (pandas or Spark) checks before reading a row: the mode, the table names,
    the required tables, each table's columns; → the date layouts, the extraction day, an empty report."""
    if on_error not in ("raise", "quarantine"):
        raise ValueError(f"on_error must be 'raise' or 'quarantine', got {on_error!r}")
    _check_table_names(tables)
    date_formats = _date_formats(date_format)
    cut = pd.Timestamp(extracted_on if extracted_on is not None else pd.Timestamp.now()).normalize()
    for name in TABLES:
        if name in tables:
            _check_columns(TABLES[name], tables[name])
    return date_formats, cut, ValidationReport(on_error=on_error, extracted_on=cut)


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
    date_formats, cut, report = _start(tables, extracted_on, on_error, date_format)
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
