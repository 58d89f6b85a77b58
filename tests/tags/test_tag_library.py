"""The shipped tag library (configs/tags.yaml) on the committed sample: size, documentation, shares, no duplicates.

The sample (data/sample/) is evaluated at the demo's as_of, 2024-10-01. Its 15-minute load covers
ten large customers from August 2024 and all fifty only in December 2024, so the tags that read
interval-load features are judged at the extract's end
(as_of 2025-01-01) instead; every other tag is judged at 2024-10-01. Tags on other models' columns are
evaluated with the shipped credit and value scorers and, for the churn and arrears columns, the
generator's true probabilities graded by the risk models' own grading (gridcrm.risk.grades). Tags that
other capabilities append at the end of the list on their own columns (anomaly, service...) are not
evaluated here: their owners' tests give them their columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcrm.data import load_dataset
from gridcrm.features import FEATURES, build_features
from gridcrm.tags import load_tags
from gridcrm.tags.catalogue import catalogue_markdown, tag_catalogue

ROOT = Path(__file__).resolve().parents[2]
TAGS_YAML = ROOT / "configs" / "tags.yaml"
SAMPLE = ROOT / "data" / "sample"
AS_OF, EXTRACT_END = "2024-10-01", "2025-01-01"
#: A tag is "sensible" on the sample when it holds for at least this many customers and at most this share.
MIN_CUSTOMERS, MAX_SHARE = 3, 0.97
#: Two tags (or band levels) whose customer sets overlap this much (Jaccard) are near-duplicates.
MAX_JACCARD = 0.95
CATEGORIES = ["basic", "usage", "payment", "evaluation", "related"]
THEMES = {"demand_power_quality", "demand_efficient_handling", "demand_cash_flow", "demand_communication",
          "demand_energy_saving", "demand_value_added"}
INTERVAL = {name for name, spec in FEATURES.items() if spec.family == "load"}
#: The model columns the main job's tags step passes from credit, value and risk (job/builtin.py).
MODEL_COLUMNS = {"credit_score", "credit_grade", "value_score", "value_rank", "churn_probability",
                 "churn_risk_grade", "arrears_probability", "arrears_risk_grade"}


@pytest.fixture(scope="module")
def tags():
    return load_tags(TAGS_YAML)


def _models(features: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The model columns the tags step passes (credit, value, churn, arrears), for the tags on them."""
    from gridcrm.credit import CreditScorer, CustomerValueScorer
    from gridcrm.risk.grades import grade_cuts, risk_grades

    credit = CreditScorer().fit(features).transform(features)
    value = CustomerValueScorer().fit(features).transform(features)
    out = pd.DataFrame({"credit_score": credit["score"], "credit_grade": credit["grade"],
                        "value_score": value["value_score"], "value_rank": value["value_rank"]}, index=features.index)
    for kind, column in (("churn", "p_churn_90d"), ("arrears", "p_arrears_next")):
        p = truth[column].reindex(features.index).fillna(0.0).to_numpy()
        out[f"{kind}_probability"] = p
        out[f"{kind}_risk_grade"] = risk_grades(p, grade_cuts(p))
    return out


@pytest.fixture(scope="module")
def evaluated(tags):
    """Indicators (a column per flag tag and per band level) at the two dates."""
    ds = load_dataset(SAMPLE)
    truth = pd.read_parquet(SAMPLE / "truth.parquet")
    out = {}
    for as_of in (AS_OF, EXTRACT_END):
        features = build_features(ds, as_of)
        result = tags.evaluate(features, extra=_models(features, truth))
        assert set(result.skipped) == _other_columns(tags)
        out[as_of] = (features, result.indicators())
    return out


def _judged_at(tags, indicator: str) -> str:
    """The date a tag is judged at: the extract's end when it reads interval-load features."""
    return EXTRACT_END if tags[indicator.split("=")[0]].features & INTERVAL else AS_OF


def test_the_library_has_200_tags_in_the_five_categories(tags):
    assert len(tags) >= 200
    assert list(tags.categories) == CATEGORIES
    per = tags.catalog().groupby("category").size()
    assert (per.reindex(CATEGORIES) >= 25).all(), per


def test_every_tag_has_a_label_a_category_and_a_description(tags):
    for spec in tags:
        assert spec.category in CATEGORIES, spec.id
        assert spec.label.strip() and spec.label != spec.id, spec.id
        words = spec.description.split()
        assert len(words) >= 6 and spec.description.rstrip().endswith("."), (spec.id, spec.description)
    labels = [spec.label for spec in tags]
    assert len(set(labels)) == len(labels), "two tags share a label"


def test_every_tag_fires_for_a_sensible_share_of_the_sample(tags, evaluated):
    problems = []
    for as_of, (features, ind) in evaluated.items():
        counts = ind.sum()
        for indicator, count in counts.items():
            if _judged_at(tags, indicator) != as_of:
                continue
            if count < MIN_CUSTOMERS or count > MAX_SHARE * len(features):
                problems.append(f"{indicator}: {int(count)} of {len(features)} at {as_of}")
    assert not problems, "tags never or always true on the sample:\n" + "\n".join(problems)
    judged = {ind for ind in evaluated[AS_OF][1].columns}
    assert {i for i in judged if _judged_at(tags, i) == EXTRACT_END} >= {"interval_metered", "low_power_factor"}


def test_no_two_tags_are_near_duplicates(tags, evaluated):
    problems = []
    for as_of, (_, ind) in evaluated.items():
        if as_of == AS_OF:  # interval-load tags are judged at the extract's end only (10 metered customers before)
            ind = ind[[c for c in ind.columns if _judged_at(tags, c) == AS_OF]]
        x = ind.to_numpy(dtype=np.float64)
        inter = x.T @ x
        size = x.sum(axis=0)
        union = size[:, None] + size[None, :] - inter
        jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        np.fill_diagonal(jaccard, 0.0)
        for i, j in zip(*np.nonzero(np.triu(jaccard) >= MAX_JACCARD), strict=True):
            problems.append(f"{ind.columns[i]} ~ {ind.columns[j]}: Jaccard {jaccard[i, j]:.3f} at {as_of}")
    assert not problems, "\n".join(problems)


def test_six_demand_themes_each_the_union_of_its_demand_points(tags, evaluated):
    assert THEMES <= set(tags.tags)
    points = {t.id for t in tags if t.id.startswith("need_")}
    assert len(points) >= 24
    _, ind = evaluated[AS_OF]
    covered: set[str] = set()
    for theme in THEMES:
        parts = {r.tag for r in _refs(tags[theme].rule)}
        assert parts and parts <= points, (theme, parts - points)
        covered |= parts
        union = ind[sorted(parts)].any(axis=1)
        assert (ind[theme] == union).all(), theme
    assert covered == points  # every demand point belongs to a theme


def test_demand_tags_follow_the_behaviour_they_are_inferred_from(evaluated):
    features, ind = evaluated[AS_OF]
    outage_complaint = features["complaints_outage_365d"] >= 1
    assert outage_complaint.sum() > 0 and ind.loc[outage_complaint, "demand_power_quality"].all()
    big_arrears = features["arrears_amount"] >= 10_000
    assert big_arrears.sum() > 0 and ind.loc[big_arrears, "demand_cash_flow"].all()
    assert not ind.loc[features["customer_class"] == "residential", "need_account_manager"].any()
    # the cash-flow theme gathers worse payers than the rest
    on_time = features["on_time_rate_730d"]
    assert on_time[ind["demand_cash_flow"]].mean() < on_time[~ind["demand_cash_flow"]].mean() - 0.03


def test_catalogue_lists_every_tag_with_its_share(tags, evaluated, tmp_path):
    features, ind = evaluated[AS_OF]
    cat = tag_catalogue(tags, features)
    assert list(cat.index) == list(tags.tags) and (cat["customers"] == len(features)).all()
    assert cat.loc["residential", "share"] == pytest.approx(ind["residential"].mean())
    assert cat.loc["high_churn_risk", "share"] != cat.loc["high_churn_risk", "share"]  # no model column: NaN
    levels = cat.loc["consumption_level", "level_shares"]
    assert list(levels) == ["low", "medium", "high", "very high"]
    assert levels["low"] == pytest.approx(ind["consumption_level=low"].mean())
    text = catalogue_markdown(cat, note="On the sample.")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(tags) and "| `residential` | Basic attributes |" in text
    out = tmp_path / "tags.md"
    out.write_text(text, encoding="utf-8")
    assert out.read_text(encoding="utf-8").startswith("# Tag catalogue")


def _other_columns(tags) -> set[str]:
    """Tags on columns other than MODEL_COLUMNS, and the tags that refer to them."""
    from gridcrm.tags.rules import references

    out: set[str] = set()
    for _ in range(len(tags)):  # until no tag is added
        more = {t.id for t in tags if t.columns - MODEL_COLUMNS or references(t.rule) & out}
        if more <= out:
            return out
        out |= more
    return out


def _refs(rule):
    from gridcrm.tags.rules import TagRef, walk

    return [r for r in walk(rule) if isinstance(r, TagRef)]
