"""A new step joins the main job with one registration: no edit of the job module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from gridcrm.config import load_config
from gridcrm.data.synth import generate_dataset
from gridcrm.errors import ConfigError
from gridcrm.job import RunResult, StepContext, StepResult, run, step, temporary_registry
from gridcrm.job.results import FeaturesResult


@dataclass(frozen=True)
class BusyResult(StepResult):
    """The toy step's typed result."""

    busiest: pd.Series
    threshold: float


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    return generate_dataset(200, "2023-01-01", "2024-06-30", seed=1).dataset.save(folder)


def _write(tmp_path: Path, extract: Path, sections: str) -> Path:
    configs = tmp_path / "configs"
    configs.mkdir(exist_ok=True)
    (configs / "busy.yaml").write_text("quantile: 0.9\n")
    cfg = configs / "run.yaml"
    cfg.write_text(f"name: toy\ndata:\n  path: {extract}\noutput:\n  dir: {tmp_path / 'out'}\n{sections}")
    return cfg


def _toy_steps(seen: list[Path], needs: tuple[str, ...] = ("features",)) -> None:
    """One registration: a step that flags the customers using the most power."""
    import yaml

    def check(path: Path, registry: dict) -> None:
        seen.append(path)
        if "quantile" not in (yaml.safe_load(path.read_text()) or {}):
            raise ConfigError("quantile: required key missing")

    @step("busy", needs=needs, result=BusyResult, writes=("busy.csv",), check=check)
    def busy(ctx: StepContext) -> BusyResult:
        features = ctx.need("features").features
        q = float(yaml.safe_load(ctx.section.config.read_text())["quantile"])
        threshold = float(features["kwh_mean_90d"].quantile(q))
        busiest = features.index[features["kwh_mean_90d"] > threshold].to_series(name="customer_id")
        ctx.write("busy", busiest.to_frame(), "busy.csv", index=False)
        ctx.note(f"busy: {len(busiest)} customers above {threshold:.1f} kWh a day")
        return BusyResult(busiest=busiest, threshold=threshold)


def test_a_registered_step_runs_with_its_section_and_its_result_is_typed(tmp_path, extract):
    seen: list[Path] = []
    with temporary_registry():
        _toy_steps(seen)
        cfg = load_config(_write(tmp_path, extract, "busy:\n  config: configs/busy.yaml\n"))
        assert seen == [tmp_path / "configs" / "busy.yaml"]  # its file checked at load, before any work
        result = run(cfg)
    assert isinstance(result, RunResult)
    assert list(result.results) == ["features", "busy"]  # after what it needs
    assert isinstance(result.results["features"], FeaturesResult)
    busy = result.results["busy"]
    assert isinstance(busy, BusyResult)
    features = result.results["features"].features
    assert set(busy.busiest) == set(features.index[features["kwh_mean_90d"] > busy.threshold]) != set()
    written = pd.read_csv(result.files["busy"])
    assert result.files["busy"] == result.output_dir / "busy.csv"
    assert sorted(written["customer_id"]) == sorted(busy.busiest)
    note = f"busy: {len(busy.busiest)} customers above {busy.threshold:.1f} kWh a day"
    assert note in result.notes and f"- {note}" in (result.output_dir / "report.md").read_text()


def test_a_registered_step_is_forgotten_after_the_temporary_registry(tmp_path, extract):
    with temporary_registry():
        _toy_steps([])
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['busy'\]"):
        load_config(_write(tmp_path, extract, "busy:\n  config: configs/busy.yaml\n"))


def test_a_broken_config_of_a_registered_step_is_refused_at_load(tmp_path, extract):
    with temporary_registry():
        _toy_steps([])
        path = _write(tmp_path, extract, "busy:\n  config: configs/busy.yaml\n")
        (tmp_path / "configs" / "busy.yaml").write_text("quantle: 0.9\n")
        with pytest.raises(ConfigError, match=r"busy\.config .*quantile: required key missing"):
            load_config(path)
    assert not (tmp_path / "out").exists()


def test_a_step_needing_a_disabled_step_is_refused_at_load(tmp_path, extract):
    root = Path(__file__).resolve().parents[2]
    with temporary_registry():
        _toy_steps([], needs=("features", "segmentation"))
        sections = (f"busy:\n  config: configs/busy.yaml\n"
                    f"segmentation:\n  config: {root / 'configs/segmentation.yaml'}\n  enabled: false\n")
        with pytest.raises(ConfigError) as caught:
            load_config(_write(tmp_path, extract, sections))
    message = str(caught.value)
    assert "\n" not in message
    assert "busy needs the segmentation step's results" in message and "disable busy" in message


def test_a_step_returning_the_wrong_type_is_refused(tmp_path, extract):
    from gridcrm.errors import GridcrmError

    with temporary_registry():
        @step("wrong", result=BusyResult)
        def wrong(ctx: StepContext) -> StepResult:
            return StepResult()

        (tmp_path / "configs").mkdir()
        (tmp_path / "configs" / "wrong.yaml").write_text("{}\n")
        cfg = load_config(_write(tmp_path, extract, "wrong:\n  config: configs/wrong.yaml\n"))
        with pytest.raises(GridcrmError, match="step wrong returned StepResult, expected BusyResult"):
            run(cfg)


def test_a_step_that_does_not_write_what_it_declares_is_refused(tmp_path, extract):
    from gridcrm.errors import GridcrmError

    with temporary_registry():
        @step("lazy", result=StepResult, writes=("lazy.csv",))
        def lazy(ctx: StepContext) -> StepResult:
            return StepResult()

        (tmp_path / "configs").mkdir()
        (tmp_path / "configs" / "lazy.yaml").write_text("{}\n")
        cfg = load_config(_write(tmp_path, extract, "lazy:\n  config: configs/lazy.yaml\n"))
        with pytest.raises(GridcrmError, match=r"step lazy did not write \['lazy.csv'\]"):
            run(cfg)


def test_the_built_in_steps_run_in_the_demo_order():
    from gridcrm.job.steps import ordered

    names = [s.name for s in ordered(lambda name: True)]
    assert names[:6] == ["features", "segmentation", "credit", "value", "forecasting", "risk"]
    # a step whose per-customer columns tag rules read runs before tags (declared by the step: before=("tags",))
    assert names.index("service") < names.index("tags") < names.index("recommend")


@dataclass(frozen=True)
class LoudResult(StepResult):
    """A toy step whose per-customer column tag rules read."""

    loud: pd.Series

    def customer_columns(self) -> pd.DataFrame:
        return self.loud.to_frame()


def test_a_step_feeds_tags_its_columns_by_declaring_before_tags(tmp_path, extract):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "tags.yaml").write_text(
        "version: 1\ncategories:\n  evaluation: Customer evaluation\n"
        "tags:\n  - id: loud_customer\n    label: Loud\n    category: evaluation\n    description: toy\n"
        "    rule: {column: loud, op: '==', value: 1}\n")
    with temporary_registry():
        @step("loud", result=LoudResult, before=("tags",))
        def loud(ctx: StepContext) -> LoudResult:
            ids = ctx.need("features").features.index
            return LoudResult(loud=pd.Series((ids % 3 == 0).astype(int), index=ids, name="loud"))

        # registered after tags, listed after tags in the YAML: still runs first, and tags read its column
        cfg = load_config(_write(tmp_path, extract, "tags:\n  config: configs/tags.yaml\n"
                                                    "loud:\n  config: configs/busy.yaml\n"))
        result = run(cfg)
    assert list(result.results) == ["features", "loud", "tags"]
    wide = result.results["tags"].tags.wide
    ids = result.results["features"].features.index
    assert wide["loud_customer"].to_numpy().tolist() == (ids % 3 == 0).tolist()
