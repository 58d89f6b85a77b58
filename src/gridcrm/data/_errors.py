"""The data layer's errors (re-exported by :mod:`gridcrm.data` and :mod:`gridcrm.data.validation`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridcrm.errors import GridcrmError

if TYPE_CHECKING:  # pragma: no cover
    from gridcrm.data.validation import ValidationReport

__all__ = ["DataValidationError", "SchemaError", "DataFileError"]


class DataValidationError(GridcrmError, ValueError):
    """Rows of an extract break the data model; ``.report`` lists every rule broken."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


class SchemaError(DataValidationError):
    """A table or a column the data model needs is missing or cannot be read as the model says: nothing is loaded.

    Raised whatever ``on_error`` says: besides missing tables and columns, ids held
    as account numbers with leading zeros or letters, dates with day and month in
    either order (pass ``date_format``) and time zones in a date column.
    """


class DataFileError(SchemaError):
    """A file of a dataset folder cannot be read: corrupt, empty, cut short, in another encoding, or
    its row count differs from ``dataset.json``. The message names the file and what to do."""
