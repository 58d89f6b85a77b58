"""gridcrm: customer analytics for electricity utilities.

The most used names are re-exported here; each capability lives in its own
subpackage (``gridcrm.data``, ``gridcrm.features``, ``gridcrm.tags``,
``gridcrm.credit``, ...). MLflow is only imported by ``gridcrm.tracking``, and
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

#: public name -> module that defines it (imported on first access, PEP 562)
_EXPORTS: dict[str, str] = {
    "ConfigError": "gridcrm.config",
    "RunConfig": "gridcrm.config",
    "load_config": "gridcrm.config",
    "AHPHierarchy": "gridcrm.credit",
    "CreditScorer": "gridcrm.credit",
    "CustomerValueScorer": "gridcrm.credit",
    "InconsistencyWarning": "gridcrm.credit",
    "PairwiseMatrix": "gridcrm.credit",
    "aggregate_judgements": "gridcrm.credit",
    "ahp_weights": "gridcrm.credit",
    "load_scoring_config": "gridcrm.credit",
    "Dataset": "gridcrm.data",
    "DataValidationError": "gridcrm.data",
    "SchemaError": "gridcrm.data",
    "ValidationReport": "gridcrm.data",
    "load_dataset": "gridcrm.data",
    "save_dataset": "gridcrm.data",
    "validate_tables": "gridcrm.data",
    "SyntheticData": "gridcrm.data.synth",
    "generate_dataset": "gridcrm.data.synth",
    "FEATURES": "gridcrm.features",
    "FeatureBuilder": "gridcrm.features",
    "build_features": "gridcrm.features",
    "feature_registry": "gridcrm.features",
    "registry_frame": "gridcrm.features",
    "ConsumptionForecaster": "gridcrm.forecasting",
    "backtest": "gridcrm.forecasting",
    "daily_frame": "gridcrm.forecasting",
    "interval_frame": "gridcrm.forecasting",
    "reconcile": "gridcrm.forecasting",
    "ArrearsLabel": "gridcrm.risk",
    "ArrearsModel": "gridcrm.risk",
    "ChurnLabel": "gridcrm.risk",
    "ChurnModel": "gridcrm.risk",
    "RiskClassifier": "gridcrm.risk",
    "build_training_set": "gridcrm.risk",
    "evaluate": "gridcrm.risk",
    "load_risk_config": "gridcrm.risk",
    "risk_list": "gridcrm.risk",
    "snapshot_dates": "gridcrm.risk",
    "time_split": "gridcrm.risk",
    "top_reasons": "gridcrm.risk",
    "train_risk_model": "gridcrm.risk",
    "tune": "gridcrm.risk",
    "CustomerSegmenter": "gridcrm.segmentation",
    "LoadShapeClusterer": "gridcrm.segmentation",
    "SegmentationInputError": "gridcrm.segmentation",
    "daily_load_profiles": "gridcrm.segmentation",
    "profile_groups": "gridcrm.segmentation",
    "Portraits": "gridcrm.tags",
    "TagRuleError": "gridcrm.tags",
    "TagSet": "gridcrm.tags",
    "group_kpis": "gridcrm.tags",
    "load_tags": "gridcrm.tags",
    "plot_group_portrait": "gridcrm.tags",
    "GridcrmError": "gridcrm.errors",
    "InputError": "gridcrm.errors",
    "TrackingError": "gridcrm.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gridcrm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from gridcrm.config import (  # noqa: F401
        ConfigError,
        RunConfig,
        load_config,
    )
    from gridcrm.credit import (  # noqa: F401
        AHPHierarchy,
        CreditScorer,
        CustomerValueScorer,
        InconsistencyWarning,
        PairwiseMatrix,
        aggregate_judgements,
        ahp_weights,
        load_scoring_config,
    )
    from gridcrm.data import (  # noqa: F401
        Dataset,
        DataValidationError,
        SchemaError,
        ValidationReport,
        load_dataset,
        save_dataset,
        validate_tables,
    )
    from gridcrm.data.synth import (  # noqa: F401
        SyntheticData,
        generate_dataset,
    )
    from gridcrm.errors import (  # noqa: F401
        GridcrmError,
        InputError,
        TrackingError,
    )
    from gridcrm.features import (  # noqa: F401
        FEATURES,
        FeatureBuilder,
        build_features,
        feature_registry,
        registry_frame,
    )
    from gridcrm.forecasting import (  # noqa: F401
        ConsumptionForecaster,
        backtest,
        daily_frame,
        interval_frame,
        reconcile,
    )
    from gridcrm.risk import (  # noqa: F401
        ArrearsLabel,
        ArrearsModel,
        ChurnLabel,
        ChurnModel,
        RiskClassifier,
        build_training_set,
        evaluate,
        load_risk_config,
        risk_list,
        snapshot_dates,
        time_split,
        top_reasons,
        train_risk_model,
        tune,
    )
    from gridcrm.segmentation import (  # noqa: F401
        CustomerSegmenter,
        LoadShapeClusterer,
        SegmentationInputError,
        daily_load_profiles,
        profile_groups,
    )
    from gridcrm.tags import (  # noqa: F401
        Portraits,
        TagRuleError,
        TagSet,
        group_kpis,
        load_tags,
        plot_group_portrait,
    )

__all__ = [
    "__version__",
    # errors
    "GridcrmError",
    "InputError",
    "TrackingError",
    # data
    "Dataset",
    "DataValidationError",
    "SchemaError",
    "SyntheticData",
    "ValidationReport",
    "generate_dataset",
    "load_dataset",
    "save_dataset",
    "validate_tables",
    # config
    "ConfigError",
    "RunConfig",
    "load_config",
    # features, tags, portraits
    "FEATURES",
    "FeatureBuilder",
    "build_features",
    "feature_registry",
    "registry_frame",
    "Portraits",
    "TagRuleError",
    "TagSet",
    "group_kpis",
    "load_tags",
    "plot_group_portrait",
    # segmentation
    "CustomerSegmenter",
    "LoadShapeClusterer",
    "SegmentationInputError",
    "daily_load_profiles",
    "profile_groups",
    # forecasting
    "ConsumptionForecaster",
    "backtest",
    "daily_frame",
    "interval_frame",
    "reconcile",
    # churn and arrears risk
    "ArrearsLabel",
    "ArrearsModel",
    "ChurnLabel",
    "ChurnModel",
    "RiskClassifier",
    "build_training_set",
    "evaluate",
    "load_risk_config",
    "risk_list",
    "snapshot_dates",
    "time_split",
    "top_reasons",
    "train_risk_model",
    "tune",
    # credit and value
    "AHPHierarchy",
    "CreditScorer",
    "CustomerValueScorer",
    "InconsistencyWarning",
    "PairwiseMatrix",
    "aggregate_judgements",
    "ahp_weights",
    "load_scoring_config",
]
