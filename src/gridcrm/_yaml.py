"""The one way from a YAML file to a mapping, shared by every capability's config loader.

Each capability loader (``load_tags``, ``load_scoring_config``, ``load_value_config``,
``load_segmentation_config``, ``load_forecast_config``, ``load_risk_config``, and
``load_hierarchy``) takes ``source=None``: a path, a mapping with the same content, an
already loaded config object (returned unchanged by the loader itself), or None for the
shipped file (:func:`gridcrm.configs.shipped`). :func:`read_config` turns the first three
into a mapping, with one message shape for the file-level problems, each naming the file:

* ``<what> <file> does not exist`` (the loader's error class, also a :class:`FileNotFoundError`);
* ``<what> <file> is not valid YAML: <parser message>``;
* ``<what> <file>: expected a mapping at the top level, got <type>``.

The keys inside are checked by each loader, whose messages name the file and the key path.

Examples
--------
>>> from gridcrm._yaml import read_config
>>> from gridcrm.errors import ConfigError
>>> raw, path = read_config(None, what="risk config", error=ConfigError, shipped="risk.yaml")
>>> path.name, "classifier" in raw
('risk.yaml', True)
>>> read_config({"a": 1}, what="risk config", error=ConfigError, shipped=None)
({'a': 1}, None)
>>> read_config("nope.yaml", what="risk config", error=ConfigError, shipped=None)
Traceback (most recent call last):
...
gridcrm.errors.ConfigError: risk config nope.yaml does not exist
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from gridcrm.errors import ConfigError

__all__ = ["read_config"]


@functools.cache
def _not_found(error: type[ConfigError]) -> type[ConfigError]:
    """``error`` that is also a :class:`FileNotFoundError` (a missing file is both), same name in tracebacks."""
    return type(error.__name__, (error, FileNotFoundError),
                {"__module__": error.__module__, "__qualname__": error.__qualname__, "__doc__": error.__doc__})


def read_config(
    source: str | Path | Mapping[str, Any] | None,
    *,
    what: str,
    error: type[ConfigError] | Callable[[str], ConfigError],
    shipped: str | None,
) -> tuple[Mapping[str, Any], Path | None]:
    """Read a config source into its top-level mapping.

    Parameters
    ----------
    source : str, Path, mapping or None
        A YAML file, its already-parsed content (returned as is), or None for the shipped file.
    what : str
        What the file is, for messages, e.g. ``"risk config"``.
    error : ConfigError subclass
        Raised with the message (one argument). A missing file raises a subclass of it that
        is also a :class:`FileNotFoundError`.
    shipped : str or None
        Name of the shipped file (one of :data:`gridcrm.configs.NAMES`) read when ``source``
        is None; None makes ``source`` required.

    Returns
    -------
    raw : mapping
        The content; an empty file gives ``{}``.
    path : Path or None
        The file read, or None for a mapping.

    Raises
    ------
    ConfigError
        Of the class ``error``: the file does not exist, is not valid YAML, its top level is not
        a mapping, or ``source`` is neither a path, a mapping nor None; the message names the file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = f.write_text("- 1\\n- 2\\n")
    >>> read_config(f, what="forecast config", error=ConfigError, shipped=None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gridcrm.errors.ConfigError: forecast config .../x.yaml: expected a mapping at the top level, got list
    """
    if source is None:
        if shipped is None:
            raise error(f"{what}: expected a path or a mapping, got None")
        from gridcrm.configs import shipped as shipped_path

        source = shipped_path(shipped)
    if isinstance(source, Mapping):
        return source, None
    if not isinstance(source, (str, Path)):
        raise error(f"{what}: expected a mapping, a path to a YAML file or None, got {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        cls = _not_found(error) if isinstance(error, type) else error
        raise cls(f"{what} {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(f"{what} {path} is not valid YAML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{what} {path} cannot be read: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise error(f"{what} {path}: expected a mapping at the top level, got {type(raw).__name__}")
    return raw, path
