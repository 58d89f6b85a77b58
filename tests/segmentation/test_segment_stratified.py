"""Stratified segmentation (#20): one segmentation per class, k by stability, labels unique, names prefixed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from gridcrm.segmentation import CustomerSegmenter, SegmentationInputError
from gridcrm.segmentation.selection import SEGMENT_JACCARD, choose_stable_k

FEATURES = ["kwh_mean_365d", "weekend_ratio_365d"]


def _customers(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Homes in 3 groups (by level and weekly rhythm), shops in 2, and 8 farms; shuffled; and the true group."""
    rng = np.random.default_rng(seed)
    groups = [  # class, n, log kWh/day, weekend ratio
        ("residential", 200, 1.0, 1.05), ("residential", 150, 2.6, 1.05), ("residential", 60, 1.2, 1.6),
        ("commercial", 70, 5.0, 0.4), ("commercial", 50, 5.2, 1.1), ("agricultural", 8, 3.0, 1.0),
    ]
    parts = []
    for g, (klass, n, level, weekend) in enumerate(groups):
        parts.append(pd.DataFrame({
            "customer_class": klass, "truth": g,
            "kwh_mean_365d": rng.lognormal(level, 0.15, n), "weekend_ratio_365d": rng.normal(weekend, 0.04, n),
        }))  # fmt: skip
    frame = pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame.index = pd.RangeIndex(1000, 1000 + len(frame), name="customer_id")
    frame["customer_class"] = frame["customer_class"].astype("category")
    return frame.drop(columns="truth"), frame["truth"].to_numpy()


def _segmenter(**kw) -> CustomerSegmenter:
    params = {"by": "customer_class", "features": FEATURES, "k_selection": "stability", "k_range": (2, 5),
              "stability_runs": 3, "scaling": "standard", "min_stratum_size": 20, "random_state": 0}
    return CustomerSegmenter(**(params | kw))


def test_each_class_is_segmented_on_its_own_and_finds_its_groups() -> None:
    X, truth = _customers()
    seg = _segmenter().fit(X)
    k_by_stratum = seg.strata_.groupby("stratum").size()
    # no group is merged with another (k-means may split a round group in two halves that both come back)
    assert k_by_stratum["residential"] >= 3 and k_by_stratum["commercial"] >= 2 and k_by_stratum["agricultural"] == 1
    assert seg.n_clusters_ == k_by_stratum.sum() and sorted(np.unique(seg.labels_)) == list(range(seg.n_clusters_))
    assert adjusted_rand_score(truth, seg.labels_) > 0.7
    # the k of each stratum is the largest that passes the rule, as its score table shows
    for stratum, scores in seg.k_scores_.groupby(level="stratum"):
        table = scores.droplevel("stratum")
        n = int((X["customer_class"] == stratum).sum())
        passing = ((table["stability"] >= 0.75) & (table["min_jaccard"] >= SEGMENT_JACCARD)
                   & (table["min_share"] >= max(0.03, 20 / n)))
        assert k_by_stratum[stratum] == table.index[passing.to_numpy()].max()
    # labels never mix classes, and they are in the input's row order
    for klass, segs in seg.strata_.groupby("stratum").groups.items():
        assert set(np.unique(seg.labels_[(X["customer_class"] == klass).to_numpy()])) == set(segs)
    assert isinstance(seg.labels_, np.ndarray) and len(seg.labels_) == len(X)
    np.testing.assert_array_equal(seg.predict(X), seg.labels_)


def test_small_stratum_is_one_segment_with_a_note() -> None:
    X, _ = _customers()
    seg = _segmenter().fit(X)
    assert seg.segmenters_["agricultural"] is None
    assert seg.notes_ == ["agricultural: 8 customers, fewer than min_stratum_size=20: one segment"]


def test_names_say_stratum_and_behaviour_and_shares_are_of_the_whole() -> None:
    X, _ = _customers()
    seg = _segmenter().fit(X)
    summary = seg.profile(X).summary
    segmented = summary["stratum"] != "agricultural"
    assert summary.loc[segmented, "name"].str.startswith(("residential · ", "commercial · ")).all()
    assert summary.loc[seg.strata_.index[seg.strata_["stratum"] == "agricultural"][0], "name"] == "agricultural"
    assert summary["share_customers"].sum() == pytest.approx(1.0)
    # the weekend homes (60 of 410 homes) are named so
    weekend = summary.loc[summary["stratum"] == "residential"].query("name.str.contains('weekend-heavy')")
    assert 40 <= weekend["n_customers"].sum() <= 80


def test_row_order_does_not_change_segments() -> None:
    X, _ = _customers()
    first = pd.Series(_segmenter().fit(X).labels_, index=X.index)
    shuffled = X.sample(frac=1.0, random_state=3)
    again = pd.Series(_segmenter().fit(shuffled).labels_, index=shuffled.index)
    assert adjusted_rand_score(first.sort_index(), again.sort_index()) > 0.99


def test_stratified_errors_name_what_is_wrong() -> None:
    X, _ = _customers()
    with pytest.raises(SegmentationInputError, match="no column.*'segment_class'"):
        _segmenter(by="segment_class").fit(X)
    with pytest.raises(SegmentationInputError, match="needs X as a DataFrame"):
        _segmenter().fit(X[FEATURES].to_numpy())
    seg = _segmenter().fit(X)
    other = X.assign(customer_class="industrial")
    with pytest.raises(SegmentationInputError, match="'industrial'.*not seen in fit"):
        seg.predict(other)


def test_stable_k_rule() -> None:
    scores = pd.DataFrame({"stability": [0.99, 0.95, 0.85, 0.7], "min_share": [0.4, 0.2, 0.02, 0.1]},
                          index=pd.Index([2, 3, 4, 5], name="k"))
    assert choose_stable_k(scores, 0.8, 0.03) == 3  # k=4 has a 2 % segment, k=5 is unstable
    assert choose_stable_k(scores, 0.8, 0.01) == 4
    assert choose_stable_k(scores, 0.999, 0.01) == 2  # none stable enough: the most stable
    # none stable enough and the most stable k has too small a segment: the most stable of those large enough
    assert choose_stable_k(scores.assign(stability=[0.5, 0.6, 0.7, 0.75], min_share=[0.4, 0.2, 0.02, 0.1]),
                           0.8, 0.03) == 5


def test_stable_k_needs_every_segment_to_come_back() -> None:
    scores = pd.DataFrame({"stability": [0.99, 0.95, 0.9], "min_share": [0.4, 0.2, 0.1],
                           "min_jaccard": [0.99, 0.9, 0.7]}, index=pd.Index([2, 3, 4], name="k"))
    assert choose_stable_k(scores) == 3  # k=4: one segment's bootstrap Jaccard is 0.7 < SEGMENT_JACCARD
    assert choose_stable_k(scores, min_jaccard=0.6) == 4
