"""Group decisions: aggregation of individual judgements (AIJ) and priorities (AIP)."""

from __future__ import annotations

import numpy as np
import pytest

from gridcrm.credit import (
    AHPError,
    JudgementError,
    PairwiseMatrix,
    aggregate_judgements,
    aggregate_priorities,
    ahp_weights,
)

E1 = {("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 2}
E2 = {("a", "b"): 1, ("a", "c"): 3, ("b", "c"): 3}
E3 = [("c", "a", "1/7"), ("b", "a", "1/2"), ("b", "c", 4)]


def test_aij_is_elementwise_geometric_mean():
    m = aggregate_judgements([E1, E2, E3])
    assert m.labels == ("a", "b", "c")
    assert m.judgement("a", "b") == pytest.approx((3 * 1 * 2) ** (1 / 3))
    assert m.judgement("a", "c") == pytest.approx((5 * 3 * 7) ** (1 / 3))
    assert m.judgement("c", "b") == pytest.approx((1 / 2 * 1 / 3 * 1 / 4) ** (1 / 3))
    np.testing.assert_allclose(m.values * m.values.T, 1.0, rtol=1e-14)  # reciprocal


def test_weighted_experts():
    m = aggregate_judgements({"finance": {("a", "b"): 4}, "marketing": {("a", "b"): 1}},
                             weights={"finance": 3, "marketing": 1})
    assert m.judgement("a", "b") == pytest.approx(4 ** 0.75)


def test_aij_of_consistent_experts_gives_geometric_mean_of_their_weights():
    """Independent check: for consistent matrices a_ij = w_i/w_j, AIJ has weights ∝ Π_k w_ki^(1/K)."""
    ws = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.4, 0.2]])
    m = aggregate_judgements([PairwiseMatrix.from_weights(w) for w in ws], scale=None)
    g = np.exp(np.log(ws).mean(axis=0))
    np.testing.assert_allclose(ahp_weights(m).weights.to_numpy(), g / g.sum(), rtol=1e-12)
    aip = aggregate_priorities([ahp_weights(PairwiseMatrix.from_weights(w)) for w in ws])
    np.testing.assert_allclose(aip.to_numpy(), g / g.sum(), rtol=1e-12)


def test_experts_may_order_elements_differently():
    m = aggregate_judgements([PairwiseMatrix.from_judgements(E1, ["c", "b", "a"]), E2], labels=["a", "b", "c"])
    assert m.judgement("a", "b") == pytest.approx(3 ** 0.5)


def test_errors_name_the_expert():
    with pytest.raises(AHPError, match=r"expert 'risk' compares \['a', 'b', 'x'\]"):
        aggregate_judgements({"finance": E1, "risk": {("a", "b"): 1, ("a", "x"): 1, ("b", "x"): 1}})
    with pytest.raises(JudgementError, match=r"expert 1: missing judgements"):
        aggregate_judgements([E1, {("a", "b"): 1, ("a", "c"): 1}])
    with pytest.raises(AHPError, match="no expert"):
        aggregate_judgements([])
    with pytest.raises(AHPError, match="positive numbers"):
        aggregate_judgements([E1, E2], weights=[1, -1])
    with pytest.raises(AHPError, match="exactly the experts"):
        aggregate_judgements({"x": E1, "y": E2}, weights={"x": 1})
