"""AHP credit scoring and customer value.

- :mod:`~gridcrm.credit.pairwise`: pairwise comparison matrices, validated (errors name the pair).
- :mod:`~gridcrm.credit.ahp`: priority weights (eigenvector or geometric mean), λmax, CI, CR,
  inconsistency diagnostics.
- :mod:`~gridcrm.credit.group`: group decisions (AIJ, AIP).
- :mod:`~gridcrm.credit.hierarchy`: goal → criteria → sub-criteria → indicators, local and
  global weights, hierarchy consistency, summary table.
- :mod:`~gridcrm.credit.normalize`: indicator normalisation and missing-value policies.
- :mod:`~gridcrm.credit.config`: ``configs/credit_ahp.yaml`` / ``configs/value_ahp.yaml``.
- :mod:`~gridcrm.credit.scoring`: :class:`CreditScorer` (score 0–100, grade, contributions).
- :mod:`~gridcrm.credit.value`: :class:`CustomerValueScorer` (six dimensions, rank, big customers).
- :mod:`~gridcrm.credit.plots`: weight and score-distribution figures.
- :mod:`~gridcrm.credit.judge`: how each is judged after ``as_of`` (:func:`arrears_auc`,
  :func:`future_revenue_spearman`), the champion metrics of their registered models.
"""

from gridcrm.credit.ahp import SAATY_RANDOM_INDEX, AHPResult, ahp_weights, random_index
from gridcrm.credit.config import GradeScale, ScoringConfig, load_scoring_config, load_value_config
from gridcrm.credit.errors import (
    AHPError,
    CreditConfigError,
    InconsistencyError,
    InconsistencyWarning,
    IndicatorError,
    JudgementError,
)
from gridcrm.credit.group import aggregate_judgements, aggregate_priorities
from gridcrm.credit.hierarchy import AHPHierarchy, Node, load_hierarchy
from gridcrm.credit.judge import arrears_auc, future_revenue_spearman, revenue_after
from gridcrm.credit.normalize import IndicatorNormalizer, IndicatorSpec
from gridcrm.credit.pairwise import SAATY_SCALE, PairwiseMatrix, pairwise_matrix
from gridcrm.credit.plots import plot_score_distribution, plot_weights
from gridcrm.credit.scoring import CreditScorer
from gridcrm.credit.value import CustomerValueScorer

__all__ = [
    "AHPError",
    "AHPHierarchy",
    "AHPResult",
    "CreditConfigError",
    "CreditScorer",
    "CustomerValueScorer",
    "GradeScale",
    "InconsistencyError",
    "InconsistencyWarning",
    "IndicatorError",
    "IndicatorNormalizer",
    "IndicatorSpec",
    "JudgementError",
    "Node",
    "PairwiseMatrix",
    "SAATY_RANDOM_INDEX",
    "SAATY_SCALE",
    "ScoringConfig",
    "aggregate_judgements",
    "aggregate_priorities",
    "ahp_weights",
    "arrears_auc",
    "future_revenue_spearman",
    "load_hierarchy",
    "load_scoring_config",
    "load_value_config",
    "pairwise_matrix",
    "plot_score_distribution",
    "plot_weights",
    "random_index",
    "revenue_after",
]
