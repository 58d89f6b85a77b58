"""Customer segmentation and load-shape clustering with k-means: k chosen, stability checked, segments named.

* :class:`CustomerSegmenter` — segments customers from their feature table
  (:data:`DEFAULT_FEATURES`), chooses k, reports stability, and describes
  each segment (:meth:`CustomerSegmenter.profile`).
* ``CustomerSegmenter(by="customer_class", k_selection="stability")`` — one
  segmentation per class on :data:`BEHAVIOUR_FEATURES`, k per class chosen by
  stability and a minimum segment share (the main job's default).
* :func:`migration_matrix` — who moved between segments from one ``as_of`` to another.
* :class:`LoadShapeClusterer` — typical daily load shapes from
  :func:`daily_load_profiles`, and each customer's dominant shape and shape mix.
* :func:`profile_groups` — the same portrait for any grouping (class, tag).
* :func:`score_k_range`, :func:`choose_k`, :func:`assess_stability` — the
  building blocks, for data already prepared.
* :func:`silhouette_rank_space` — how a segmentation is judged (the champion metric
  of the registered segmenter).

Plots live in :mod:`gridcrm.segmentation.plots` (matplotlib is imported only
when a plot is drawn); ``configs/segmentation.yaml`` is read by
:func:`load_segmentation_config`.
"""

from gridcrm.segmentation.config import SegmentationConfig, load_segmentation_config
from gridcrm.segmentation.customers import BEHAVIOUR_FEATURES, DEFAULT_FEATURES, CustomerSegmenter
from gridcrm.segmentation.errors import SegmentationConfigError, SegmentationInputError, UnstableSegmentsWarning
from gridcrm.segmentation.judge import silhouette_rank_space
from gridcrm.segmentation.migration import migration_matrix
from gridcrm.segmentation.preprocessing import SegmentationPreprocessor
from gridcrm.segmentation.profile import Phrase, SegmentProfile, name_segments, profile_groups
from gridcrm.segmentation.selection import choose_k, choose_stable_k, score_k_range
from gridcrm.segmentation.shapes import LoadShapeClusterer, daily_load_profiles, normalize_profiles, segment_load_shapes
from gridcrm.segmentation.stability import StabilityReport, assess_stability

__all__ = [
    "BEHAVIOUR_FEATURES",
    "CustomerSegmenter",
    "DEFAULT_FEATURES",
    "LoadShapeClusterer",
    "Phrase",
    "SegmentProfile",
    "SegmentationConfig",
    "SegmentationConfigError",
    "SegmentationInputError",
    "SegmentationPreprocessor",
    "StabilityReport",
    "UnstableSegmentsWarning",
    "assess_stability",
    "choose_k",
    "choose_stable_k",
    "daily_load_profiles",
    "load_segmentation_config",
    "migration_matrix",
    "name_segments",
    "normalize_profiles",
    "profile_groups",
    "score_k_range",
    "segment_load_shapes",
    "silhouette_rank_space",
]
