"""gridcrm: customer analytics for electricity utilities.

The names a notebook starts from are re-exported here, one screen of them (``__all__``:
errors, data, the main job, features and tags, then one short group per capability); the rest
lives in each capability's subpackage (``gridcrm.data``, ``gridcrm.features``, ``gridcrm.tags``,
``gridcrm.risk``, ...). Names the root re-exported before still resolve, with a
DeprecationWarning naming their subpackage. MLflow is only imported by ``gridcrm.tracking``, and
only when used; matplotlib only when a plot is drawn. The names are imported
lazily, on first use: ``import gridcrm`` (and ``gridcrm --help``) costs no
scikit-learn, LightGBM or pandas import until a name is used.

Examples
--------
>>> import gridcrm
>>> synth = gridcrm.generate_dataset(n_customers=60, start="2024-01-01", end="2024-06-30", seed=1)
>>> features = gridcrm.build_features(synth.dataset, as_of="2024-06-01")
>>> features.index.name, "kwh_mean_30d" in features.columns
('customer_id', True)
"""

import importlib
import logging
from typing import TYPE_CHECKING, Any

from gridcrm._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

#: The public API, one screen: name -> module that defines it (imported on first access, PEP 562).
_EXPORTS: dict[str, str] = {
    # errors
    "GridcrmError": "gridcrm.errors",
    "ConfigError": "gridcrm.errors",
    "InputError": "gridcrm.errors",
    "DataValidationError": "gridcrm.data",
    "TrackingError": "gridcrm.errors",
    # data
    "Dataset": "gridcrm.data",
    "load_dataset": "gridcrm.data",
    "save_dataset": "gridcrm.data",
    "generate_dataset": "gridcrm.data.synth",
    # the main job
    "load_config": "gridcrm.config",
    "run": "gridcrm.job",
    "score": "gridcrm.job",
    "Engine": "gridcrm.job",
    "PandasEngine": "gridcrm.job",
    # features, tags, portraits
    "build_features": "gridcrm.features",
    "feature_registry": "gridcrm.features",
    "load_tags": "gridcrm.tags",
    "Portraits": "gridcrm.tags",
    # segmentation
    "CustomerSegmenter": "gridcrm.segmentation",
    "LoadShapeClusterer": "gridcrm.segmentation",
    # forecasting
    "ConsumptionForecaster": "gridcrm.forecasting",
    "backtest": "gridcrm.forecasting",
    "reconcile": "gridcrm.forecasting",
    # credit and value
    "CreditScorer": "gridcrm.credit",
    "CustomerValueScorer": "gridcrm.credit",
    "ahp_weights": "gridcrm.credit",
    # churn and arrears risk
    "ChurnModel": "gridcrm.risk",
    "ArrearsModel": "gridcrm.risk",
    "RiskClassifier": "gridcrm.risk",
    "risk_list": "gridcrm.risk",
    # theft, faults and abnormal consumption
    "AnomalyDetector": "gridcrm.anomaly",
    "inspection_list": "gridcrm.anomaly",
    # service quality
    "ComplaintClassifier": "gridcrm.service",
    "SensitiveScreen": "gridcrm.service",
    # differentiated service
    "ProductRecommender": "gridcrm.recommend",
}

#: Names the package root used to re-export, now read from their subpackage (still served, with a
#: DeprecationWarning that names the new import).
_MOVED: dict[str, str] = {
    "RunConfig": "gridcrm.config",
    "AHPHierarchy": "gridcrm.credit",
    "InconsistencyWarning": "gridcrm.credit",
    "PairwiseMatrix": "gridcrm.credit",
    "aggregate_judgements": "gridcrm.credit",
    "load_scoring_config": "gridcrm.credit",
    "SchemaError": "gridcrm.data",
    "ValidationReport": "gridcrm.data",
    "validate_tables": "gridcrm.data",
    "SyntheticData": "gridcrm.data.synth",
    "FEATURES": "gridcrm.features",
    "FeatureBuilder": "gridcrm.features",
    "registry_frame": "gridcrm.features",
    "daily_frame": "gridcrm.forecasting",
    "interval_frame": "gridcrm.forecasting",
    "ArrearsLabel": "gridcrm.risk",
    "ChurnLabel": "gridcrm.risk",
    "build_training_set": "gridcrm.risk",
    "evaluate": "gridcrm.risk",
    "load_risk_config": "gridcrm.risk",
    "snapshot_dates": "gridcrm.risk",
    "time_split": "gridcrm.risk",
    "top_reasons": "gridcrm.risk",
    "train_risk_model": "gridcrm.risk",
    "tune": "gridcrm.risk",
    "SegmentationInputError": "gridcrm.segmentation",
    "daily_load_profiles": "gridcrm.segmentation",
    "profile_groups": "gridcrm.segmentation",
    "TagRuleError": "gridcrm.tags",
    "TagSet": "gridcrm.tags",
    "group_kpis": "gridcrm.tags",
    "plot_group_portrait": "gridcrm.tags",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        module = _MOVED.get(name)
        if module is None:
            raise AttributeError(f"module 'gridcrm' has no attribute {name!r}")
        import warnings

        warnings.warn(f"gridcrm.{name} is no longer re-exported at the top level: "
                      f"use 'from {module} import {name}'", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(module), name)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from gridcrm.anomaly import (  # noqa: F401
        AnomalyDetector,
        inspection_list,
    )
    from gridcrm.config import (  # noqa: F401
        load_config,
    )
    from gridcrm.credit import (  # noqa: F401
        CreditScorer,
        CustomerValueScorer,
        ahp_weights,
    )
    from gridcrm.data import (  # noqa: F401
        Dataset,
        DataValidationError,
        load_dataset,
        save_dataset,
    )
    from gridcrm.data.synth import (  # noqa: F401
        generate_dataset,
    )
    from gridcrm.errors import (  # noqa: F401
        ConfigError,
        GridcrmError,
        InputError,
        TrackingError,
    )
    from gridcrm.features import (  # noqa: F401
        build_features,
        feature_registry,
    )
    from gridcrm.forecasting import (  # noqa: F401
        ConsumptionForecaster,
        backtest,
        reconcile,
    )
    from gridcrm.job import (  # noqa: F401
        Engine,
        PandasEngine,
        run,
        score,
    )
    from gridcrm.recommend import (  # noqa: F401
        ProductRecommender,
    )
    from gridcrm.risk import (  # noqa: F401
        ArrearsModel,
        ChurnModel,
        RiskClassifier,
        risk_list,
    )
    from gridcrm.segmentation import (  # noqa: F401
        CustomerSegmenter,
        LoadShapeClusterer,
    )
    from gridcrm.service import (  # noqa: F401
        ComplaintClassifier,
        SensitiveScreen,
    )
    from gridcrm.tags import (  # noqa: F401
        Portraits,
        load_tags,
    )

__all__ = [
    "__version__",
    # errors
    "GridcrmError",
    "ConfigError",
    "InputError",
    "DataValidationError",
    "TrackingError",
    # data
    "Dataset",
    "load_dataset",
    "save_dataset",
    "generate_dataset",
    # the main job
    "load_config",
    "run",
    "score",
    "Engine",
    "PandasEngine",
    # features, tags, portraits
    "build_features",
    "feature_registry",
    "load_tags",
    "Portraits",
    # segmentation
    "CustomerSegmenter",
    "LoadShapeClusterer",
    # forecasting
    "ConsumptionForecaster",
    "backtest",
    "reconcile",
    # credit and value
    "CreditScorer",
    "CustomerValueScorer",
    "ahp_weights",
    # churn and arrears risk
    "ChurnModel",
    "ArrearsModel",
    "RiskClassifier",
    "risk_list",
    # theft, faults and abnormal consumption
    "AnomalyDetector",
    "inspection_list",
    # service quality
    "ComplaintClassifier",
    "SensitiveScreen",
    # differentiated service
    "ProductRecommender",
]
