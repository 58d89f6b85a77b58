"""The installed gridcrm's version, read from the package metadata (``pyproject.toml``'s ``version``).

One source of truth: the version is written once, in ``pyproject.toml``, and read here from
the installed distribution's metadata. A source tree that is not installed (``PYTHONPATH=src``)
reports ``0+unknown``. Modules that record the version (``data/io.py``, ``gridcrm.tracking``)
import it from here, not from the package root.

Examples
--------
>>> from gridcrm._version import __version__
>>> import gridcrm
>>> gridcrm.__version__ == __version__ and __version__.count(".") >= 1
True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__: str = version("gridcrm")
except PackageNotFoundError:  # a source tree on sys.path, not installed
    __version__ = "0+unknown"
