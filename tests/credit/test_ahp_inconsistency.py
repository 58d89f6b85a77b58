"""Inconsistent judgements: warning or error naming the judgements to revise and the consistent values."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gridcrm.credit import InconsistencyError, InconsistencyWarning, PairwiseMatrix, ahp_weights

# Consistent with weights 8:4:2:1, except (a, d), turned from 8 into 1/2.
BROKEN = {("a", "b"): 2, ("a", "c"): 4, ("a", "d"): "1/2", ("b", "c"): 2, ("b", "d"): 4, ("c", "d"): 2}


def test_warning_names_worst_judgement_and_consistent_value():
    with pytest.warns(InconsistencyWarning) as record:
        r = ahp_weights(BROKEN, name="criteria")
    message = str(record[0].message)
    assert "in 'criteria': CR = 0.403 ≥ 0.1" in message
    assert "(a, d) = 1/2 where the weights imply 1.65" in message
    assert "changing it alone to 8 gives CR 0.000" in message
    assert not r.consistent


def test_raise_option_carries_the_result():
    with pytest.raises(InconsistencyError, match=r"\(a, d\) = 1/2") as info:
        ahp_weights(BROKEN, on_inconsistent="raise")
    assert info.value.result.cr == pytest.approx(0.403, abs=1e-3)


def test_ignore_option_and_consistent_matrices_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ahp_weights(BROKEN, on_inconsistent="ignore")
        ahp_weights(PairwiseMatrix.from_weights([4, 2, 1]))


def test_threshold_is_inclusive_and_configurable():
    r = ahp_weights(BROKEN, on_inconsistent="ignore")
    with pytest.warns(InconsistencyWarning):
        ahp_weights(BROKEN, cr_threshold=r.cr)  # CR ≥ threshold
    assert ahp_weights(BROKEN, cr_threshold=0.5).consistent


def test_inconsistency_table():
    r = ahp_weights(BROKEN, on_inconsistent="ignore")
    table = r.inconsistency()
    assert list(table.columns) == ["a", "b", "judgement", "implied", "error_ratio", "contribution", "share",
                                   "best_value", "cr_if_best"]
    top = table.iloc[0]
    assert (top["a"], top["b"], top["best_value"]) == ("a", "d", 8.0)
    assert top["cr_if_best"] == pytest.approx(0.0, abs=1e-9)
    w = r.weights
    assert top["implied"] == pytest.approx(w["a"] / w["d"])
    # Saaty (2003): Σ_ij a_ij w_j / w_i = n λmax, so the pairs' contributions add up to λmax − n.
    assert table["contribution"].sum() == pytest.approx(r.lambda_max - r.n, rel=1e-10)
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["share"].is_monotonic_decreasing


def test_each_single_corrupted_judgement_is_found():
    w = np.array([0.4, 0.25, 0.15, 0.12, 0.08])
    labels = list("vwxyz")
    base = PairwiseMatrix.from_weights(dict(zip(labels, w, strict=True)))
    for i, j in [(0, 4), (1, 3), (2, 4)]:
        a = np.array(base.values)
        a[i, j], a[j, i] = 1 / 5, 5  # reverse and exaggerate one judgement
        top = ahp_weights(a, labels=labels, on_inconsistent="ignore", random_index_table=None).inconsistency().iloc[0]
        assert {top["a"], top["b"]} == {labels[i], labels[j]}
