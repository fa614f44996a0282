"""The data contract's files, as data: columns, types, codes, keys, limits and plausibility rules.

This is ``docs/contract.md`` (version 2) in code. The loader validates
against it, the writer stores by it, ``ils check`` re-checks stored rows by its
plausibility rules, and the demo generator produces it, so demo and real data
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT_VERSION = 2
"""The version of the data contract (``docs/contract.md``); ``figures.json`` says it as ``contract_version``."""

ORG_KINDS = ("kommun", "koncern", "namnd", "bolag", "enhet")
GOAL_LEVELS = ("vision", "inriktningsmal", "kf_mal", "namndmal", "bolagsmal")
DIRECTIONS = ("higher", "lower")
FREQUENCIES = ("tertial", "annual")
SOURCES = ("KF", "own")
TARGET_PERIOD_TYPES = ("T1", "T2", "BO")  # empty = annual target
GENDERS = ("T", "K", "M")
ACTIVITY_STATUSES = ("ej_paborjad", "paborjad", "genomford", "forsenad", "avbruten")
ASSESSMENTS = ("uppfyllt", "delvis", "ej_uppfyllt")
COMMENT_KINDS = ("vd_kommentar", "rapportkommentar", "avvikelse", "analys")
LEDGER_KINDS = ("intakt", "kostnad")
ROLES = ("reporter", "controller", "reader", "admin")
ROLES_WITH_ORG = ("reporter", "controller")  # a users row with these roles names its organisation
ROUND_STATES = ("ej_paborjad", "pagaende", "klar", "godkand")
"""States of an organisation's reporting round for a period, in order (``ils_round_state``)."""

MAX_ABS_NUMBER = 1e15
"""Every number is finite and below this in absolute value (amounts to the öre stay exact in a double)."""

MAX_TEXT = 32_767
"""Longest text in a cell: Excel's own limit for one cell."""

YEAR_RANGE = (1900, 2199)
"""The years a ``year`` column accepts (inclusive)."""

MAX_DECIMALS = 6
"""Most decimals an indicator may be shown with."""


@dataclass(frozen=True)
class Column:
    """One column of a contract file.

    ``type`` is one of ``id`` (an identifier by :mod:`ilslib.identifiers`),
    ``text`` (stored exactly as given), ``code`` (one of ``codes``), ``int``,
    ``number``, ``period`` (``YYYY-BU|T1|T2|BO``), ``month`` (``YYYY-MM``),
    ``date`` (``YYYY-MM-DD``), ``year``, ``email`` or ``login`` (a warehouse
    login: an identifier that may also hold ``@`` and ``\\``, such as
    ``STAD\\anna`` or ``anna@stad.se``; :func:`ilslib.identifiers.login_problem`). ``minimum``/``maximum``
    bound a number (inclusive) beyond the general limit of 10^15.
    """

    name: str
    type: str = "text"
    required: bool = False
    codes: tuple[str, ...] = ()
    default: object = None
    references: str | None = None  # "file.column" that must exist
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Order:
    """Plausibility within a row: ``low`` may not be above ``high`` (when both are present).

    The reject names the column ``at``; ``reason`` is its message, formatted with
    the two values as ``{low}`` and ``{high}``.
    """

    low: str
    high: str
    at: str
    reason: str


@dataclass(frozen=True)
class FileSpec:
    """One contract file and the warehouse table it is stored in, with its row rules.

    ``orders``: pairs of columns that must be in order; ``parent``: the column
    that points to the parent row of the same file (no cycles);
    ``no_budget_period``: the period column that may not hold a ``YYYY-BU``
    period; ``org_required_for``: (column, code column, codes) where the column
    is required when the code column holds one of the codes.
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    orders: tuple[Order, ...] = ()
    parent: str | None = None
    no_budget_period: str | None = None
    required_when: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        FileSpec(
            "organisations",
            "ils_organisation",
            (
                Column("org_id", "id", True),
                Column("name", "text", True),
                Column("kind", "code", True, ORG_KINDS),
                Column("parent_id", "id", references="organisations.org_id"),
                Column("controller", "text"),
            ),
            ("org_id",),
            parent="parent_id",
        ),
        FileSpec(
            "goals",
            "ils_goal",
            (
                Column("goal_id", "id", True),
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("level", "code", True, GOAL_LEVELS),
                Column("parent_goal_id", "id", references="goals.goal_id"),
                Column("title", "text", True),
                Column("description", "text"),
                Column("first_year", "year"),
                Column("last_year", "year"),
            ),
            ("goal_id",),
            orders=(Order("first_year", "last_year", "last_year", "last_year {high} is before first_year {low}"),),
            parent="parent_goal_id",
        ),
        FileSpec(
            "indicators",
            "ils_indicator",
            (
                Column("indicator_id", "id", True),
                Column("name", "text", True),
                Column("unit", "text", True),
                Column("direction", "code", True, DIRECTIONS),
                Column("frequency", "code", False, FREQUENCIES, "annual"),
                Column("source", "code", False, SOURCES, "own"),
                Column("decimals", "int", False, default=1, minimum=0, maximum=MAX_DECIMALS),
            ),
            ("indicator_id",),
        ),
        FileSpec(
            "targets",
            "ils_target",
            (
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("indicator_id", "id", True, references="indicators.indicator_id"),
                Column("goal_id", "id", references="goals.goal_id"),
                Column("year", "year", True),
                # Stored as '' for the annual target, so that it can be part of the key.
                Column("period_type", "code", False, TARGET_PERIOD_TYPES, ""),
                Column("target", "number", True),
                Column("partial_limit", "number"),
            ),
            ("org_id", "indicator_id", "year", "period_type"),
        ),
        FileSpec(
            "outcomes",
            "ils_outcome",
            (
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("indicator_id", "id", True, references="indicators.indicator_id"),
                Column("period", "period", True),
                Column("value", "number"),
                Column("gender", "code", False, GENDERS, "T"),
                Column("comment", "text"),
            ),
            ("org_id", "indicator_id", "period", "gender"),
            no_budget_period="period",
        ),
        FileSpec(
            "activities",
            "ils_activity",
            (
                Column("activity_id", "id", True),
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("goal_id", "id", references="goals.goal_id"),
                Column("title", "text", True),
                Column("source", "code", False, SOURCES, "own"),
                Column("start_date", "date"),
                Column("end_date", "date"),
            ),
            ("activity_id",),
            orders=(Order("start_date", "end_date", "end_date", "the end date {high} is before the start date {low}"),),
        ),
        FileSpec(
            "activity_status",
            "ils_activity_status",
            (
                Column("activity_id", "id", True, references="activities.activity_id"),
                Column("period", "period", True),
                Column("status", "code", True, ACTIVITY_STATUSES),
                Column("comment", "text"),
            ),
            ("activity_id", "period"),
            no_budget_period="period",
        ),
        FileSpec(
            "assessments",
            "ils_assessment",
            (
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("goal_id", "id", True, references="goals.goal_id"),
                Column("period", "period", True),
                Column("assessment", "code", False, ASSESSMENTS),
                Column("comment", "text"),
            ),
            ("org_id", "goal_id", "period"),
            no_budget_period="period",
        ),
        FileSpec(
            "comments",
            "ils_comment",
            (
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("period", "period", True),
                Column("kind", "code", True, COMMENT_KINDS),
                Column("text", "text", True),
            ),
            ("org_id", "period", "kind"),
        ),
        FileSpec(
            "ledger",
            "ils_ledger",
            (
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("month", "month", True),
                Column("account", "id", True),
                Column("account_name", "text"),
                Column("kind", "code", True, LEDGER_KINDS),
                Column("outcome", "number"),  # empty = not booked (never a zero)
                Column("budget", "number", True),
                Column("forecast", "number"),
            ),
            ("org_id", "month", "account"),
        ),
        FileSpec(
            "personnel",
            "ils_personnel",
            (
                Column("org_id", "id", True, references="organisations.org_id"),
                Column("month", "month", True),
                Column("headcount", "int", True, minimum=0),
                Column("fte", "number", minimum=0),
                Column("scheduled_hours", "number", True, minimum=0),
                Column("sick_hours", "number", True, minimum=0),
            ),
            ("org_id", "month"),
            orders=(
                Order(
                    "sick_hours", "scheduled_hours", "sick_hours", "sick_hours {low} is above scheduled_hours {high}"
                ),
            ),
        ),
        FileSpec(
            "deadlines",
            "ils_deadline",
            (
                Column("period", "period", True),
                # Stored as '' for "every kind", so that it can be part of the key.
                Column("kind", "code", False, ORG_KINDS, ""),
                Column("deadline", "date", True),
            ),
            ("period", "kind"),
        ),
        FileSpec(
            "users",
            "ils_user",
            (
                # A login, not an id: real logins hold "\\" or "@" (STAD\\anna, anna@stad.se).
                Column("user_id", "login", True),
                Column("name", "text", True),
                Column("email", "email"),
                Column("role", "code", True, ROLES),
                # Stored as '' for a role without an organisation (reader, admin), so that it can be part of the key.
                Column("org_id", "id", False, default="", references="organisations.org_id"),
                Column("valid_to", "date"),
            ),
            ("user_id", "role", "org_id"),
            required_when=(("org_id", "role", ROLES_WITH_ORG),),
        ),
    )
}

# Files in the order they must be written so that references resolve.
LOAD_ORDER = (
    "organisations",
    "goals",
    "indicators",
    "targets",
    "outcomes",
    "activities",
    "activity_status",
    "assessments",
    "comments",
    "ledger",
    "personnel",
    "deadlines",
    "users",
)
