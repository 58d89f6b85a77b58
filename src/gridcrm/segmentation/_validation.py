"""Input checks shared by the segmentation estimators: one place, messages that name the column."""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array, validate_data

from gridcrm._params import Check
from gridcrm.segmentation.errors import SegmentationInputError

__all__ = ["validated_input", "numeric_matrix", "array_names", "short", "K_RANGE_RULE"]


def short(items: Sequence[Any]) -> str:
    """A list for an error message, shortened when long."""
    r = reprlib.Repr()
    r.maxlist, r.maxstring = 8, 60
    return r.repr(list(items))


def array_names(n_features: int) -> list[str]:
    """Names given to the columns of an array without names: ``x0, x1, ...`` (as scikit-learn does)."""
    return [f"x{i}" for i in range(n_features)]


def validated_input(estimator: Any, X: Any, *, reset: bool) -> tuple[Any, list[str]]:
    """Check ``X`` is 2-D and, unless ``reset``, laid out as at fit time.

    Sets (``reset=True``) or checks ``n_features_in_`` and ``feature_names_in_``
    the scikit-learn way.

    Returns
    -------
    X : DataFrame or ndarray
        A DataFrame is returned as is (its columns are converted one by one
        later, with their names in any error); anything else as a float array.
    names : list of str
        Column names (``x0, x1, ...`` for arrays).
    """
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        return X, [str(c) for c in X.columns]
    A = check_array(X, dtype=np.float64, ensure_all_finite=False, accept_sparse=False, input_name="X")
    validate_data(estimator, A, skip_check_array=True, reset=reset)
    return A, array_names(A.shape[1])


def numeric_matrix(X: Any, names: list[str], columns: Sequence[int], *, what: str = "X") -> np.ndarray:
    """The chosen columns of a validated input as a float64 matrix (NaN for missing values).

    Raises
    ------
    SegmentationInputError
        For non-numeric columns or infinite values, naming the columns.
    """
    columns = list(columns)
    if isinstance(X, pd.DataFrame):
        sub = X.iloc[:, columns]
        bad = [f"{names[j]} ({sub.dtypes.iloc[i]})" for i, j in enumerate(columns) if not _is_numeric(sub.iloc[:, i])]
        if bad:
            raise SegmentationInputError(
                f"{what} has non-numeric column(s) {short(bad)}; k-means needs numbers. Encode them as numbers "
                "or leave them out with features=[...]"
            )
        A = sub.to_numpy(dtype=np.float64, na_value=np.nan)
        A = check_array(A, dtype=np.float64, ensure_all_finite=False, input_name=what)
    else:
        A = X[:, columns] if columns != list(range(X.shape[1])) else X
    with np.errstate(invalid="ignore"):
        inf_cols = np.flatnonzero(np.isinf(A).any(axis=0))
    if inf_cols.size:
        raise SegmentationInputError(
            f"{what} contains infinity in column(s) {short([names[columns[j]] for j in inf_cols])}; "
            "replace infinite values with NaN (treated as missing) or a finite value"
        )
    return A


def _is_numeric(s: pd.Series) -> bool:
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_complex_dtype(dtype):
        return False
    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _is_k_range(value: Any) -> bool:
    return (
        isinstance(value, (tuple, list)) and len(value) == 2
        and all(isinstance(k, Integral) and not isinstance(k, (bool, np.bool_)) for k in value)
        and 2 <= value[0] <= value[1]
    )


#: Rule of ``k_range`` (see :mod:`gridcrm._params`): the smallest and largest k tried.
K_RANGE_RULE = Check(_is_k_range, "a pair (k_min, k_max) of whole numbers with 2 <= k_min <= k_max")
