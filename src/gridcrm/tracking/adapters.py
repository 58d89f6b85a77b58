"""What each kind of gridcrm model answers when it is served.

An adapter turns a fitted model and an input frame (plus optional request
parameters) into the output frame of its MLflow pyfunc: for example a credit
scorer answers ``score`` and ``grade`` per row. Capabilities register theirs with
:func:`register_adapter`; the served model (``_served_model.py``) looks them up
by kind, so one pyfunc implementation serves every gridcrm model.
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from gridcrm.errors import InputError
from gridcrm.features.registry import FeatureSpec, feature_spec

__all__ = ["Adapter", "ADAPTERS", "ID_SPEC", "RequestError", "check_request", "register_adapter", "request_columns",
           "request_contract", "serve_predict"]

Adapter = Callable[[Any, pd.DataFrame, Mapping[str, Any]], pd.DataFrame]
#: Adapters by model kind.
ADAPTERS: dict[str, Adapter] = {}


def register_adapter(kind: str) -> Callable[[Adapter], Adapter]:
    """Decorator registering the adapter of a model kind."""

    def deco(fn: Adapter) -> Adapter:
        ADAPTERS[kind] = fn
        return fn

    return deco


def serve_predict(kind: str, model: Any, frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Answer a serving request for a model of ``kind``.

    Raises
    ------
    KeyError
        No adapter for ``kind``.
    """
    _load_builtin_adapters()
    try:
        adapter = ADAPTERS[kind]
    except KeyError:
        raise KeyError(f"no serving adapter for model kind {kind!r}; known kinds: {sorted(ADAPTERS)}") from None
    return adapter(model, frame, params or {})


#: Modules holding serving adapters of gridcrm's own kinds (each registers with
#: ``gridcrm.tracking._builtin_adapters.register_adapter``); a new capability adds its module here.
ADAPTER_MODULES: tuple[str, ...] = (
    "gridcrm.tracking._builtin_adapters",
    "gridcrm.tracking._recommend_adapter",
    "gridcrm.tracking._service_adapter",
    "gridcrm.tracking._anomaly_adapter",
    "gridcrm.tracking._group_forecast_adapter",
)


def _load_builtin_adapters() -> None:
    import importlib

    for module in ADAPTER_MODULES:
        importlib.import_module(module)
    from gridcrm.tracking._builtin_adapters import BUILTIN

    for kind, adapter in BUILTIN.items():
        ADAPTERS.setdefault(kind, adapter)  # a kind registered by a user keeps its adapter


# --- request checks -------------------------------------------------------------------------------
#: What a request's ``customer_id`` is: a non-negative whole number (the data model's key).
ID_SPEC = FeatureSpec("customer_id", "account", "Customer (account) id", "id", kind="int", min=0.0)
_EXPECTED = {
    "bool": "true or false: JSON booleans, not strings or numbers",
    "str": "text",
}
_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40


class RequestError(InputError):
    """A request a served model refuses: the message names each bad column, its values and what is expected."""


def request_columns(example: pd.DataFrame) -> dict[str, str]:
    """The kind of each column of a model's input example: ``int``, ``float``, ``bool`` or ``str``.

    :func:`gridcrm.tracking.log_model` stores it with the model, so the served model checks the
    columns the feature registry does not know (and customer ids) too.

    Examples
    --------
    >>> import pandas as pd
    >>> request_columns(pd.DataFrame({"customer_id": [1], "x": [0.5], "flag": [True], "name": ["a"]}))
    {'customer_id': 'int', 'x': 'float', 'flag': 'bool', 'name': 'str'}
    """
    kinds = {}
    for name in example.columns:
        dtype = example[name].dtype
        if pd.api.types.is_bool_dtype(dtype):
            kinds[str(name)] = "bool"
        elif pd.api.types.is_integer_dtype(dtype):
            kinds[str(name)] = "int"
        elif pd.api.types.is_numeric_dtype(dtype):
            kinds[str(name)] = "float"
        else:
            kinds[str(name)] = "str"
    return kinds


def request_contract(signature: Any, example: pd.DataFrame) -> tuple[Any, dict[str, str]]:
    """The signature a gridcrm model is logged with, and the kinds of its input columns.

    Every input column is declared ``any``: otherwise MLflow's scoring server casts a JSON request to
    the declared types before the model sees it, and the casts are lossy (``"false"`` becomes True,
    2.7 becomes 2). The served model checks and converts each column itself (:func:`check_request`).
    Column names, required columns, outputs and request parameters stay as inferred.
    """
    from mlflow.models import ModelSignature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    inputs = Schema([ColSpec(AnyType(), c.name, required=c.required) for c in signature.inputs.inputs])
    return ModelSignature(inputs=inputs, outputs=signature.outputs, params=signature.params), request_columns(example)


#: Kinds of model for which a missing input has a meaning of its own, whatever the registry says.
MISSING_MEANS: dict[str, str] = {
    "credit": "indicator unknown: the score rests on the other indicators (lower coverage)",
    "value": "indicator unknown: the score rests on the other indicators (lower coverage)",
}


def check_request(frame: pd.DataFrame, columns: Mapping[str, str] | None = None, kind: str | None = None
                  ) -> pd.DataFrame:
    """Check a request against the feature registry; return it with every column in its dtype.

    Each column is checked as the registry (:func:`gridcrm.features.registry.feature_spec`) describes
    it, else as ``columns`` (what the model was logged with) says: booleans must be true booleans,
    whole-number columns whole numbers, numbers finite and within the feature's plausible bounds
    (shares within [0, 1] up to 1e-9, to which they are clipped), categories within the allowed
    values where the data model fixes them; NaN only where the registry says what it means.

    Parameters
    ----------
    frame : DataFrame
        The request, one row per customer.
    columns : mapping of str to str, optional
        Column → kind (``int``, ``float``, ``bool``, ``str``) of the model's input example; columns in
        it are required.
    kind : str, optional
        The model's kind: for those in :data:`MISSING_MEANS` (credit, value) NaN is allowed in every
        column but ``customer_id``.

    Returns
    -------
    DataFrame
        The request with int64 / float64 / bool / object columns.

    Raises
    ------
    RequestError
        One message naming every bad column, a few of its bad values and what is expected.

    Examples
    --------
    >>> import pandas as pd
    >>> ok = check_request(pd.DataFrame({"arrears_count": [0, 2], "blacklisted": [False, True]}))
    >>> ok.dtypes.astype(str).tolist()
    ['int64', 'bool']
    >>> try:
    ...     check_request(pd.DataFrame({"blacklisted": ["false", True]}))
    ... except RequestError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    invalid request: column 'blacklisted' has 1 value that is not a boolean, e.g. 'false' (expected true or false...)
    """
    problems = []
    missing = [c for c in (columns or {}) if c not in frame.columns]
    if missing:
        problems.append(f"missing column(s) {', '.join(map(repr, missing))} (the model was logged with them)")
    out = {}
    for name in frame.columns:
        spec = _spec(str(name), (columns or {}).get(str(name)))
        if spec is not None and kind in MISSING_MEANS and name != "customer_id":
            spec = replace(spec, missing=MISSING_MEANS[kind])
        if spec is None:
            out[name] = frame[name]
            continue
        out[name], problem = _check_column(str(name), frame[name], spec)
        if problem:
            problems.append(problem)
    if problems:
        raise RequestError("invalid request: " + "; ".join(problems))
    return pd.DataFrame(out, index=frame.index)


def _spec(name: str, logged: str | None) -> FeatureSpec | None:
    spec = ID_SPEC if name == "customer_id" else feature_spec(name)
    if spec is None:
        if logged is None:
            return None  # a column the model does not take: MLflow drops it
        kind = "category" if logged == "str" else logged
        return FeatureSpec(name, "account", "", "", kind=kind, missing="not a gridcrm feature")  # type: ignore[arg-type]
    if logged == "int" and spec.kind == "float":  # logged as whole numbers: a fraction would be truncated
        return replace(spec, kind="int")
    return spec


def _examples(values: pd.Series) -> str:
    return ", ".join(_SHORT.repr(v) for v in values.drop_duplicates().head(3).tolist())


def _count(n: int, what: str) -> str:
    return f"{n:,} value{'s' if n != 1 else ''} that {'are' if n != 1 else 'is'} {what}"


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e6 else f"{x:g}"


def _expected(spec: FeatureSpec) -> str:
    if spec.kind in _EXPECTED:
        return _EXPECTED[spec.kind]
    if spec.kind == "category":
        return f"one of {', '.join(map(repr, spec.allowed))}" if spec.allowed else _EXPECTED["str"]
    what = "whole numbers" if spec.kind == "int" else "finite numbers"
    lo, hi = spec.min, spec.max
    bounds = (f" from {_num(lo)} to {_num(hi)}" if lo is not None and hi is not None
              else f" of at least {_num(lo)}" if lo is not None else "")
    return f"{what}{bounds}" + (f" [{spec.unit}]" if spec.unit and spec.unit != "id" else "")


def _check_column(name: str, s: pd.Series, spec: FeatureSpec) -> tuple[pd.Series, str]:
    na = s.isna().to_numpy()
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        is_bool, is_num, is_str = ~na, np.zeros(len(s), bool), np.zeros(len(s), bool)
    elif pd.api.types.is_numeric_dtype(dtype):
        is_bool, is_num, is_str = np.zeros(len(s), bool), ~na, np.zeros(len(s), bool)
    elif pd.api.types.is_string_dtype(dtype) and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        is_bool, is_num, is_str = np.zeros(len(s), bool), np.zeros(len(s), bool), ~na
    else:  # mixed Python objects (JSON with nulls or of several types): one pass over the values
        types = s.map(type).to_numpy()
        is_bool = np.isin(types, [bool, np.bool_]) & ~na
        is_str = s.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool) & ~na
        is_num = ~(is_bool | is_str | na) & s.map(lambda v: isinstance(v, numbers.Real)).to_numpy(dtype=bool)
    wrong: list[str] = []
    if spec.kind == "bool":
        bad = ~(is_bool | na)
        if bad.any():
            wrong.append(_count(int(bad.sum()), "not a boolean" if bad.sum() == 1 else "not booleans")
                         + f", e.g. {_examples(s[bad])}")
        converted = s.astype(bool) if not na.any() else s.astype(object)
    elif spec.kind in ("int", "float"):
        converted, wrong = _check_numbers(s, spec, na, is_bool, is_num, is_str)
    else:
        bad = ~(is_str | na)
        if bad.any():
            wrong.append(_count(int(bad.sum()), "not text") + f", e.g. {_examples(s[bad])}")
        elif spec.allowed:
            unknown = is_str & ~s.isin(spec.allowed).to_numpy()
            if unknown.any():
                wrong.append(_count(int(unknown.sum()), "not allowed") + f", e.g. {_examples(s[unknown])}")
        converted = s.astype(object)
    if na.any() and not spec.missing:
        wrong.append(f"{int(na.sum()):,} missing value{'s' if na.sum() != 1 else ''} (null or NaN, which has no "
                     "meaning for this column)")
    if not wrong:
        return converted, ""
    return s, f"column {name!r} has " + ", and ".join(wrong) + f" (expected {_expected(spec)})"


def _check_numbers(s: pd.Series, spec: FeatureSpec, na: np.ndarray, is_bool: np.ndarray, is_num: np.ndarray,
                   is_str: np.ndarray) -> tuple[pd.Series, list[str]]:
    wrong = []
    if is_bool.any():
        wrong.append(_count(int(is_bool.sum()), "booleans, not numbers" if is_bool.sum() != 1
                            else "a boolean, not a number") + f", e.g. {_examples(s[is_bool])}")
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        values = s.astype("float64")
    else:  # numbers, and strings that spell numbers ("2.5")
        values = pd.to_numeric(s.where(is_num | is_str), errors="coerce").astype("float64")
        not_number = is_str & values.isna().to_numpy()
        if not_number.any():
            wrong.append(_count(int(not_number.sum()), "not a number" if not_number.sum() == 1 else "not numbers")
                         + f", e.g. {_examples(s[not_number])}")
    v = values.to_numpy()
    inf = np.isinf(v)
    if inf.any():
        wrong.append(_count(int(inf.sum()), "infinite") + f", e.g. {_examples(s[inf])}")
    finite = np.isfinite(v)
    if spec.kind == "int":
        fraction = finite & (v != np.floor(np.where(finite, v, 0.0)))
        if fraction.any():
            wrong.append(_count(int(fraction.sum()), "not a whole number" if fraction.sum() == 1
                                else "not whole numbers") + f", e.g. {_examples(s[fraction])}")
    lo = -np.inf if spec.min is None else spec.min
    hi = np.inf if spec.max is None else spec.max
    tol_lo, tol_hi = 1e-9 * max(1.0, abs(lo)) if np.isfinite(lo) else 0.0, 1e-9 * max(1.0, abs(hi)) if np.isfinite(hi) else 0.0
    out = finite & ((v < lo - tol_lo) | (v > hi + tol_hi))
    if out.any():
        wrong.append(_count(int(out.sum()), "out of range") + f", e.g. {_examples(s[out])}")
    if wrong:
        return values, wrong
    if spec.kind == "float":
        return values.clip(lo, hi), wrong
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("int64"), wrong
    return (values if np.isnan(v).any() else values.astype("int64")), wrong
