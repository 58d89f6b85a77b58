"""Deprecated name of :mod:`gridcrm.risk` (churn and arrears risk), kept so that old imports work.

``import gridcrm.models`` (and ``gridcrm.models.labels``, ``gridcrm.models.classifier``, ...) gives
the same objects as :mod:`gridcrm.risk` with a :class:`DeprecationWarning`; models pickled by an
earlier gridcrm (classes under ``gridcrm.models.*``) still load.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     from gridcrm.models import ArrearsLabel
>>> import gridcrm.risk
>>> ArrearsLabel is gridcrm.risk.ArrearsLabel
True
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings

import gridcrm.risk as _risk

warnings.warn("gridcrm.models is now gridcrm.risk; import from gridcrm.risk (gridcrm.models will be removed)",
              DeprecationWarning, stacklevel=2)

# every submodule of gridcrm.risk answers under its old name too (imports and unpickling)
for _info in pkgutil.iter_modules(_risk.__path__):
    sys.modules[f"{__name__}.{_info.name}"] = importlib.import_module(f"gridcrm.risk.{_info.name}")

from gridcrm.risk import *  # noqa: E402,F403
from gridcrm.risk import __all__  # noqa: E402,F401
