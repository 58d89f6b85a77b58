"""Imports point down the layers (ARCHITECTURE): read from the source, not from what happens to be imported.

Every ``import`` of every module under ``src/gridcrm`` is found with :mod:`ast`, inside
functions too (gridcrm imports lazily); imports under ``if TYPE_CHECKING:`` are left out
(they never run). ``from gridcrm import name`` counts as an import of the module that
defines ``name`` (the package root re-exports lazily, see ``gridcrm._EXPORTS``).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from pathlib import Path

import pytest

import gridcrm

SRC = Path(gridcrm.__file__).resolve().parent

#: Layer of each top-level part of the package, from the bottom. A part not listed sits at the top
#: (the job): it may import anything, and nothing below may import it.
LAYERS: dict[str, int] = {
    # the base: the exception family, shared helpers, the shipped configs, the package root's own names
    "gridcrm": 0, "errors": 0, "_paths": 0, "_params": 0, "_version": 0, "_yaml": 0, "configs": 0, "py": 0,
    "data": 1,
    "features": 2,
    "tags": 3,
    # the capabilities: they never import each other
    "segmentation": 4, "forecasting": 4, "credit": 4, "models": 4, "risk": 4,
    "anomaly": 4, "service": 4, "recommend": 4,
    "tracking": 5, "spark": 5,
    # the job on top: its step registry, typed step results, run/score/report (gridcrm.job), the run
    # configuration, the CLI and the old import path of the job (gridcrm.pipeline, a re-export)
    "job": 6, "config": 6, "cli": 6, "pipeline": 6, "__main__": 6,
}
TOP = 6
CAPABILITY = 4
#: Names of one capability (``gridcrm.models`` is the deprecated name of ``gridcrm.risk``): they may import each other.
SAME_CAPABILITY = [{"models", "risk"}]


def _part(module: str) -> str:
    """``gridcrm.tracking.job`` → ``tracking``; ``gridcrm`` → ``gridcrm``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _layer(part: str) -> int:
    return LAYERS.get(part, TOP)


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(text: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import of ``module``'s source that runs, relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base == "gridcrm":  # the root re-exports lazily: the real source of each name
                found.extend((node.lineno, gridcrm._EXPORTS.get(alias.name, "gridcrm")) for alias in node.names)
            else:
                found.append((node.lineno, base))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(text))
    return found


MODULES = sorted(SRC.rglob("*.py"))


@functools.cache
def _all_imports() -> list[tuple[Path, str, int, str]]:
    """(file, module, line, imported module) for the whole package, parsed once."""
    return [(path, here, line, target) for path in MODULES
            for here in [_module_name(path)]
            for line, target in _imports(path.read_text(), here, path.name == "__init__.py")]


def _violations(allowed: Callable[[str, str], bool]) -> list[str]:
    return [f"{path.relative_to(SRC.parent)}:{line} imports {target}"
            for path, here, line, target in _all_imports() if not allowed(here, target)]


def test_the_scan_sees_lazy_and_relative_imports_and_skips_type_checking():
    text = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mlflow\n"
            "def f():\n    from gridcrm import load_config, __version__\n    from . import io\n    import mlflow.pyfunc\n")
    got = [target for _, target in _imports(text, "gridcrm.data.probe")]
    assert got == ["typing", "gridcrm.config", "gridcrm", "gridcrm.data", "mlflow.pyfunc"]
    assert len(MODULES) > 50 and SRC / "tracking" / "job.py" in MODULES


def test_only_gridcrm_tracking_imports_mlflow():
    """Modelling works without a tracking store: ``grep -rn "import mlflow\\|from mlflow" src/gridcrm``."""
    bad = _violations(lambda here, target: target.split(".")[0] != "mlflow" or _part(here) == "tracking")
    assert not bad, "mlflow imported outside gridcrm.tracking:\n" + "\n".join(bad)


def test_data_imports_nothing_above_it():
    bad = _violations(lambda here, target: _part(here) != "data" or not target.startswith("gridcrm")
                      or _layer(_part(target)) <= LAYERS["data"])
    assert not bad, "gridcrm.data imports a layer above it:\n" + "\n".join(bad)


def _same_capability(a: str, b: str) -> bool:
    return a == b or any({a, b} <= group for group in SAME_CAPABILITY)


def test_capabilities_never_import_each_other():
    """They meet in the job (segments reach the forecaster as a column), never in each other's code."""
    bad = _violations(lambda here, target: not target.startswith("gridcrm") or _layer(_part(here)) != CAPABILITY
                      or _layer(_part(target)) != CAPABILITY or _same_capability(_part(here), _part(target)))
    assert not bad, "a capability imports another one:\n" + "\n".join(bad)


@pytest.mark.parametrize("part", sorted({_part(_module_name(p)) for p in MODULES} - {"gridcrm"}))
def test_imports_point_down(part):
    """No module imports a layer above its own (the job's modules — config, pipeline, cli — sit on top)."""
    def allowed(here: str, target: str) -> bool:
        if _part(here) != part or not target.startswith("gridcrm"):
            return True
        return _layer(_part(target)) <= _layer(part) or _same_capability(part, _part(target))

    bad = _violations(allowed)
    assert not bad, f"gridcrm.{part} imports a layer above it:\n" + "\n".join(bad)
