"""The data contract's files, as data: columns, types, codes and keys.

This is ``shared/spec/data-contract.md`` (v1) in code. The loader validates
against it, the writer stores by it, and the demo generator produces it, so
demo and real data cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT_VERSION = 1

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


@dataclass(frozen=True)
class Column:
    """One column of a contract file.

    ``type`` is one of ``id`` (trimmed, case-sensitive identifier), ``text``
    (stored exactly as given), ``code`` (one of ``codes``), ``int``, ``number``,
    ``period`` (``YYYY-BU|T1|T2|BO``), ``month`` (``YYYY-MM``), ``date``
    (``YYYY-MM-DD``) or ``year``.
    """

    name: str
    type: str = "text"
    required: bool = False
    codes: tuple[str, ...] = ()
    default: object = None
    references: str | None = None  # "file.column" that must exist


@dataclass(frozen=True)
class FileSpec:
    """One contract file and the warehouse table it is stored in."""

    name: str
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
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
                Column("decimals", "int", False, default=1),
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
                Column("outcome", "number", True),
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
                Column("headcount", "int", True),
                Column("fte", "number"),
                Column("scheduled_hours", "number", True),
                Column("sick_hours", "number", True),
            ),
            ("org_id", "month"),
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
)
