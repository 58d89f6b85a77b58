"""The feature frame a risk model was fitted on, and how new frames are made to match it.

Numeric columns (ints, floats, bools, pandas nullable types) become ``float64``
with NaN for missing; string, object and category columns become pandas
categoricals whose categories are fixed at fit time. At predict time columns
are matched by name (order does not matter, extra columns are ignored), a
missing column is an error naming it, and a category not seen in fit becomes
missing (NaN) — with a warning, silently, or as an error, per ``handle_unknown``.
"""

from __future__ import annotations

import logging
import reprlib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcrm.risk.errors import FeatureMismatchError

logger = logging.getLogger(__name__)


class UnseenCategoryWarning(UserWarning):
    """Categories not seen during fit were treated as missing."""


def to_frame(X: object, name: str = "X") -> pd.DataFrame:
    """``X`` as a DataFrame with string column names; arrays get ``x0, x1, ...``."""
    if isinstance(X, pd.DataFrame):
        frame = X
    elif hasattr(X, "tocsr") or hasattr(X, "sparse"):
        raise TypeError(f"sparse input is not supported for {name}; pass a dense DataFrame or array (X.toarray())")
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(
                f"Expected 2D array for {name}, got {arr.ndim}D array instead. Reshape your data either using "
                "array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) if it contains "
                "a single sample."
            )
        frame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if frame.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required.")
    if frame.shape[0] == 0:
        raise ValueError(f"{name} has 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required.")
    complex_cols = [c for c in frame.columns if pd.api.types.is_complex_dtype(frame[c])]
    if complex_cols:
        raise ValueError(f"Complex data not supported: {name} columns {complex_cols} hold complex numbers")
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()].tolist()
        raise ValueError(f"{name} has duplicate column names {dup}")
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    return frame


def _is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(
        s
    )


@dataclass
class FrameSchema:
    """Columns, their kind and the categories of the categorical ones, as learned at fit."""

    columns: list[str]
    categories: dict[str, pd.Index]
    from_dataframe: bool

    @classmethod
    def learn(cls, X: pd.DataFrame, from_dataframe: bool = True) -> FrameSchema:
        cats: dict[str, pd.Index] = {}
        for col in X.columns:
            s = X[col]
            if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
                raise TypeError(
                    f"column {col!r} has dtype {s.dtype}; convert dates to numbers (e.g. days since) first"
                )
            if _is_categorical(s):
                if isinstance(s.dtype, pd.CategoricalDtype):
                    present = s.cat.remove_unused_categories().cat.categories
                else:
                    present = pd.Index(pd.unique(s.dropna().astype(str)))
                cats[col] = pd.Index(sorted(present.astype(str)), dtype=object)
        return cls(list(X.columns), cats, from_dataframe)

    @property
    def categorical(self) -> list[str]:
        return [c for c in self.columns if c in self.categories]

    def apply(self, X: pd.DataFrame, handle_unknown: str = "warn", name: str = "X", owner: str = "the model"
              ) -> pd.DataFrame:
        """Return ``X`` with the fitted columns, in order, with the fitted dtypes."""
        if not self.from_dataframe and list(X.columns) != self.columns:
            if X.shape[1] != len(self.columns):
                raise ValueError(
                    f"{name} has {X.shape[1]} features, but {owner} is expecting {len(self.columns)} features as input"
                )
            X = X.set_axis(self.columns, axis=1)
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise FeatureMismatchError(
                f"{name} lacks {len(missing)} column(s) the model was fitted on: {reprlib.repr(missing)}; "
                "build the features with the same builder and windows as for training"
            )
        extra = [c for c in X.columns if c not in set(self.columns)]
        if extra:
            logger.debug("ignoring %d column(s) not used by the model: %s", len(extra), reprlib.repr(extra))
        out = {}
        for col in self.columns:
            s = X[col]
            if col in self.categories:
                out[col] = self._categorical(col, s, handle_unknown, name)
            else:
                out[col] = self._numeric(col, s, name)
        return pd.DataFrame(out, index=X.index)

    def _numeric(self, col: str, s: pd.Series, name: str) -> np.ndarray:
        if _is_categorical(s):
            try:
                return pd.to_numeric(s.astype(object), errors="raise").astype("float64").to_numpy()
            except (TypeError, ValueError):
                raise FeatureMismatchError(
                    f"column {col!r} of {name} was numeric at fit time but now holds {s.dtype} values "
                    f"such as {reprlib.repr(s.dropna().unique()[:3].tolist())}"
                ) from None
        if pd.api.types.is_datetime64_any_dtype(s):
            raise FeatureMismatchError(f"column {col!r} of {name} is a date ({s.dtype}); the model expects numbers")
        try:
            return s.to_numpy(dtype="float64", na_value=np.nan)
        except (TypeError, ValueError):
            raise FeatureMismatchError(f"column {col!r} of {name} has dtype {s.dtype}; the model expects numbers") from None

    def _categorical(self, col: str, s: pd.Series, handle_unknown: str, name: str) -> pd.Categorical:
        known = self.categories[col]
        cat = None
        if isinstance(s.dtype, pd.CategoricalDtype):
            names = s.cat.categories.astype(str)
            if not names.has_duplicates:
                cat = s.array.rename_categories(names)
        if cat is None:
            values = s.astype(object)
            present = values.notna()
            values = values.where(~present, values.astype(str)).where(present, None)
            cat = pd.Categorical(values)
        was_missing = np.asarray(cat.isna())
        out = cat.set_categories(known)
        unseen = np.asarray(out.isna()) & ~was_missing
        if unseen.any():
            bad = sorted(set(np.asarray(cat)[unseen]))
            msg = (
                f"column {col!r} of {name}: {int(unseen.sum())} value(s) in categories not seen during fit "
                f"{reprlib.repr(bad)}; they are treated as missing"
            )
            if handle_unknown == "error":
                raise FeatureMismatchError(msg.replace("they are treated as missing",
                                                       "refit the model or use handle_unknown='warn'"))
            if handle_unknown == "warn":
                warnings.warn(msg, UnseenCategoryWarning, stacklevel=4)
        return out
