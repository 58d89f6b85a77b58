"""One way from a YAML file to a checked config (#14): every capability loader reads through
``gridcrm._yaml.read_config``, takes the same kinds of source and words file problems the same way."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

import gridcrm
from gridcrm.configs import shipped
from gridcrm.credit import CreditConfigError, load_hierarchy, load_scoring_config, load_value_config
from gridcrm.errors import ConfigError
from gridcrm.forecasting import load_forecast_config
from gridcrm.risk import RiskConfigError, load_risk_config
from gridcrm.segmentation import load_segmentation_config
from gridcrm.segmentation.errors import SegmentationConfigError
from gridcrm.tags import TagRuleError, load_tags

SRC = Path(gridcrm.__file__).resolve().parent


def _scoring_key(cfg: Any) -> tuple:
    return (cfg.name, cfg.title, cfg.weights.to_dict(), cfg.indicators, cfg.grades, cfg.top_share)


def _tags_key(tagset: Any) -> tuple:
    return (tagset.categories, tagset.tags, tagset._order)


def _without_source(cfg: Any) -> Any:
    return dataclasses.replace(cfg, source=None)


class Loader(NamedTuple):
    load: Callable[..., Any]
    shipped: str
    what: str  # how its messages name the file
    error: type[ConfigError]
    key: Callable[[Any], Any]  # what must be equal whatever the source (the source's name aside)


LOADERS = {
    "tags": Loader(load_tags, "tags.yaml", "tags file", TagRuleError, _tags_key),
    "credit": Loader(load_scoring_config, "credit_ahp.yaml", "scoring config", CreditConfigError, _scoring_key),
    "value": Loader(load_value_config, "value_ahp.yaml", "scoring config", CreditConfigError, _scoring_key),
    "segmentation": Loader(load_segmentation_config, "segmentation.yaml", "segmentation config",
                           SegmentationConfigError, _without_source),
    "forecast": Loader(load_forecast_config, "forecast.yaml", "forecast config", ConfigError, lambda cfg: cfg),
    "risk": Loader(load_risk_config, "risk.yaml", "risk config", RiskConfigError, _without_source),
}
params = pytest.mark.parametrize("loader", list(LOADERS.values()), ids=list(LOADERS))


@params
def test_path_mapping_loaded_object_and_none_give_the_same_config(loader: Loader) -> None:
    path = shipped(loader.shipped)
    from_path = loader.load(path)
    from_str = loader.load(str(path))
    from_mapping = loader.load(yaml.safe_load(path.read_text(encoding="utf-8")))
    from_none = loader.load()
    expected = loader.key(from_path)
    assert loader.key(from_str) == expected
    assert loader.key(from_mapping) == expected
    assert loader.key(from_none) == expected
    assert loader.load(from_path) is from_path  # a loaded config is returned unchanged
    assert loader.load(from_mapping) is from_mapping


@params
def test_a_missing_file_is_named_and_is_a_file_not_found_error(loader: Loader, tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(loader.error) as info:
        loader.load(missing)
    assert str(info.value) == f"{loader.what} {missing} does not exist"
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)
    shown = f"{type(info.value).__module__}.{type(info.value).__qualname__}"  # what a traceback prints
    assert shown == f"{loader.error.__module__}.{loader.error.__qualname__}"


@params
def test_invalid_yaml_is_named(loader: Loader, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: [unclosed\n", encoding="utf-8")
    with pytest.raises(loader.error) as info:
        loader.load(bad)
    assert str(info.value).startswith(f"{loader.what} {bad} is not valid YAML: ")
    assert "line 2" in str(info.value)  # the parser's own pointer is kept


@params
def test_a_file_that_is_not_a_mapping_is_named(loader: Loader, tmp_path: Path) -> None:
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(loader.error) as info:
        loader.load(listed)
    assert str(info.value) == f"{loader.what} {listed}: expected a mapping at the top level, got list"


@params
def test_a_source_of_another_kind_is_refused_by_name(loader: Loader) -> None:
    with pytest.raises(loader.error, match=rf"^{loader.what}: expected a mapping, a path to a YAML file or None, "
                                           "got list$"):
        loader.load([1, 2])


@params
def test_every_loader_takes_the_source_first_and_optional(loader: Loader) -> None:
    import inspect

    first = next(iter(inspect.signature(loader.load).parameters.values()))
    assert (first.name, first.default, first.kind) == ("source", None, first.POSITIONAL_OR_KEYWORD)


def test_load_hierarchy_reads_the_same_way(tmp_path: Path) -> None:
    raw = {"name": "goal", "judgements": [["a", "b", 3]], "children": [{"name": "a"}, {"name": "b"}]}
    f = tmp_path / "h.yaml"
    f.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert load_hierarchy(f).leaf_weights.to_dict() == load_hierarchy(raw).leaf_weights.to_dict() == {
        "a": 0.75, "b": 0.25}
    with pytest.raises(CreditConfigError, match=rf"^hierarchy file {tmp_path / 'nope.yaml'} does not exist$"):
        load_hierarchy(tmp_path / "nope.yaml")
    with pytest.raises(CreditConfigError, match="^h.yaml: no top-level key 'hierarchy'$"):
        load_hierarchy(f, key="hierarchy")


def test_not_valid_yaml_is_written_in_one_place() -> None:
    """The file-level messages live in gridcrm._yaml alone (the run config's loader reads through it too)."""
    holders = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if "not valid YAML" in p.read_text(encoding="utf-8"))
    assert holders == ["_yaml.py"]


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    from gridcrm._version import __version__

    assert gridcrm.__version__ == __version__ == version("gridcrm")
    importers = sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                       if "from gridcrm import __version__" in p.read_text(encoding="utf-8"))
    assert not [p for p in importers if p.startswith(("data", "tracking"))]
