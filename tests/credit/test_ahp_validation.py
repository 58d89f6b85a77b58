"""Pairwise matrices: validation errors name the offending pair; accepted forms of judgements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.credit import AHPError, JudgementError, PairwiseMatrix, ahp_weights, pairwise_matrix
from gridcrm.credit.pairwise import format_judgement, nearest_scale_value, parse_judgement

L3 = ["payment", "arrears", "theft"]


def test_not_square():
    with pytest.raises(JudgementError, match=r"square .* shape \(2, 3\)"):
        PairwiseMatrix([[1, 2, 3], [0.5, 1, 2]])


def test_non_positive_names_pair_and_hints_nan_for_empty_triangle():
    with pytest.raises(JudgementError, match=r"finite and positive: \(payment, theft\) = 0.*use NaN, not 0"):
        PairwiseMatrix([[1, 3, 0], [1 / 3, 1, 2], [np.nan, 0.5, 1]], labels=L3)
    with pytest.raises(JudgementError, match=r"\(arrears, payment\) = -3"):
        PairwiseMatrix([[1, np.nan], [-3, 1]], labels=["payment", "arrears"])


def test_infinite_value_is_rejected():
    with pytest.raises(JudgementError, match=r"\(0, 1\) = inf"):
        PairwiseMatrix([[1, np.inf], [0, 1]])


def test_not_reciprocal_names_pair_and_expected_value():
    m = [[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 2, 1]]
    with pytest.raises(JudgementError, match=r"\(arrears, theft\) = 2 but \(theft, arrears\) = 2 \(expected 1/2\)"):
        PairwiseMatrix(m, labels=L3)


def test_reciprocal_within_tolerance_is_made_exact():
    m = PairwiseMatrix([[1, 3, 5], [0.333, 1, 2], [0.2, 0.5, 1]], labels=L3)
    a = m.values
    np.testing.assert_allclose(a * a.T, 1.0, rtol=1e-15)
    assert m.judgement("payment", "arrears") == pytest.approx(np.sqrt(3 / 0.333))
    with pytest.raises(JudgementError, match="not reciprocal"):
        PairwiseMatrix([[1, 3], [0.3, 1]])  # 0.3 is not 1/3 within 1 %
    assert PairwiseMatrix([[1, 3], [0.3, 1]], reciprocal_rtol=0.2).n == 2


def test_diagonal_must_be_one():
    with pytest.raises(JudgementError, match=r"diagonal must be 1.*\(arrears, arrears\) = 2"):
        PairwiseMatrix([[1, 3, 5], [1 / 3, 2, 2], [1 / 5, 1 / 2, 1]], labels=L3)


def test_out_of_scale_names_pair_and_can_be_switched_off():
    m = [[1, 12, 5], [1 / 12, 1, 2], [1 / 5, 1 / 2, 1]]
    with pytest.raises(JudgementError, match=r"outside the scale 1/9…9: \(payment, arrears\) = 12"):
        PairwiseMatrix(m, labels=L3)
    with pytest.raises(JudgementError, match=r"\(payment, arrears\) = 12"):
        PairwiseMatrix([[1, np.nan, 5], [1 / 12, 1, 2], [1 / 5, 1 / 2, 1]], labels=L3)  # reported by its ≥ 1 side
    assert PairwiseMatrix(m, labels=L3, scale=None).judgement("payment", "arrears") == 12
    assert PairwiseMatrix([[1, 0.111], [9, 1]]).n == 2  # 0.111 for 1/9 is within tolerance


def test_missing_judgements_in_matrix_and_in_judgements():
    with pytest.raises(JudgementError, match=r"missing judgements: 1 of 3 pairs not given: \(arrears, theft\)"):
        PairwiseMatrix([[1, 3, 5], [np.nan, 1, np.nan], [np.nan, np.nan, 1]], labels=L3)
    with pytest.raises(JudgementError, match=r"2 of 6 pairs not given: \(b, d\), \(c, d\)"):
        PairwiseMatrix.from_judgements({("a", "b"): 1, ("a", "c"): 2, ("a", "d"): 3, ("b", "c"): 2})


def test_upper_triangle_is_enough():
    m = PairwiseMatrix([[1, 3, "1/2"], [None, 1, 2], [None, None, 1]], labels=L3)
    assert m.judgement("theft", "payment") == 2
    assert m.judgement("theft", "arrears") == pytest.approx(0.5)


def test_judgement_forms_agree():
    as_dict = {("payment", "arrears"): 3, ("payment", "theft"): 5, ("theft", "arrears"): "1/2"}
    as_triples = [("payment", "arrears", 3), ("payment", "theft", 5), ("arrears", "theft", 2)]
    as_frame = pd.DataFrame([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]], index=L3, columns=L3)
    a = pairwise_matrix(as_dict, L3)
    assert a == pairwise_matrix(as_triples, L3)
    np.testing.assert_allclose(a.values, pairwise_matrix(as_frame).values)
    assert a.judgements()[("payment", "theft")] == 5


def test_contradictory_duplicates_and_unknown_labels():
    with pytest.raises(JudgementError, match=r"contradictory judgements for \(a, b\): given as 3 and as 1/2"):
        PairwiseMatrix.from_judgements([("a", "b", 3), ("b", "a", 2)])
    assert PairwiseMatrix.from_judgements([("a", "b", 3), ("b", "a", "1/3")]).judgement("a", "b") == 3
    with pytest.raises(JudgementError, match=r"'z' is not one of the elements"):
        PairwiseMatrix.from_judgements({("a", "z"): 2}, labels=["a", "b"])
    with pytest.raises(JudgementError, match=r"compared with itself must be 1"):
        PairwiseMatrix.from_judgements({("a", "a"): 2, ("a", "b"): 1})


def test_bad_values_and_labels():
    with pytest.raises(JudgementError, match="cannot read 'three'"):
        parse_judgement("three")
    with pytest.raises(JudgementError, match="positive"):
        parse_judgement(-2)
    with pytest.raises(JudgementError, match="boolean"):
        PairwiseMatrix([[1, True], [1, 1]])
    with pytest.raises(JudgementError, match="duplicate labels"):
        PairwiseMatrix([[1, 2], [0.5, 1]], labels=["a", "a"])
    with pytest.raises(JudgementError, match="3 labels for a 2×2 matrix"):
        PairwiseMatrix([[1, 2], [0.5, 1]], labels=["a", "b", "c"])
    with pytest.raises(JudgementError, match="same labels"):
        pairwise_matrix(pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"], columns=["b", "a"]))


def test_matrix_is_read_only():
    m = PairwiseMatrix([[1, 2], [0.5, 1]])
    with pytest.raises(ValueError):
        m.values[0, 1] = 5


def test_more_than_ten_elements_needs_a_random_index():
    m = PairwiseMatrix.from_weights(np.arange(1, 12, dtype=float))
    with pytest.raises(AHPError, match=r"no random index for n = 11.*random_index=\{11: \.\.\.\}"):
        ahp_weights(m)
    assert ahp_weights(m, random_index_table={11: 1.51}).cr == pytest.approx(0, abs=1e-12)


def test_bad_options():
    with pytest.raises(ValueError, match="method must be"):
        ahp_weights([[1, 2], [0.5, 1]], method="mean")
    with pytest.raises(ValueError, match="on_inconsistent must be"):
        ahp_weights([[1, 2], [0.5, 1]], on_inconsistent="shout")


@pytest.mark.parametrize(
    ("x", "expected"), [(1.0, 1.0), (2.6, 3.0), (2.4, 2.0), (12, 9.0), (0.3, 1 / 3), (0.01, 1 / 9)]
)
def test_nearest_scale_value(x, expected):
    assert nearest_scale_value(x) == pytest.approx(expected)


def test_format_judgement():
    assert [format_judgement(x) for x in (3, 1 / 7, 2.5, 1 / 2.5)] == ["3", "1/7", "2.5", "1/2.5"]


def test_unreadable_entries_name_the_pair():
    with pytest.raises(JudgementError, match=r"entry \(arrears, payment\) = 'x/3' is not a number"):
        PairwiseMatrix([[1, 3], ["x/3", 1]], labels=["payment", "arrears"])
    with pytest.raises(JudgementError, match=r"entry \(0, 1\) = 'oops'"):
        PairwiseMatrix([[1, "oops"], [1, 1]])
