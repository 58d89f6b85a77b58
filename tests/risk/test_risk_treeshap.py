"""Per-pattern TreeSHAP: the same values as LightGBM's pred_contrib, whatever the splits, chunks and threads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcrm.risk import RiskClassifier, _treeshap, contributions
from gridcrm.risk.explain import _describe_column, describe_value


def _edge_frame(n: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Missing values, exact zeros, negatives, a category with missing values and an integer column."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "nan_col": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "zeros": np.where(rng.random(n) < 0.3, 0.0, rng.normal(size=n)),
        "neg": -rng.gamma(2, 1, n),
        "count": rng.poisson(2, n),
        "cat": pd.Categorical(rng.choice(["a", "b", "c", "d", None], n)),
        "noise": rng.normal(size=n),
    })
    logit = (-1 + np.nan_to_num(X["nan_col"]) + 0.8 * (X["zeros"] == 0) + 0.3 * X["neg"] + 0.2 * X["count"]
             + (X["cat"] == "b") - 0.7 * X["cat"].isna())
    y = (rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy(dtype=float)))).astype(int)
    return X, y


def _lightgbm(model: RiskClassifier, X: pd.DataFrame) -> np.ndarray:
    return model.booster_.predict(model._prepared(X), num_iteration=model.best_iteration_, pred_contrib=True)


def _ours(model: RiskClassifier, X: pd.DataFrame, **kw) -> np.ndarray:
    return _treeshap.tree_contributions(model.booster_, model._prepared(X), model.best_iteration_, **kw)


@pytest.mark.parametrize("lgb_params", [
    None,                                    # missing values: missing_type NaN
    {"zero_as_missing": True},               # missing_type Zero: zeros and NaN take the default side
    {"use_missing": False},                  # missing_type None: NaN is read as 0
    {"max_cat_to_onehot": 8},                # one-vs-rest categorical splits
])
def test_same_values_as_lightgbm(lgb_params):
    X, y = _edge_frame()
    m = RiskClassifier(n_estimators=40, early_stopping=False, linear_base=False, min_child_samples=5,
                       lgb_params=lgb_params, n_jobs=1).fit(X, y)
    other, _ = _edge_frame(2000, seed=1)
    other.loc[other.index[:50], "cat"] = np.nan
    for rows in (X, other):
        ours, ref = _ours(m, rows, min_rows=1), _lightgbm(m, rows)
        assert ours.shape == ref.shape
        assert np.abs(ours - ref).max() < 1e-12
        assert np.allclose(ours.sum(axis=1), m.booster_.predict(m._prepared(rows), raw_score=True), atol=1e-12)


def test_unseen_categories_and_the_linear_base(monkeypatch):
    X, y = _edge_frame()
    m = RiskClassifier(n_estimators=30, early_stopping=False, n_jobs=1).fit(X, y)
    new = X.copy()
    new["cat"] = new["cat"].cat.add_categories(["zzz"])
    new.loc[new.index[:100], "cat"] = "zzz"
    monkeypatch.setattr(_treeshap, "MIN_ROWS", 1)  # the per-pattern path through the public function
    with pytest.warns(UserWarning, match="not seen during fit"):
        c = contributions(m, new)
    with pytest.warns(UserWarning, match="not seen during fit"):
        raw = m.decision_function(new)
    with pytest.warns(UserWarning, match="not seen during fit"):
        trees = _lightgbm(m, new)
    assert np.allclose(c.sum(axis=1), raw, atol=1e-10)
    with pytest.warns(UserWarning, match="not seen during fit"):
        linear, bias = m.linear_.contributions(m._prepared(new))
    assert np.abs(c.to_numpy() - trees - np.column_stack([linear, bias])).max() < 1e-12


def test_result_does_not_depend_on_threads_or_chunks(monkeypatch):
    X, y = _edge_frame(6000)
    m = RiskClassifier(n_estimators=30, early_stopping=False, linear_base=False, n_jobs=1).fit(X, y)
    one = _ours(m, X, n_jobs=1, min_rows=1000)
    two = _ours(m, X, n_jobs=2, min_rows=1000)
    monkeypatch.setattr(_treeshap, "MAX_CHUNK", 700)
    many = _ours(m, X, n_jobs=2, min_rows=100)
    assert np.array_equal(one, two) and np.array_equal(one, many)
    assert np.abs(one - _lightgbm(m, X)).max() < 1e-12


def test_large_trees_and_few_rows_fall_back_to_lightgbm():
    X, y = _edge_frame(4000)
    m = RiskClassifier(n_estimators=5, num_leaves=100, min_child_samples=2, early_stopping=False,
                       linear_base=False, n_jobs=1).fit(X, y)
    assert max(len(t) for t in _treeshap._parse(m.booster_, m.best_iteration_)) > 63
    assert np.abs(_ours(m, X, min_rows=1) - _lightgbm(m, X)).max() < 1e-12
    small = X.head(30)  # more patterns than half the rows: every row through LightGBM
    assert np.abs(_ours(m, small, min_rows=1) - _lightgbm(m, small)).max() < 1e-12


def test_describe_column_matches_describe_value():
    rng = np.random.default_rng(3)
    n = 400
    cols = {
        "share": (pd.Series(np.where(rng.random(n) < 0.1, np.nan, rng.random(n))), "share"),
        "count": (pd.Series(rng.poisson(3, n)), "count"),
        "money": (pd.Series(np.round(rng.gamma(1, 300, n), 1)), "CNY"),
        "months": (pd.Series(rng.integers(0, 30, n) / rng.choice([1, 2], n)), "month"),
        "plain": (pd.Series(np.r_[[-0.0, np.inf, -np.inf, 1e6], rng.normal(size=n - 4) * 500]), ""),
        "ratio": (pd.Series(rng.normal(size=n)), "ratio"),
        "flag": (pd.Series(rng.random(n) < 0.5), "flag"),
        "numflag": (pd.Series(rng.integers(0, 2, n).astype(float)), "flag"),
        "cat": (pd.Series(pd.Categorical(rng.choice(["x", "y", None], n))), "category"),
        "text": (pd.Series(rng.choice(["east", "west"], n)), ""),
        "nullable": (pd.Series(pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(-5, 500, n)),
                                        dtype="Int64")), "days"),
        "int_cat": (pd.Series(rng.integers(0, 4, n)), "category"),
    }
    for name, (s, unit) in cols.items():
        got = _describe_column(s, name, unit, "gone")
        want = [f"{name}: {describe_value(v, unit, 'gone')}" for v in s.astype(object)]
        assert list(got) == want, name
        assert all(type(t) is str for t in got)


def test_linear_contributions_by_source_column():
    X, y = _edge_frame()
    m = RiskClassifier(n_estimators=1, early_stopping=False, n_jobs=1).fit(X, y)
    data = m._prepared(X)
    lin, bias = m.linear_.contributions(data)
    Z = m.linear_.design_.transform(data)
    coef = m.linear_.model_.coef_.ravel()
    want = np.column_stack([Z[:, sl] @ coef[sl] for _, sl in m.linear_.design_.group_slices()])
    assert np.allclose(lin, want, atol=1e-12)
    assert np.allclose(lin.sum(axis=1) + bias, m.linear_.decision_function(data), atol=1e-10)
