"""gridcrm: customer analytics for electricity utilities.

The most used names are re-exported here; each capability lives in its own
subpackage (``gridcrm.data``, ``gridcrm.features``, ``gridcrm.tags``,
``gridcrm.credit``, ...). MLflow is only imported by ``gridcrm.tracking``, and
only when used; matplotlib only when a plot is drawn.

Examples
--------
>>> import gridcrm
>>> synth = gridcrm.generate_dataset(n_customers=60, start="2024-01-01", end="2024-06-30", seed=1)
>>> features = gridcrm.build_features(synth.dataset, as_of="2024-06-01")
>>> features.index.name, "kwh_mean_30d" in features.columns
('customer_id', True)
"""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from gridcrm.config import ConfigError, RunConfig, load_config  # noqa: E402
from gridcrm.credit import (  # noqa: E402
    AHPHierarchy,
    CreditScorer,
    CustomerValueScorer,
    InconsistencyWarning,
    PairwiseMatrix,
    aggregate_judgements,
    ahp_weights,
    load_scoring_config,
)
from gridcrm.data import (  # noqa: E402
    Dataset,
    DataValidationError,
    SchemaError,
    ValidationReport,
    load_dataset,
    save_dataset,
    validate_tables,
)
from gridcrm.data.synth import SyntheticData, generate_dataset  # noqa: E402
from gridcrm.features import FEATURES, FeatureBuilder, build_features, feature_registry, registry_frame  # noqa: E402
from gridcrm.forecasting import (  # noqa: E402
    ConsumptionForecaster,
    backtest,
    daily_frame,
    interval_frame,
    reconcile,
)
from gridcrm.models import (  # noqa: E402
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
from gridcrm.segmentation import (  # noqa: E402
    CustomerSegmenter,
    LoadShapeClusterer,
    SegmentationInputError,
    daily_load_profiles,
    profile_groups,
)
from gridcrm.tags import Portraits, TagRuleError, TagSet, group_kpis, load_tags, plot_group_portrait  # noqa: E402

__all__ = [
    "__version__",
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
