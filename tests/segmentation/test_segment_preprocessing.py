"""SegmentationPreprocessor: log, robust scaling, imputation, missing indicators, clipping, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.segmentation import SegmentationInputError, SegmentationPreprocessor
from gridcrm.segmentation.preprocessing import STATS_ROWS


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame({
        "kwh_mean_365d": rng.lognormal(2, 1.5, n),           # registry amount: always logged
        "score": rng.normal(0, 1, n),                         # symmetric, may be negative: never logged
        "skewed": rng.exponential(1, n) ** 3,                 # not in the registry, skewed: logged
        "peak_share": np.where(np.arange(n) < 150, np.nan, rng.uniform(0.2, 0.4, n)),
        "load_factor": np.where(np.arange(n) < 150, np.nan, rng.uniform(0.3, 0.9, n)),
        "on_time_rate_365d": np.where(np.arange(n) == 3, np.nan, rng.uniform(0.5, 1, n)),
    })  # fmt: skip


def test_log_rule(frame: pd.DataFrame) -> None:
    pre = SegmentationPreprocessor().fit(frame)
    logged = dict(zip(pre.get_feature_names_out(), pre.log_columns_, strict=False))
    assert logged == {"kwh_mean_365d": True, "score": False, "skewed": True, "peak_share": False,
                      "load_factor": False, "on_time_rate_365d": False}  # fmt: skip


def test_robust_scaling_centres_on_the_median(frame: pd.DataFrame) -> None:
    pre = SegmentationPreprocessor(clip=None, missing_indicator=False).fit(frame)
    Z = pre.transform(frame)
    logged_kwh = np.log1p(frame["kwh_mean_365d"])
    q25, q50, q75 = np.percentile(logged_kwh, [25, 50, 75])
    np.testing.assert_allclose(Z[:, 0], (logged_kwh - q50) / (q75 - q25))
    assert np.median(Z[:, 1]) == pytest.approx(0, abs=1e-12)


def test_missing_indicators_grouped_by_pattern(frame: pd.DataFrame) -> None:
    pre = SegmentationPreprocessor().fit(frame)
    names = pre.get_feature_names_out().tolist()
    # peak_share and load_factor are missing together (no interval meter): one indicator; 1 of 200 is below 5 %.
    assert names[-1:] == ["peak_share_missing"] and len(names) == 7
    Z = pre.transform(frame)
    np.testing.assert_array_equal(Z[:, -1], (np.arange(200) < 150).astype(float))
    assert not np.isnan(Z).any()
    assert SegmentationPreprocessor(missing_indicator=True).fit(frame).get_feature_names_out()[-1] == (
        "on_time_rate_365d_missing"
    )
    assert len(SegmentationPreprocessor(missing_indicator=False).fit(frame).get_feature_names_out()) == 6


def test_imputed_value_is_the_median(frame: pd.DataFrame) -> None:
    pre = SegmentationPreprocessor(missing_indicator=False).fit(frame)
    row = frame.iloc[[3]]
    assert pre.transform(row)[0, 5] == pytest.approx(0.0)  # centred median


def test_clip_bounds_scaled_values(frame: pd.DataFrame) -> None:
    extreme = frame.copy()
    extreme.loc[0, "score"] = 1e6
    Z = SegmentationPreprocessor(clip=3.0).fit(frame).transform(extreme)
    assert Z[0, 1] == 3.0
    assert np.abs(Z[:, :6]).max() <= 3.0


def test_zero_iqr_falls_back_to_the_standard_deviation() -> None:
    complaints = np.r_[np.zeros(95), [1, 1, 2, 3, 5]]
    pre = SegmentationPreprocessor(log_transform=None, clip=None).fit(complaints.reshape(-1, 1))
    assert pre.scale_[0] == pytest.approx(complaints.std() * 1.349)


def test_explicit_log_columns(frame: pd.DataFrame) -> None:
    pre = SegmentationPreprocessor(log_transform=["skewed", 0]).fit(frame)
    assert pre.log_columns_.tolist() == [True, False, True, False, False, False]
    with pytest.raises(SegmentationInputError, match="'score' has negative values"):
        SegmentationPreprocessor(log_transform=["score"]).fit(frame)
    with pytest.raises(SegmentationInputError, match="no column 'nope'"):
        SegmentationPreprocessor(log_transform=["nope"]).fit(frame)


def test_negative_values_in_logged_columns_count_as_zero(frame: pd.DataFrame) -> None:
    pre = SegmentationPreprocessor(clip=None).fit(frame)
    low = frame.iloc[[0, 0]].copy()
    low.iloc[0, 0], low.iloc[1, 0] = -5.0, 0.0
    Z = pre.transform(low)
    assert Z[0, 0] == Z[1, 0]


def test_standard_and_no_scaling(frame: pd.DataFrame) -> None:
    Z = SegmentationPreprocessor(scaling="standard", clip=None, missing_indicator=False).fit_transform(frame)
    assert Z[:, 1].mean() == pytest.approx(0, abs=1e-12) and Z[:, 1].std() == pytest.approx(1)
    Z = SegmentationPreprocessor(scaling=None, log_transform=None, missing_indicator=False).fit_transform(frame)
    np.testing.assert_allclose(Z[:, 1], frame["score"])


def test_statistics_on_a_sample_of_large_inputs() -> None:
    rng = np.random.default_rng(0)
    n = STATS_ROWS + 50_000
    X = np.c_[rng.normal(10, 2, n), np.where(np.arange(n) < n - 3, 0.0, 1.0)]  # 3 non-zero values
    pre = SegmentationPreprocessor(log_transform=None, clip=None).fit(X)
    assert pre.center_[0] == pytest.approx(10, abs=0.05)
    assert pre.scale_[0] == pytest.approx(2 * 1.349, rel=0.02)
    assert pre.scale_[1] > 0  # rare values, probably absent from the sample: statistics from all rows


def test_bad_input() -> None:
    with pytest.raises(SegmentationInputError, match="n_samples=1"):
        SegmentationPreprocessor().fit([[1.0, 2.0]])
    with pytest.raises(SegmentationInputError, match=r"\['b'\] are missing \(NaN\) in every row"):
        SegmentationPreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": np.nan}))
    with pytest.raises(SegmentationInputError, match=r"non-numeric column\(s\) \['c \(str\)'\]"):
        SegmentationPreprocessor().fit(pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "y"]}))
    with pytest.raises(SegmentationInputError, match=r"infinity in column\(s\) \['x1'\]"):
        SegmentationPreprocessor().fit(np.array([[1.0, 2.0], [2.0, np.inf]]))


def test_nullable_and_boolean_columns_are_numbers() -> None:
    frame = pd.DataFrame({
        "complaints_365d": pd.array([0, 1, None, 4], dtype="Int64"),
        "blacklisted": [True, False, False, True],
        "tenure_years": [1.0, 2.0, 3.0, 4.0],
    })  # fmt: skip
    Z = SegmentationPreprocessor().fit_transform(frame)
    assert Z.shape == (4, 4) and not np.isnan(Z).any()
