"""One way to declare and check the parameters of gridcrm's estimators.

Every public estimator declares its parameters once, in a class attribute
``_parameter_rules`` (``{name: [rule, ...]}``; a value is allowed when any rule
of its list allows it), and checks them with one call, :func:`validate_params`,
at the start of ``fit`` (the :class:`ValidatedParams` mixin does it). Every bad
parameter therefore fails the same way: an :class:`~gridcrm.errors.InputError`
(also a ``ValueError``, as scikit-learn expects) saying
``"{Estimator}: {param}={value!r} is not allowed; expected {description}"``.

A rule is one of

* :class:`Interval` — a number of a type (``Integral``, ``Real``) within bounds;
* :class:`Options` — one of a few values (``Options({"auto"})``);
* ``None`` — the value ``None``;
* a type (``dict``, ``tuple``, ``ArrearsLabel``) — an instance of it
  (``bool`` is never taken for a number, nor a number for ``bool``);
* :class:`Check` — any predicate, with the description to print.

The shared rule lists :data:`RANDOM_STATE`, :data:`N_JOBS`, :data:`BOOLEAN`,
:data:`ARRAY_LIKE` and :data:`VERBOSE` spell the same thing the same way in
every estimator.

Conventions of the estimators' signatures
-----------------------------------------
* **Keyword-only parameters.** ``__init__(self, *, ...)`` everywhere, with one
  exception where scikit-learn convention has an obvious first argument, the
  one that says what the estimator is asked to produce or follow: ``n_clusters``
  of the clusterers (``CustomerSegmenter(6)``, ``LoadShapeClusterer(4)``, like
  ``KMeans(8)``) and ``config`` of the AHP scorers
  (``CreditScorer("configs/credit_ahp.yaml")``). Nothing else is positional.
* **random_state** — in every estimator that draws anything at random.
  ``None``: not seeded, results vary from run to run; an int: reproducible
  (the same int gives the same result). Each estimator documents its default
  (a fixed seed, so that results are reproducible unless asked otherwise).
* **n_jobs** — in every estimator that can use several cores. ``None`` means 1
  (as in scikit-learn and joblib, unless inside a ``joblib.parallel_config``
  context), ``-1`` all cores, a positive int that many.
* **h** — the forecast horizon, in steps, is ``h`` everywhere
  (``ConsumptionForecaster.predict(h=...)``, ``backtest(..., h=...)``, the
  forecast config's ``h``).
* ``__init__`` only stores its arguments; checking happens in ``fit`` (so that
  ``get_params``/``set_params``/``clone`` work as in scikit-learn).

Examples
--------
>>> from numbers import Integral
>>> rules = {"n_init": [Interval(Integral, 1, None, closed="left")], "scaling": [Options({"robust", "standard"}), None]}
>>> validate_params("Demo", {"n_init": 4, "scaling": None}, rules)
>>> validate_params("Demo", {"n_init": 0}, rules)
Traceback (most recent call last):
...
gridcrm.errors.InputError: Demo: n_init=0 is not allowed; expected an integer >= 1
>>> validate_params("Demo", {"scaling": "minmax"}, rules)
Traceback (most recent call last):
...
gridcrm.errors.InputError: Demo: scaling='minmax' is not allowed; expected one of ['robust', 'standard'] or None
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from gridcrm.errors import InputError

__all__ = [
    "ARRAY_LIKE",
    "BOOLEAN",
    "N_JOBS",
    "RANDOM_STATE",
    "VERBOSE",
    "Check",
    "Interval",
    "Options",
    "ValidatedParams",
    "describe",
    "effective_n_jobs",
    "validate_params",
]

_CLOSED = ("left", "right", "both", "neither")


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class Interval:
    """Numbers of ``type`` (``numbers.Integral`` or ``numbers.Real``) between ``low`` and ``high``.

    ``None`` for a bound means unbounded; ``closed`` says which bounds belong to
    the interval (``"left"``, ``"right"``, ``"both"`` or ``"neither"``). Booleans,
    NaN and infinities are never in an interval.

    Examples
    --------
    >>> from numbers import Real
    >>> share = Interval(Real, 0, 1, closed="right")
    >>> share.allows(1.0), share.allows(0), share.describe()
    (True, False, 'a number in (0, 1]')
    """

    type: type
    low: float | None
    high: float | None
    closed: str = "both"

    def __post_init__(self) -> None:
        if self.closed not in _CLOSED:
            raise ValueError(f"Interval: closed={self.closed!r} is not allowed; expected one of {list(_CLOSED)}")

    def allows(self, value: Any) -> bool:
        """Whether ``value`` is a number of the type within the bounds."""
        if _is_bool(value) or not isinstance(value, self.type):
            return False
        if self.type is not numbers.Integral and not np.isfinite(value):
            return False
        low_ok = self.low is None or value > self.low or (value == self.low and self.closed in ("left", "both"))
        high_ok = self.high is None or value < self.high or (value == self.high and self.closed in ("right", "both"))
        return bool(low_ok and high_ok)

    def describe(self) -> str:
        """In words, e.g. ``'an integer >= 1'`` or ``'a number in (0, 1]'``."""
        what = "an integer" if self.type is numbers.Integral else "a number"
        if self.low is not None and self.high is not None:
            left = "[" if self.closed in ("left", "both") else "("
            right = "]" if self.closed in ("right", "both") else ")"
            return f"{what} in {left}{self.low}, {self.high}{right}"
        if self.low is not None:
            return f"{what} {'>=' if self.closed in ('left', 'both') else '>'} {self.low}"
        if self.high is not None:
            return f"{what} {'<=' if self.closed in ('right', 'both') else '<'} {self.high}"
        return what


class Options:
    """One of a few given values (strings, usually).

    Examples
    --------
    >>> Options({"auto"}).describe(), Options({"b", "a"}).describe()
    ("'auto'", "one of ['a', 'b']")
    """

    def __init__(self, values: Collection[Any]) -> None:
        self.values = frozenset(values)

    def allows(self, value: Any) -> bool:
        """Whether ``value`` is one of the options (never by an unhashable or a bool equal to 0/1)."""
        try:
            return value in self.values and not (_is_bool(value) and not any(_is_bool(v) for v in self.values))
        except TypeError:  # unhashable
            return False

    def describe(self) -> str:
        """``'x'`` for one option, ``one of [...]`` for several."""
        ordered = sorted(self.values, key=repr)
        return repr(ordered[0]) if len(ordered) == 1 else f"one of {ordered!r}"


@dataclass(frozen=True)
class Check:
    """Any rule: ``predicate(value)`` says whether the value is allowed; ``description`` says what is expected.

    Examples
    --------
    >>> pair = Check(lambda v: isinstance(v, tuple) and len(v) == 2, "a pair")
    >>> pair.allows((1, 2)), pair.describe()
    (True, 'a pair')
    """

    predicate: Callable[[Any], bool]
    description: str

    def allows(self, value: Any) -> bool:
        """Whether the predicate accepts ``value`` (a predicate that raises does not)."""
        try:
            return bool(self.predicate(value))
        except (TypeError, ValueError):
            return False

    def describe(self) -> str:
        """The description given."""
        return self.description


def _allows(rule: Any, value: Any) -> bool:
    if rule is None:
        return value is None
    if isinstance(rule, type):
        if rule is bool:
            return _is_bool(value)
        return isinstance(value, rule) and not (_is_bool(value) and rule is not bool)
    return bool(rule.allows(value))


def _describe_one(rule: Any) -> str:
    if rule is None:
        return "None"
    if isinstance(rule, type):
        if rule is bool:
            return "True or False"
        name = rule.__name__
        return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"
    return str(rule.describe())


def describe(rules: Iterable[Any]) -> str:
    """What a list of rules allows, in words (``'a, b or c'``).

    Examples
    --------
    >>> from numbers import Integral
    >>> describe([Options({"auto"}), Interval(Integral, 1, None, closed="left"), None])
    "'auto', an integer >= 1 or None"
    """
    parts = [_describe_one(r) for r in rules]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} or {parts[-1]}"


def _owner_name(owner: Any) -> str:
    if isinstance(owner, str):
        return owner
    return owner.__name__ if isinstance(owner, type) else type(owner).__name__


def validate_params(owner: Any, params: Mapping[str, Any], rules: Mapping[str, list[Any]]) -> None:
    """Check each of ``params`` that has rules against them; raise on the first value no rule allows.

    Parameters
    ----------
    owner : estimator, class or str
        Whose parameters these are (its class name starts the message).
    params : mapping of str to value
        Parameter values, e.g. ``estimator.get_params(deep=False)``.
    rules : mapping of str to list of rules
        Allowed values of each parameter (see the module docstring); parameters
        without rules are not checked.

    Raises
    ------
    InputError
        ``"{Estimator}: {param}={value!r} is not allowed; expected {description}"``
        (an ``InputError`` is a ``ValueError``).

    Examples
    --------
    >>> validate_params("ConsumptionForecaster", {"n_jobs": 0}, {"n_jobs": N_JOBS})
    Traceback (most recent call last):
    ...
    gridcrm.errors.InputError: ConsumptionForecaster: n_jobs=0 is not allowed; expected a non-zero integer \
(-1: all cores) or None (1 core)
    """
    name = _owner_name(owner)
    for param, allowed in rules.items():
        if param not in params:
            continue
        value = params[param]
        if not any(_allows(rule, value) for rule in allowed):
            raise InputError(f"{name}: {param}={value!r} is not allowed; expected {describe(allowed)}")


def effective_n_jobs(n_jobs: int | None) -> int:
    """Cores that ``n_jobs`` stands for: ``None`` is 1, ``-1`` all cores, ``-2`` all but one (joblib's rule).

    Examples
    --------
    >>> effective_n_jobs(None), effective_n_jobs(2)
    (1, 2)
    """
    import joblib

    return max(1, int(joblib.effective_n_jobs(n_jobs)))


def _non_zero_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not _is_bool(value) and value != 0


class _NoneMeansOne(Options):
    def describe(self) -> str:
        return "None (1 core)"


#: ``random_state``: None (not seeded, results vary) or an int seed (reproducible).
RANDOM_STATE: list[Any] = [Interval(numbers.Integral, 0, 2**32 - 1, closed="both"), None]
#: ``n_jobs``: None (1 core), -1 (all cores) or a positive number of cores (joblib's convention).
N_JOBS: list[Any] = [Check(_non_zero_int, "a non-zero integer (-1: all cores)"), _NoneMeansOne({None})]
#: True or False.
BOOLEAN: list[Any] = [bool]
#: A list, tuple, array or Series (not a string).
ARRAY_LIKE: list[Any] = [Check(
    lambda v: not isinstance(v, (str, bytes, Mapping)) and hasattr(v, "__len__") and hasattr(v, "__iter__"),
    "a list of column names or positions",
)]
#: ``verbose``: 0 (quiet, progress at DEBUG level) or more (INFO level).
VERBOSE: list[Any] = [Interval(numbers.Integral, 0, None, closed="left"), bool]


class ValidatedParams:
    """Mixin: ``_validate_params()`` checks ``get_params(deep=False)`` against ``_parameter_rules``.

    Put it first among the bases (``class X(ValidatedParams, ClusterMixin, BaseEstimator)``);
    scikit-learn's ``_fit_context`` decorator, or ``fit`` itself, calls ``_validate_params``.
    """

    _parameter_rules: ClassVar[dict[str, list[Any]]] = {}

    def _validate_params(self) -> None:
        validate_params(self, self.get_params(deep=False), self._parameter_rules)  # type: ignore[attr-defined]
