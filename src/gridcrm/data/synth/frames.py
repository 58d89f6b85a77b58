"""Build frames with exactly the dtypes of the data model from numpy arrays."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from gridcrm.data.schemas import TableSchema

__all__ = ["build_frame"]


def _column(kind: str, dtype: str, allowed: tuple[str, ...] | None, values: np.ndarray) -> object:
    if kind == "category":
        categories = pd.CategoricalDtype(list(allowed or ()))
        if values.dtype.kind in "iu":  # integer codes into ``allowed``
            return pd.Categorical.from_codes(values, dtype=categories)
        return pd.Categorical(values, dtype=categories)
    if dtype == "str":
        return pd.array(values, dtype="str")
    if dtype == "Int64":
        missing = np.isnan(values)
        return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)
    if dtype == "boolean":
        return pd.arrays.BooleanArray(values.astype(bool), np.zeros(len(values), dtype=bool))
    if dtype == "datetime64[ns]":
        return values.astype("datetime64[ns]", copy=False)
    return values.astype(dtype, copy=False)


def build_frame(schema: TableSchema, columns: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Assemble a table in the schema's column order and dtypes, without copying big arrays.

    Parameters
    ----------
    schema : TableSchema
        Table of the data model.
    columns : mapping of str to ndarray
        One array per column of the schema. Category columns take integer
        codes into ``ColumnSpec.allowed`` (or the labels), nullable integer
        columns take floats with NaN for missing.

    Returns
    -------
    DataFrame
        With a fresh RangeIndex; rows in the order given.

    Examples
    --------
    >>> from gridcrm.data.schemas import WEATHER
    >>> f = build_frame(WEATHER, {"region": np.array(["a"], dtype=object),
    ...                           "date": np.array(["2024-01-01"], dtype="datetime64[ns]"),
    ...                           "temp_c": np.array([3.5])})
    >>> f.dtypes.astype(str).tolist()
    ['str', 'datetime64[ns]', 'float64']
    """
    missing = [c for c in schema.column_names if c not in columns]
    if missing:
        raise KeyError(f"table {schema.name!r}: no values for column(s) {missing}")
    data = {c.name: _column(c.kind, c.dtype, c.allowed, np.asarray(columns[c.name])) for c in schema.columns}
    return pd.DataFrame(data, copy=False)
