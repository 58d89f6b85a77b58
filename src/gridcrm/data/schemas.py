"""Table schemas of the gridcrm data model.

One declaration per table: column names, dtypes, units, descriptions, keys,
allowed values, value ranges, the column that dates each row (used by
:meth:`gridcrm.data.Dataset.truncate`) and the foreign keys to other tables.
:mod:`gridcrm.data.validation` enforces it; ``CUSTOMERS.to_pandera()`` exports
the same row-level rules as a pandera schema for users' own pipelines (pandera is
the optional extra ``gridcrm[pandera]``).

Conventions
-----------
* ``customer_id``, ``bill_id``, ``payment_id`` and ``contact_id`` are
  ``int64``.  Account numbers held as strings must be mapped to integers by
  the caller (keeping ids numeric keeps 100 million meter reads in 2.3 GB).
* Dates and timestamps are ``datetime64[ns]`` (naive, local time of the
  utility); dates are midnight-normalised.
* Energy in kWh, power in kW / kVA / kvar, money in the utility's currency
  (``CNY`` in the sample), temperature in °C.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = [
    "ColumnSpec",
    "ForeignKey",
    "TableSchema",
    "CUSTOMER_CLASSES",
    "CHANNELS",
    "CONTACT_KINDS",
    "CONTACT_TOPICS",
    "EVENT_KINDS",
    "TABLES",
    "REQUIRED_TABLES",
    "table_names_problem",
    "CUSTOMERS",
    "METER_DAILY",
    "LOAD_INTERVAL",
    "BILLS",
    "PAYMENTS",
    "CONTACTS",
    "EVENTS",
    "WEATHER",
    "OFFER_CHANNELS",
    "OFFERS",
    "data_model_markdown",
]

Kind = Literal["int", "float", "date", "timestamp", "str", "category", "bool"]

#: Customer classes of the case studies.
CUSTOMER_CLASSES: tuple[str, ...] = (
    "residential",
    "commercial",
    "industrial",
    "agricultural",
    "large_industry",
)
#: Payment and service channels.
CHANNELS: tuple[str, ...] = (
    "app",
    "wechat",
    "alipay",
    "counter",
    "bank",
    "direct_debit",
    "phone",
)
#: Kinds of service contact.
CONTACT_KINDS: tuple[str, ...] = ("call", "complaint", "repair", "application", "survey")
#: Topics of what a contact is about (``contacts.topic``; gridcrm.service classifies texts into them).
CONTACT_TOPICS: tuple[str, ...] = ("billing", "outage", "voltage", "meter", "service_attitude",
                                   "business_handling", "connection", "other")
#: Kinds of risk event.
EVENT_KINDS: tuple[str, ...] = ("theft", "violation", "disconnection", "blacklist")

#: pandas dtype that each kind of column has inside a validated Dataset.
DTYPES: dict[str, str] = {
    "int": "int64",
    "float": "float64",
    "date": "datetime64[ns]",
    "timestamp": "datetime64[ns]",
    "str": "str",
    "category": "category",
    "bool": "bool",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a table.

    Parameters
    ----------
    name : str
        Column name.
    kind : {"int", "float", "date", "timestamp", "str", "category", "bool"}
        Logical type; :data:`DTYPES` gives the pandas dtype it has once loaded.
    description : str
        What the column holds, for people.
    unit : str, optional
        Unit of measurement (``"kWh"``, ``"kW"``, ``"CNY"``, ...).
    nullable : bool
        Whether missing values are allowed.
    allowed : tuple of str, optional
        Allowed values of a ``category`` column.
    min, max : float, optional
        Inclusive bounds of a numeric column.
    required : bool
        Whether the column must be present in an input file. Optional columns
        that are absent are added, filled with missing values.
    """

    name: str
    kind: Kind
    description: str
    unit: str | None = None
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True

    @property
    def dtype(self) -> str:
        """pandas dtype of the column in a validated table."""
        if self.kind == "int" and self.nullable:
            return "Int64"
        if self.kind == "bool" and self.nullable:
            return "boolean"
        return DTYPES[self.kind]

    def checks(self) -> list[pa.Check]:
        """pandera checks for the column's values (range and allowed values)."""
        import pandera.pandas as pa

        out: list[pa.Check] = []
        if self.allowed is not None:
            out.append(pa.Check.isin(list(self.allowed)))
        if self.min is not None:
            out.append(pa.Check.ge(self.min))
        if self.max is not None:
            out.append(pa.Check.le(self.max))
        return out


@dataclass(frozen=True)
class ForeignKey:
    """Rows of the child table must point to an existing row of ``parent``."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableSchema:
    """Schema of one table of the data model.

    Parameters
    ----------
    name : str
        Table name, also the file stem on disk (``customers.parquet``).
    description : str
        What one row is.
    columns : tuple of ColumnSpec
        Columns in their canonical order.
    key : tuple of str
        Columns whose combination is unique; the table is sorted by it.
    time_column : str, optional
        The column that says when a row became known; :meth:`Dataset.truncate`
        removes rows with ``time_column >= as_of``.
    future_columns : tuple of str
        Date columns that may not lie after the extraction date of the data.
    later_columns : tuple of str
        Dates of something that happens after the row became known (an account's or a ticket's
        closing, an offer's acceptance): unknown until it happened, so :meth:`Dataset.truncate`
        blanks values on or after ``as_of``.
    foreign_keys : tuple of ForeignKey
        References to other tables.

    Examples
    --------
    >>> from gridcrm.data.schemas import METER_DAILY
    >>> METER_DAILY.key
    ('customer_id', 'date')
    >>> METER_DAILY.column("kwh").unit
    'kWh'
    """

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    time_column: str | None = None
    future_columns: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = field(default=())
    later_columns: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        """Names of all columns, in canonical order."""
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        """Columns that an input file must contain."""
        return [c.name for c in self.columns if c.required]

    @property
    def dtypes(self) -> dict[str, str]:
        """Column name → pandas dtype in a validated table."""
        return {c.name: c.dtype for c in self.columns}

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name``; ``KeyError`` naming the table if absent."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}; columns are {self.column_names}")

    def to_pandera(self, check_dtypes: bool = True) -> pa.DataFrameSchema:
        """Build a pandera schema with this table's row-level rules.

        Parameters
        ----------
        check_dtypes : bool
            Also check each column's dtype and the key's uniqueness.

        Returns
        -------
        pandera.pandas.DataFrameSchema

        Raises
        ------
        ImportError
            pandera is not installed (``pip install gridcrm[pandera]``).
        """
        try:
            import pandera.pandas as pa
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandera() needs pandera: pip install 'gridcrm[pandera]'") from exc

        cols = {
            c.name: pa.Column(
                c.dtype if check_dtypes else None,
                c.checks(),
                nullable=c.nullable,
                required=c.required,
                description=c.description,
                metadata={"unit": c.unit} if c.unit else None,
            )
            for c in self.columns
        }
        return pa.DataFrameSchema(
            cols,
            name=self.name,
            unique=list(self.key) if check_dtypes else None,
            description=self.description,
        )

    def empty(self) -> pd.DataFrame:  # noqa: F821 - pandas imported lazily below
        """An empty frame with this table's columns and dtypes."""
        import pandas as pd

        return pd.DataFrame({c.name: pd.Series([], dtype=_empty_dtype(c)) for c in self.columns})


def _empty_dtype(c: ColumnSpec) -> object:
    import pandas as pd

    if c.kind == "category":
        return pd.CategoricalDtype(list(c.allowed or ()))
    return c.dtype


def _cust_fk() -> ForeignKey:
    return ForeignKey(("customer_id",), "customers", ("customer_id",))


def _customer_id(description: str = "Customer (account) id; must exist in `customers`.") -> ColumnSpec:
    return ColumnSpec("customer_id", "int", description, min=0)


CUSTOMERS = TableSchema(
    name="customers",
    description="Customer master: one row per account.",
    columns=(
        ColumnSpec("customer_id", "int", "Customer (account) id, unique.", min=0),
        ColumnSpec("customer_class", "category", "Customer class.", allowed=CUSTOMER_CLASSES),
        ColumnSpec(
            "industry_code",
            "str",
            "Industry code (GB/T 4754 section letter and division, e.g. 'C26'); missing for residential.",
            nullable=True,
        ),
        ColumnSpec("region", "str", "Region (city or county); joins `weather.region`."),
        ColumnSpec("supply_station", "str", "Supply station (service branch) that serves the account."),
        ColumnSpec("tariff", "str", "Tariff code, e.g. 'res_tiered', 'commercial_flat', 'large_industry_2part'."),
        ColumnSpec("contracted_kva", "float", "Contracted (reported) capacity.", unit="kVA", min=0.5, max=1_000_000),
        ColumnSpec("voltage_kv", "float", "Supply voltage level.", unit="kV", min=0.2, max=1000),
        ColumnSpec("connected_on", "date", "Date the account was connected."),
        ColumnSpec("closed_on", "date", "Date the account was closed; missing while open.", nullable=True),
        ColumnSpec("preferred_channel", "category", "Channel the customer prefers.", allowed=CHANNELS),
        ColumnSpec(
            "household_size",
            "int",
            "Persons in the household (residential only).",
            unit="persons",
            nullable=True,
            min=1,
            max=30,
            required=False,
        ),
        ColumnSpec("prepaid", "bool", "Whether the account pays in advance.", nullable=True, required=False),
    ),
    key=("customer_id",),
    time_column="connected_on",
    future_columns=("connected_on", "closed_on"),
    later_columns=("closed_on",),
)

METER_DAILY = TableSchema(
    name="meter_daily",
    description="Daily metered energy: one row per customer and day; missing days are meter gaps.",
    columns=(
        _customer_id(),
        ColumnSpec("date", "date", "Day of consumption."),
        ColumnSpec(
            "kwh",
            "float",
            "Active energy used that day; missing if the read failed. At most contracted_kva × 24 h × 1.5.",
            unit="kWh",
            nullable=True,
            min=0,
            max=50_000_000,
        ),
    ),
    key=("customer_id", "date"),
    time_column="date",
    future_columns=("date",),
    foreign_keys=(_cust_fk(),),
)

LOAD_INTERVAL = TableSchema(
    name="load_interval",
    description="15-minute interval load of large customers: one row per customer and interval start.",
    columns=(
        _customer_id(),
        ColumnSpec("timestamp", "timestamp", "Start of the 15-minute interval."),
        ColumnSpec("kw", "float", "Mean active power over the interval.", unit="kW", nullable=True,
                   min=0, max=2_000_000),
        ColumnSpec(
            "kvar",
            "float",
            "Mean reactive power over the interval.",
            unit="kvar",
            nullable=True,
            min=-2_000_000,
            max=2_000_000,
            required=False,
        ),
    ),
    key=("customer_id", "timestamp"),
    time_column="timestamp",
    future_columns=("timestamp",),
    foreign_keys=(_cust_fk(),),
)

BILLS = TableSchema(
    name="bills",
    description="Monthly bills: one row per customer and billing period.",
    columns=(
        ColumnSpec("bill_id", "int", "Bill id, unique.", min=0),
        _customer_id(),
        ColumnSpec("period", "date", "First day of the billing month."),
        ColumnSpec("issued_on", "date", "Date the bill was issued."),
        ColumnSpec("due_on", "date", "Date payment is due (on or after issued_on)."),
        ColumnSpec("kwh", "float", "Energy billed.", unit="kWh", min=0, max=1_500_000_000),
        ColumnSpec("amount", "float", "Amount billed.", unit="CNY", min=0, max=1_000_000_000),
    ),
    key=("bill_id",),
    time_column="issued_on",
    future_columns=("period", "issued_on"),
    foreign_keys=(_cust_fk(),),
)

PAYMENTS = TableSchema(
    name="payments",
    description="Payments: one row per payment; a bill may be paid in several parts.",
    columns=(
        ColumnSpec("payment_id", "int", "Payment id, unique.", min=0),
        ColumnSpec("bill_id", "int", "Bill paid; must exist in `bills` for the same customer.", min=0),
        _customer_id(),
        ColumnSpec("paid_on", "date", "Date the payment was received."),
        ColumnSpec("amount", "float", "Amount paid.", unit="CNY", min=0.01, max=1_000_000_000),
        ColumnSpec("channel", "category", "Payment channel.", allowed=CHANNELS),
    ),
    key=("payment_id",),
    time_column="paid_on",
    future_columns=("paid_on",),
    foreign_keys=(_cust_fk(), ForeignKey(("bill_id", "customer_id"), "bills", ("bill_id", "customer_id"))),
)

CONTACTS = TableSchema(
    name="contacts",
    description="Service contacts: hotline calls, complaints, repairs, applications, surveys.",
    columns=(
        ColumnSpec("contact_id", "int", "Contact id, unique.", min=0),
        _customer_id(),
        ColumnSpec("at", "timestamp", "When the contact was made."),
        ColumnSpec("kind", "category", "Kind of contact.", allowed=CONTACT_KINDS),
        ColumnSpec("category", "str", "Topic, e.g. 'billing', 'outage', 'voltage', 'service_attitude'.", nullable=True),
        ColumnSpec("text", "str", "Free text of the contact.", nullable=True, required=False),
        ColumnSpec("satisfaction", "float", "Satisfaction score given (1 = worst, 5 = best).", nullable=True,
                   min=1, max=5),
        ColumnSpec("topic", "category", "What the contact is about (service topic).", nullable=True,
                   allowed=CONTACT_TOPICS, required=False),
        ColumnSpec("channel", "category", "Channel of the contact.", nullable=True, allowed=CHANNELS,
                   required=False),
        ColumnSpec("closed_at", "timestamp", "When the ticket was closed (resolved); empty while open. "
                   "A time on or after as_of is not yet known.", nullable=True, required=False),
        ColumnSpec("repeat", "bool", "A contact on the same topic by the same customer within 30 days before.",
                   nullable=True, required=False),
    ),
    key=("contact_id",),
    time_column="at",
    future_columns=("at",),
    foreign_keys=(_cust_fk(),),
    later_columns=("closed_at",),
)

EVENTS = TableSchema(
    name="events",
    description="Risk events: electricity theft, violations, disconnection notices, blacklist entries.",
    columns=(
        _customer_id(),
        ColumnSpec("at", "timestamp", "When the event was recorded."),
        ColumnSpec("kind", "category", "Kind of event.", allowed=EVENT_KINDS),
        ColumnSpec("detail", "str", "Details of the event.", nullable=True),
    ),
    key=("customer_id", "at", "kind"),
    time_column="at",
    future_columns=("at",),
    foreign_keys=(_cust_fk(),),
)

WEATHER = TableSchema(
    name="weather",
    description="Daily mean temperature per region.",
    columns=(
        ColumnSpec("region", "str", "Region; matches `customers.region`."),
        ColumnSpec("date", "date", "Day."),
        ColumnSpec("temp_c", "float", "Daily mean air temperature.", unit="°C", nullable=True, min=-60, max=60),
    ),
    key=("region", "date"),
    time_column="date",
    future_columns=("date",),
)

#: Channels through which a service product is offered (`offers.channel`).
OFFER_CHANNELS: tuple[str, ...] = ("visit", "phone", "sms", "app", "wechat", "counter")

OFFERS = TableSchema(
    name="offers",
    description="Offers of service products (gridcrm.recommend's catalogue) and their uptake: one row per offer.",
    columns=(
        _customer_id(),
        ColumnSpec("offered_on", "date", "Day the product was offered."),
        ColumnSpec("product", "str", "Product id of the catalogue (configs/products.yaml), e.g. 'energy_audit'."),
        ColumnSpec("channel", "category", "Channel of the offer.", allowed=OFFER_CHANNELS),
        ColumnSpec("accepted_on", "date", "Day the customer accepted it; missing if not (yet) accepted.",
                   nullable=True),
    ),
    key=("customer_id", "offered_on", "product"),
    time_column="offered_on",
    future_columns=("offered_on", "accepted_on"),
    later_columns=("accepted_on",),
    foreign_keys=(_cust_fk(),),
)

#: What a site inspection found (#16).
INSPECTION_RESULTS: tuple[str, ...] = ("theft", "meter_fault", "clean")

INSPECTIONS = TableSchema(
    name="inspections",
    description="Site inspections (theft and meter checks) and what they found: one row per inspection. "
                "Results feed gridcrm.anomaly: thefts as labelled positives, clean visits as confirmed negatives.",
    columns=(
        _customer_id(),
        ColumnSpec("date", "date", "Day of the inspection."),
        ColumnSpec("result", "category", "What the inspection found.", allowed=INSPECTION_RESULTS),
    ),
    key=("customer_id", "date"),
    time_column="date",
    future_columns=("date",),
    foreign_keys=(_cust_fk(),),
)

#: All tables, in load order (parents before children).
TABLES: dict[str, TableSchema] = {
    t.name: t for t in (CUSTOMERS, METER_DAILY, LOAD_INTERVAL, BILLS, PAYMENTS, CONTACTS, EVENTS, WEATHER)
}
TABLES["offers"] = OFFERS  # optional (#18): offers of service products and their uptake
TABLES["inspections"] = INSPECTIONS  # optional (#16): site inspections and what they found
#: Tables that every dataset must have; the others may be absent (then empty).
REQUIRED_TABLES: tuple[str, ...] = ("customers", "meter_daily")


def data_model_markdown() -> str:
    """The data model as Markdown tables, one per table (the README's "Data model" section).

    Returns
    -------
    str

    Examples
    --------
    >>> print(data_model_markdown().splitlines()[0])
    #### `customers` — Customer master: one row per account.
    """
    parts = []
    for t in TABLES.values():
        lines = [
            f"#### `{t.name}` — {t.description}",
            "",
            f"Key: ({', '.join(t.key)}); dated by `{t.time_column}`."
            + (" References: " + ", ".join(f"({', '.join(fk.columns)}) → `{fk.parent}`" for fk in t.foreign_keys)
               + "." if t.foreign_keys else "")
            + ("" if t.name in REQUIRED_TABLES else " Optional table."),
            "",
            "| column | dtype | unit | null | rule | description |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for c in t.columns:
            rule = []
            if c.allowed:
                rule.append(" / ".join(c.allowed))
            if c.min is not None:
                rule.append(f"≥ {c.min:g}")
            if c.max is not None:
                rule.append(f"≤ {c.max:g}")
            if c.name in t.future_columns:
                rule.append("≤ extracted_on")
            if not c.required:
                rule.append("optional column")
            lines.append(
                f"| `{c.name}` | {c.dtype} | {c.unit or ''} | {'yes' if c.nullable else 'no'} | "
                f"{'; '.join(rule)} | {c.description} |"
            )
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _update_readme(readme: str) -> str:
    begin, end = "<!-- data-model:begin", "<!-- data-model:end -->"
    head, rest = readme.split(begin, 1)
    marker_line, _ = rest.split("\n", 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}{marker_line}\n{data_model_markdown()}{end}{tail}"


if __name__ == "__main__":  # python -m gridcrm.data.schemas README.md: rewrite the README's data model
    import sys
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    target.write_text(_update_readme(target.read_text()))


def table_names_problem(tables: object) -> str | None:
    """What is wrong with the names of ``tables`` (a mapping by table name) for the data model, or None.

    Every name must be a table of the data model and every required table must be there; the one
    check of :class:`~gridcrm.data.Dataset` (``KeyError``) and of the validations (``SchemaError``).

    Examples
    --------
    >>> table_names_problem({"customers": None, "meter_daily": None}) is None
    True
    >>> table_names_problem({"customers": None})
    "required table(s) ['meter_daily'] missing; got ['customers'] (a Dataset needs the table(s) ['customers', 'meter_daily'])"
    """
    unknown = sorted(set(tables) - set(TABLES))  # type: ignore[call-overload]
    if unknown:
        return f"unknown table(s) {unknown}; the data model has {list(TABLES)}"
    missing = [t for t in REQUIRED_TABLES if t not in tables]  # type: ignore[operator]
    if missing:
        return (f"required table(s) {missing} missing; got {sorted(tables)} "  # type: ignore[call-overload]
                f"(a Dataset needs the table(s) {list(REQUIRED_TABLES)})")
    return None
