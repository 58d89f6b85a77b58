"""The gridcrm data model: schemas, the Dataset, loading and validation, synthetic data."""

from gridcrm.data.dataset import Dataset
from gridcrm.data.io import load_dataset, save_dataset
from gridcrm.data.schemas import TABLES
from gridcrm.data.validation import (
    DataFileError,
    DataValidationError,
    Rejection,
    SchemaError,
    ValidationReport,
    validate_tables,
)

__all__ = [
    "Dataset",
    "TABLES",
    "DataFileError",
    "DataValidationError",
    "Rejection",
    "SchemaError",
    "ValidationReport",
    "load_dataset",
    "save_dataset",
    "validate_tables",
]
