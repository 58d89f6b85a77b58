"""``gridcrm.models`` is the deprecated name of ``gridcrm.risk``: old imports and old pickles still work."""

from __future__ import annotations

import pickle
import subprocess
import sys

import gridcrm.risk
from gridcrm.risk import ArrearsLabel


def test_old_import_path_warns_and_gives_the_same_objects():
    code = ("import warnings, sys; warnings.simplefilter('error', DeprecationWarning)\n"
            "try:\n    import gridcrm.models\nexcept DeprecationWarning as w:\n    print(w)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "gridcrm.models is now gridcrm.risk" in out
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from gridcrm.models.classifier import RiskClassifier
        from gridcrm.models.labels import ArrearsLabel as OldArrearsLabel
    assert OldArrearsLabel is ArrearsLabel and RiskClassifier is gridcrm.risk.RiskClassifier


def test_a_model_pickled_under_the_old_name_loads():
    old = pickle.dumps(ArrearsLabel(late_days=30), protocol=0).replace(b"gridcrm.risk.labels", b"gridcrm.models.labels")
    assert b"gridcrm.models.labels" in old
    code = ("import pickle, sys, warnings; warnings.simplefilter('ignore', DeprecationWarning); "
            "label = pickle.loads(sys.stdin.buffer.read()); print(type(label).__module__, label.late_days)")
    out = subprocess.run([sys.executable, "-c", code], input=old, capture_output=True, check=True).stdout.decode()
    assert out.split() == ["gridcrm.risk.labels", "30"]
