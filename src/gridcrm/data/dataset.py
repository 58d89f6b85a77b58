"""The :class:`Dataset`: the validated tables of one utility extract."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from gridcrm.data.schemas import TABLES, table_names_problem

if TYPE_CHECKING:
    from gridcrm.data.validation import ValidationReport

__all__ = ["Dataset"]

logger = logging.getLogger(__name__)


class Dataset:
    """The tables of one utility data extract, validated against the data model.

    A ``Dataset`` holds one frame per table of :data:`gridcrm.data.schemas.TABLES`
    with the dtypes of the schema, sorted by the table's key and with a fresh
    ``RangeIndex``. Tables that the extract lacks are empty frames. Build one
    with :func:`gridcrm.data.load_dataset` (files), :func:`gridcrm.data.validate_tables`
    (frames you hold) or :func:`gridcrm.data.synth.generate_dataset`; the
    constructor itself trusts its input.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Validated frames by table name; ``customers`` and ``meter_daily`` are
        required, the others default to empty.
    extracted_on : Timestamp-like, optional
        Date the extract was taken: no row may be dated after it. Defaults to
        the day after the last meter reading.
    report : ValidationReport, optional
        What validation kept and set aside, when the dataset was validated.

    Attributes
    ----------
    customers, meter_daily, load_interval, bills, payments, contacts, events, weather : DataFrame
        The tables.
    extracted_on : Timestamp
    report : ValidationReport or None

    Examples
    --------
    >>> from gridcrm.data.synth import generate_dataset
    >>> ds = generate_dataset(n_customers=50, start="2024-01-01", end="2024-03-31", seed=1).dataset
    >>> sorted(ds.table_names)[:3]
    ['bills', 'contacts', 'customers']
    >>> before = ds.truncate("2024-03-01")
    >>> bool(before.meter_daily["date"].max() < pd.Timestamp("2024-03-01"))
    True
    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame],
        extracted_on: pd.Timestamp | str | None = None,
        report: ValidationReport | None = None,
    ) -> None:
        problem = table_names_problem(tables)
        if problem is not None:
            raise KeyError(problem)
        self._tables: dict[str, pd.DataFrame] = {
            name: tables[name] if name in tables else schema.empty() for name, schema in TABLES.items()
        }
        if extracted_on is None:
            last = self._tables["meter_daily"]["date"].max()
            extracted_on = (last + pd.Timedelta(days=1)) if pd.notna(last) else pd.Timestamp.now().normalize()
        self.extracted_on: pd.Timestamp = pd.Timestamp(extracted_on).normalize()
        self.report = report

    # -- access ---------------------------------------------------------------------------
    @property
    def table_names(self) -> list[str]:
        """Names of all tables, in load order."""
        return list(self._tables)

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(f"no table {name!r}; tables are {self.table_names}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def items(self) -> Iterator[tuple[str, pd.DataFrame]]:
        """Iterate over ``(name, frame)`` pairs."""
        return iter(self._tables.items())

    customers = property(lambda self: self._tables["customers"], doc="Customer master.")
    meter_daily = property(lambda self: self._tables["meter_daily"], doc="Daily kWh per customer.")
    load_interval = property(lambda self: self._tables["load_interval"], doc="15-minute kW of large customers.")
    bills = property(lambda self: self._tables["bills"], doc="Monthly bills.")
    payments = property(lambda self: self._tables["payments"], doc="Payments.")
    contacts = property(lambda self: self._tables["contacts"], doc="Service contacts.")
    events = property(lambda self: self._tables["events"], doc="Risk events.")
    weather = property(lambda self: self._tables["weather"], doc="Daily temperature per region.")

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}={len(f):,}" for n, f in self._tables.items())
        return f"Dataset(extracted_on={self.extracted_on.date()}, {sizes})"

    def summary(self) -> pd.DataFrame:
        """One row per table: rows, customers, first and last date, rows set aside by validation.

        Returns
        -------
        DataFrame
            Indexed by table name, columns ``rows``, ``customers``, ``first``,
            ``last`` and ``rows_rejected`` (0 when the dataset was not validated).

        Examples
        --------
        >>> from gridcrm.data.synth import generate_dataset
        >>> ds = generate_dataset(n_customers=30, start="2024-01-01", end="2024-01-31", seed=2).dataset
        >>> ds.summary().loc["meter_daily", "last"]
        Timestamp('2024-01-31 00:00:00')
        """
        rejected = self.report.rows_rejected if self.report is not None else {}
        rows = []
        for name, frame in self._tables.items():
            time = frame[TABLES[name].time_column]
            rows.append(
                {
                    "table": name,
                    "rows": len(frame),
                    "customers": frame["customer_id"].nunique() if "customer_id" in frame.columns else pd.NA,
                    "first": time.min(),
                    "last": time.max(),
                    "rows_rejected": rejected.get(name, 0),
                }
            )
        return pd.DataFrame(rows).set_index("table")

    # -- point in time --------------------------------------------------------------------
    def truncate(self, as_of: pd.Timestamp | str) -> Dataset:
        """Return the dataset as it was known just before ``as_of``.

        Every row dated on or after ``as_of`` (by each table's ``time_column``)
        is removed, customers connected on or after ``as_of`` are dropped with
        all their rows, and the date of something that happened later (a table's
        ``later_columns``: an account's ``closed_on``, a ticket's ``closed_at``, an
        offer's ``accepted_on``) becomes unknown (``NaT``) when it is on or after ``as_of``.
        Bills keep their ``due_on`` even when it falls after ``as_of``: the bill was known,
        its payment is not.

        Parameters
        ----------
        as_of : Timestamp-like
            The first day that is *not* known (a time of day is dropped).

        Returns
        -------
        Dataset
            A new dataset with ``extracted_on = as_of``; the original is unchanged.

        Raises
        ------
        ValueError
            If ``as_of`` is not a date.
        """
        from gridcrm.data.dates import as_date

        cut = as_date(as_of, "as_of")
        customers = self._tables["customers"]
        customers = customers.loc[customers["connected_on"] < cut]
        kept_ids = customers["customer_id"].to_numpy()
        out: dict[str, pd.DataFrame] = {}
        for name, frame in self._tables.items():
            schema = TABLES[name]
            if name == "customers":
                frame = customers
            else:
                keep = frame[schema.time_column] < cut
                if "customer_id" in frame.columns:
                    keep &= frame["customer_id"].isin(kept_ids)
                frame = frame.loc[keep]
            later = {c: frame[c].mask(frame[c] >= cut) for c in schema.later_columns
                     if c in frame.columns and bool((frame[c] >= cut).any())}
            out[name] = (frame.assign(**later) if later else frame).reset_index(drop=True)
        return Dataset(out, extracted_on=cut.normalize(), report=None)

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path, format: str = "parquet") -> Path:
        """Write every table to ``path`` (one file per table) plus ``dataset.json``.

        Parameters
        ----------
        path : str or Path
            Folder to write; created if needed.
        format : {"parquet", "csv"}
            File format of the tables.

        Returns
        -------
        Path
            The folder written.
        """
        from gridcrm.data.io import save_dataset

        return save_dataset(self, path, format=format)
