"""The shipped configuration files, installed as the package data ``gridcrm.configs``.

This folder is both the project's ``configs/`` (read and edit the YAML files here) and, through
``package-dir`` in ``pyproject.toml``, the subpackage ``gridcrm.configs`` of an installed gridcrm:
one copy of each file, found from any working directory. The loaders use these files when they
are given no path (``load_tags()``, ``CreditScorer()``, ``CustomerValueScorer()``,
``load_scoring_config()``, ``load_segmentation_config()``, ``load_forecast_config()``;
``load_risk_config()`` has the same values built in).

Examples
--------
>>> from gridcrm.configs import NAMES, shipped
>>> len(NAMES), NAMES[:3]
(11, ('credit_ahp.yaml', 'demo.yaml', 'forecast.yaml'))
>>> shipped("tags.yaml").is_file()
True
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["NAMES", "shipped"]

#: The configuration files shipped with gridcrm.
NAMES = ("credit_ahp.yaml", "demo.yaml", "forecast.yaml", "risk.yaml", "segmentation.yaml", "tags.yaml",
         "value_ahp.yaml", "products.yaml", "payment_plans.yaml", "anomaly.yaml",
         "service.yaml")


def shipped(name: str) -> Path:
    """Path of a shipped configuration file, wherever gridcrm is installed.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`, e.g. ``"tags.yaml"``.

    Returns
    -------
    pathlib.Path
        The file inside the installed package (the project's ``configs/`` in an editable install).

    Raises
    ------
    FileNotFoundError
        ``name`` is not a shipped configuration, or the installation lacks it.

    Examples
    --------
    >>> shipped("risk.yaml").name
    'risk.yaml'
    >>> shipped("risk.yml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: 'risk.yml' is not a shipped gridcrm config; expected one of credit_ahp.yaml, demo.yaml, ...
    """
    if name not in NAMES:
        raise FileNotFoundError(f"{name!r} is not a shipped gridcrm config; expected one of {', '.join(NAMES)}")
    path = Path(str(files("gridcrm.configs").joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(
            f"the shipped config {name} is missing from {path.parent}: reinstall gridcrm (pip install gridcrm, or "
            "make venv in a checkout)"
        )
    return path
