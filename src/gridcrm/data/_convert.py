"""Column conversion of raw tables into the data model's dtypes, without guessing.

Integers are parsed exactly (never through float), dates only in year-first layouts or the
``date_format`` given, time zones refused. Each converter returns the converted column and the
masks of the values it could not convert, with the rule they break; :mod:`gridcrm.data.validation`
counts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from gridcrm.data._errors import SchemaError
from gridcrm.data.schemas import ColumnSpec

#: Dates before this are treated as placeholders (``1900-01-01`` and the like).
EARLIEST_DATE = pd.Timestamp("1950-01-01")

_CHUNK = 4_000_000


def _chunked(arr: np.ndarray, fn: object) -> np.ndarray:
    """Apply an element-wise predicate in chunks (bounded temporaries on 100-million-row tables)."""
    out = np.empty(len(arr), bool)
    for i in range(0, len(arr), _CHUNK):
        out[i : i + _CHUNK] = fn(arr[i : i + _CHUNK])  # type: ignore[operator]
    return out


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


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


