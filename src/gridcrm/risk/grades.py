"""Risk grades: "high", "elevated" or "normal", cut at shares of the scored population.

One definition for every place a grade is written: the main job's risk list and
portraits, batch scoring from the registry and the HTTP server all grade a
probability with :func:`risk_grades`, against cuts made once by :func:`grade_cuts`
on the population the model was trained for (the active customers at ``as_of``).
The registered model carries its cuts, so a customer gets the same grade from
``gridcrm run``, ``gridcrm score`` and ``gridcrm serve``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gridcrm.errors import InputError

__all__ = ["GRADE_SHARES", "RISK_GRADES", "grade_cuts", "risk_grades"]

#: The grades, from the highest risk down.
RISK_GRADES: tuple[str, str, str] = ("high", "elevated", "normal")

#: Default shares of the population graded "high" (the top 5%) and at least "elevated" (the top 20%).
GRADE_SHARES: tuple[float, float] = (0.05, 0.20)


def grade_cuts(p: Sequence[float] | np.ndarray | pd.Series, shares: Sequence[float] = GRADE_SHARES) -> dict[str, float]:
    """The probabilities above which a customer is in the top ``shares`` of ``p``.

    Parameters
    ----------
    p : array-like of float
        Probabilities of one risk for a whole population (NaN are ignored).
    shares : (float, float)
        Share of the population graded "high" and share graded "high" or "elevated";
        ``0 < high <= elevated < 1``.

    Returns
    -------
    dict
        ``{"high": quantile(p, 1 - shares[0]), "elevated": quantile(p, 1 - shares[1])}``.

    Raises
    ------
    gridcrm.errors.InputError
        ``shares`` is not two increasing shares between 0 and 1, or ``p`` has no value.

    See Also
    --------
    risk_grades : grade probabilities against the cuts.

    Examples
    --------
    >>> cuts = grade_cuts([i / 100 for i in range(101)])
    >>> round(cuts["high"], 2), round(cuts["elevated"], 2)
    (0.95, 0.8)
    """
    shares = tuple(float(s) for s in shares)
    if len(shares) != 2 or not 0 < shares[0] <= shares[1] < 1:
        raise InputError(f"shares must be two shares 0 < high <= elevated < 1 (e.g. {GRADE_SHARES}), got {shares}")
    values = np.asarray(p, dtype="float64")
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise InputError("p holds no probability to cut (empty or all NaN); grade cuts need a scored population")
    return {"high": float(np.quantile(values, 1 - shares[0])), "elevated": float(np.quantile(values, 1 - shares[1]))}


def risk_grades(p: Sequence[float] | np.ndarray | pd.Series, cuts: Mapping[str, float]) -> np.ndarray:
    """Grade probabilities: "high" at or above ``cuts["high"]``, else "elevated" at or above ``cuts["elevated"]``.

    Parameters
    ----------
    p : array-like of float
        Probabilities to grade (NaN is "normal").
    cuts : mapping
        ``{"high": float, "elevated": float}`` from :func:`grade_cuts`.

    Returns
    -------
    ndarray of object
        ``"high"``, ``"elevated"`` or ``"normal"`` per probability, in order.

    Raises
    ------
    gridcrm.errors.InputError
        ``cuts`` lacks "high" or "elevated".

    Examples
    --------
    >>> risk_grades([0.9, 0.5, 0.1], {"high": 0.8, "elevated": 0.4}).tolist()
    ['high', 'elevated', 'normal']
    """
    missing = [k for k in RISK_GRADES[:2] if k not in cuts]
    if missing:
        raise InputError(f"cuts must give 'high' and 'elevated' probabilities (see grade_cuts), missing {missing}")
    values = np.asarray(p, dtype="float64")
    return np.select([values >= cuts["high"], values >= cuts["elevated"]], list(RISK_GRADES[:2]),
                     RISK_GRADES[2]).astype(object)
