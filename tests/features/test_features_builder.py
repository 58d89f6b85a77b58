"""build_features as a whole: registry contract, dtypes, leakage, the sklearn transformer, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from gridcrm.data import validate_tables
from gridcrm.data.synth import generate_dataset
from gridcrm.features import FEATURES, FeatureBuilder, build_features, feature_dtypes, feature_registry
from helpers import EXTRACTED_ON

AS_OF = pd.Timestamp("2024-06-15")


@pytest.fixture(scope="module")
def synth():
    # data runs to the end of 2024: long after AS_OF
    return generate_dataset(300, "2022-10-01", "2024-12-31", seed=11)


@pytest.fixture(scope="module")
def features(synth):
    return build_features(synth.dataset, AS_OF)


def test_columns_and_dtypes_follow_the_registry(features, tmp_path):
    assert list(features.columns) == list(FEATURES)
    assert features.index.name == "customer_id" and features.index.dtype == np.int64
    assert features.index.is_monotonic_increasing and features.index.is_unique
    dtypes = feature_dtypes()
    assert {c: str(t) for c, t in features.dtypes.items()} == dtypes
    for name, spec in FEATURES.items():
        if not spec.missing:
            assert features[name].notna().all(), f"{name} is documented as never missing"
    assert features.attrs["as_of"] == AS_OF.isoformat()
    roundtrip = tmp_path / "features.parquet"
    features.to_parquet(roundtrip)  # attrs must survive Parquet (JSON metadata)
    assert pd.read_parquet(roundtrip).attrs["as_of"] == AS_OF.isoformat()


def test_one_row_per_customer_active_at_as_of(synth, features):
    c = synth.dataset.customers
    active = c[(c["connected_on"] < AS_OF) & ~(c["closed_on"] < AS_OF)]["customer_id"]
    assert set(features.index) == set(active)


def test_no_leakage_from_data_after_as_of(synth, features):
    ds = synth.dataset
    assert ds.meter_daily["date"].max() > AS_OF + pd.Timedelta(days=180)
    pd.testing.assert_frame_equal(build_features(ds.truncate(AS_OF), AS_OF), features)
    # and with other windows, at a date inside a month
    other = pd.Timestamp("2023-11-07")
    pd.testing.assert_frame_equal(build_features(ds.truncate(other), other, windows=(7, 28)),
                                  build_features(ds, other, windows=(7, 28)))


def test_new_customers_get_nan_history_not_zero(synth, features):
    new = features.index[features["tenure_years"] < 30 / 365.25]
    assert len(new) > 0
    row = features.loc[new]
    assert row["kwh_yoy_growth"].isna().all() and row["kwh_trend_slope"].isna().all()
    assert row["seasonality_strength"].isna().all() and row["on_time_rate_365d"].isna().all()


def test_windows_name_the_level_features(synth):
    f = build_features(synth.dataset, AS_OF, windows=(7, 28))
    assert list(f.columns) == list(feature_registry((7, 28)))
    assert "kwh_mean_7d" in f and "kwh_mean_30d" not in f


def test_as_of_defaults_to_the_extraction_date(raw_tables):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    pd.testing.assert_frame_equal(build_features(ds), build_features(ds, EXTRACTED_ON))


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"as_of": "soon"}, ValueError, "as_of must be a date such as '2024-01-01', got 'soon'"),
    ({"windows": (30, 30)}, ValueError, "windows must be distinct"),
    ({"windows": (0,)}, ValueError, "windows must be positive whole numbers"),
    ({"windows": 30}, ValueError, "windows must be a sequence"),
])
def test_bad_arguments_are_named(raw_tables, kwargs, error, match):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    with pytest.raises(error, match=match):
        build_features(ds, **kwargs)


def test_dataset_must_be_a_dataset(raw_tables):
    with pytest.raises(TypeError, match="dataset must be a gridcrm Dataset, got dict"):
        build_features(raw_tables, EXTRACTED_ON)


def test_feature_builder_is_a_transformer(synth, features):
    fb = FeatureBuilder(as_of=AS_OF, features=["kwh_mean_30d", "region", "on_time_rate_365d"])
    assert fb.get_params() == {"as_of": AS_OF, "windows": (30, 90, 365),
                               "features": ["kwh_mean_30d", "region", "on_time_rate_365d"]}
    assert clone(fb).get_params() == fb.get_params()
    out = fb.fit_transform(synth.dataset)
    pd.testing.assert_frame_equal(out, features[["kwh_mean_30d", "region", "on_time_rate_365d"]])
    assert list(fb.get_feature_names_out()) == ["kwh_mean_30d", "region", "on_time_rate_365d"]
    # at a later date: the same columns and categories as at fit
    later = fb.set_params(as_of="2024-10-01").transform(synth.dataset)
    assert later["region"].cat.categories.equals(out["region"].cat.categories)


def test_feature_builder_checks_params_at_fit(synth):
    fb = FeatureBuilder(features=["kwh_mean_31d"])  # __init__ stores, fit checks
    with pytest.raises(ValueError, match=r"features \['kwh_mean_31d'\] are not in the feature registry"):
        fb.fit(synth.dataset)
    with pytest.raises(ValueError, match=r"FeatureBuilder: as_of='later' is not allowed; expected a date such as"):
        FeatureBuilder(as_of="later").fit(synth.dataset)
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        FeatureBuilder().transform(synth.dataset)


def test_as_of_as_a_number_is_refused_not_read_as_1970(raw_tables):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    with pytest.raises(ValueError, match=r"as_of must be a date .* got the number 20240201: write it as a date \('2024-02-01'\)"):
        build_features(ds, 20240201)


def test_as_of_after_the_extraction_date_is_refused(raw_tables):
    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    day_after = pd.Timestamp(EXTRACTED_ON) + pd.Timedelta(days=1)
    assert len(build_features(ds, day_after)) > 0  # rows dated before as_of: the day after the extract is fine
    with pytest.raises(ValueError, match=rf"as_of {(day_after + pd.Timedelta(days=1)).date()} is after the extract "
                                         rf"was taken \({pd.Timestamp(EXTRACTED_ON).date()}\)"):
        build_features(ds, day_after + pd.Timedelta(days=1))


def test_as_of_before_every_customer_is_refused(raw_tables):
    from gridcrm.errors import GridcrmError

    ds = validate_tables(raw_tables, extracted_on=EXTRACTED_ON)
    first = ds.customers["connected_on"].min()
    with pytest.raises(GridcrmError, match=rf"as_of 2001-01-01 is before the data: no customer is active then "
                                           rf"\(the first was connected on {first.date()}"):
        build_features(ds, "2001-01-01")
