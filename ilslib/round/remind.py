"""``ils remind``: remind the reporters of the organisations that are not yet marked ready, by e-mail.

Who is reminded: every organisation of the reporting kinds (or ``kind``, or
``org_ids``) whose reporting for the period is not yet marked ready, i.e. in
state ``ej_paborjad`` or ``pagaende`` (:mod:`ilslib.round.state`); with
``days_before`` only those whose deadline is at most that many days away or has
passed (an organisation without a deadline is then left out, and counted).

Whom: its reporters, the active ``users`` rows with role ``reporter`` for the
organisation (:func:`contacts`); one message per e-mail address, so a person
who reports for two organisations gets one message about both. A reporter
without an e-mail address, or an organisation without a reporter, cannot be
reminded: the list says so, and so does the status (``ils status``, the status
page), which calls :func:`contacts` too.

What: a Swedish text (:func:`letter_text`) naming what is missing (the
required items, :mod:`ilslib.round.expected`), the deadline as a Swedish date
with the days left or late, and how to hand in the reporting workbook.

Nothing is sent without ``send``: :func:`plan` only lists. :func:`send_reminders`
sends through the configured relay (:mod:`ilslib.round.mail`) and records each
message sent as an event ``remind`` per organisation (who sent it, to whom, how
many items were missing). Sending needs the role controller of the
organisations reminded, or admin.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from .. import fmt, rights, settings
from ..config import SmtpSettings
from ..errors import WarehouseError
from ..periods import Period
from ..warehouse import Warehouse
from .expected import Completeness, completeness
from .mail import Delivery, Letter, Outcome, send
from .state import LABELS, SYMBOLS, record_event, states

#: The states whose reporters are reminded: nothing reported yet, or in progress (not marked ready).
REMINDED_STATES = ("ej_paborjad", "pagaende")
#: At most this many missing items are named in a message (then how many more).
MAX_ITEMS = 30


@dataclass(frozen=True)
class Reporter:
    """One reporter of an organisation: login, name and e-mail address (None when ``users`` has none)."""

    user_id: str
    name: str
    email: str | None


@dataclass(frozen=True)
class Contacts:
    """Who reports for an organisation (its active reporters), and whether a reminder can reach them."""

    org_id: str
    reporters: tuple[Reporter, ...] = ()

    @property
    def reachable(self) -> list[Reporter]:
        """The reporters with an e-mail address."""
        return [r for r in self.reporters if r.email]

    @property
    def unreachable(self) -> list[Reporter]:
        """The reporters without an e-mail address."""
        return [r for r in self.reporters if not r.email]

    @property
    def problem(self) -> str | None:
        """Why a reminder cannot reach everyone, in Swedish for the status (None when it can)."""
        if not self.reporters:
            return "Ingen rapporteringsansvarig finns i users: ingen kan påminnas"
        if not self.reachable:
            return "Rapporteringsansvarig saknar e-postadress i users: ingen kan påminnas"
        if self.unreachable:
            names = ", ".join(r.name for r in self.unreachable)
            return f"Rapporteringsansvarig utan e-postadress i users: {names}"
        return None


def contacts(wh: Warehouse, org_ids: Sequence[str], *, today: dt.date | None = None) -> dict[str, Contacts]:
    """``{org_id: Contacts}``: the active reporters (``users``, role ``reporter``, ``valid_to`` not passed)."""
    day = (today or dt.date.today()).isoformat()
    found: dict[str, list[Reporter]] = {o: [] for o in org_ids}
    for g in rights.grants(wh, active_on=day):
        if g.role == "reporter" and g.org_id in found:
            found[g.org_id].append(Reporter(g.user_id, g.name, g.email))
    return {o: Contacts(o, tuple(sorted(rs, key=lambda r: (r.name, r.user_id)))) for o, rs in found.items()}


def _controllers(wh: Warehouse, org_ids: Sequence[str], day: str) -> dict[str, list[str]]:
    """The names of each organisation's controllers in ``users`` (the organisation's own field otherwise)."""
    out: dict[str, list[str]] = {o: [] for o in org_ids}
    for g in rights.grants(wh, active_on=day):
        if g.role == "controller" and g.org_id in out and g.name not in out[g.org_id]:
            out[g.org_id].append(g.name)
    return out


@dataclass(frozen=True)
class Due:
    """An organisation whose reporting is not yet marked ready: what it owes and whom to remind."""

    org_id: str
    name: str
    kind: str
    state: str
    deadline: dt.date | None
    days_left: int | None
    """Days until the deadline (0 on the day, negative once it has passed); None without a deadline."""
    completeness: Completeness
    contacts: Contacts
    controllers: tuple[str, ...] = ()

    @property
    def missing(self) -> list[str]:
        """The missing required items by name."""
        return self.completeness.missing


@dataclass
class Plan:
    """The reminders of a period: the organisations to remind and the letters, before anything is sent."""

    period: Period
    today: dt.date
    due: list[Due]
    letters: list[Letter]
    without_deadline: list[str] = field(default_factory=list)
    """Organisations left out by ``days_before`` because the period has no deadline for them."""
    not_followed: list[str] = field(default_factory=list)
    """Organisations left to their own controllers (the sender follows others)."""
    signed_by: str | None = None


def plan(
    wh: Warehouse,
    period: str | Period,
    *,
    days_before: int | None = None,
    kind: str | None = None,
    org_ids: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> Plan:
    """Who is reminded, and the letters (see the module docstring); nothing is sent or written."""
    from ..figures import check_kind, organisation
    from .deadlines import deadline_for, deadlines

    p = period if isinstance(period, Period) else Period.parse(str(period))
    day = today or dt.date.today()
    if days_before is not None and days_before < 0:
        from ..errors import ConfigError

        raise ConfigError(f"--days-before must be zero or more, got {days_before}")
    orgs = {str(r[0]): (str(r[1]), str(r[2])) for r in wh.rows("SELECT org_id, name, kind FROM v_organisation")}
    if org_ids is not None:
        for o in org_ids:
            if o not in orgs:
                organisation(wh, o)  # an unknown id is a one-line error naming the nearest ones
        wanted = sorted(set(org_ids))
    else:
        kinds = [check_kind(kind)] if kind else list(settings.REPORTING_KINDS)
        wanted = sorted(o for o, (_, k) in orgs.items() if k in kinds)
    now = states(wh, p, wanted)
    candidates = [o for o in wanted if now[o] in REMINDED_STATES]
    found = deadlines(wh, p)
    due_dates = {o: deadline_for(found, orgs[o][1]) for o in candidates}
    without = []
    if days_before is not None:
        without = [o for o in candidates if due_dates[o] is None]
        candidates = [o for o in candidates if (due := due_dates[o]) is not None and (due - day).days <= days_before]
    done = completeness(wh, p, candidates)
    who = contacts(wh, candidates, today=day)
    ctrl = _controllers(wh, candidates, day.isoformat())
    rows = []
    for o in candidates:
        name, k = orgs[o]
        d = due_dates[o]
        rows.append(
            Due(
                org_id=o,
                name=name,
                kind=k,
                state=now[o],
                deadline=d,
                days_left=None if d is None else (d - day).days,
                completeness=done[o],
                contacts=who[o],
                controllers=tuple(ctrl[o]) or tuple(filter(None, [_org_controller(wh, o)])),
            )
        )
    # the latest deadline first passed first, then the least complete, then by id
    rows.sort(key=lambda r: (r.days_left if r.days_left is not None else 10**6, r.completeness.share or 0, r.org_id))
    signer = _signer(wh)
    return Plan(p, day, rows, letters(rows, p, today=day, signed_by=signer), without, [], signer)


def _org_controller(wh: Warehouse, org_id: str) -> str | None:
    value = wh.scalar("SELECT controller FROM v_organisation WHERE org_id = ?", (org_id,))
    return str(value) if value else None


def _signer(wh: Warehouse) -> str | None:
    """The name of the person sending (the connected login's name in ``users``), for the signature."""
    mine = rights.grants(wh, rights.login(wh))
    return mine[0].name if mine else None


# -- the text ---------------------------------------------------------------------------------------


def swedish_date(d: dt.date) -> str:
    """``20 november 2026``."""
    return f"{d.day} {fmt.MONTH_NAMES[d.month - 1]} {d.year}"


def when(deadline: dt.date | None, today: dt.date) -> str:
    """The deadline in words, with the days left or late.

    >>> when(dt.date(2026, 11, 20), dt.date(2026, 11, 27))
    '20 november 2026 – den passerades för 7 dagar sedan'
    >>> when(dt.date(2026, 11, 27), dt.date(2026, 11, 27)), when(dt.date(2026, 12, 4), dt.date(2026, 11, 27))
    ('27 november 2026, i dag', '4 december 2026, om 7 dagar')
    """
    if deadline is None:
        return "ingen sista dag är inlagd för perioden"
    n = (deadline - today).days
    if n > 1:
        return f"{swedish_date(deadline)}, om {n} dagar"
    if n == 1:
        return f"{swedish_date(deadline)}, i morgon"
    if n == 0:
        return f"{swedish_date(deadline)}, i dag"
    if n == -1:
        return f"{swedish_date(deadline)} – den passerades i går"
    return f"{swedish_date(deadline)} – den passerades för {-n} dagar sedan"


_STATE_WORDS = {
    "ej_paborjad": "inget är inrapporterat ännu",
    "pagaende": "inrapporteringen är påbörjad men inte klarmarkerad",
}


def workbook_name(org_id: str, period: Period) -> str:
    """The reporting workbook's file name (as ``ils template`` writes it)."""
    from .workbook import file_name

    return file_name(org_id, str(period))


def letter_text(
    name: str, orgs: Sequence[Due], period: Period, today: dt.date, signed_by: str | None
) -> tuple[str, str]:
    """(subject, body) of the reminder to one person about one or more organisations, in Swedish."""
    first = orgs[0]
    late = [o for o in orgs if o.days_left is not None and o.days_left < 0]
    if len(orgs) == 1:
        about = first.name
        if late:
            subject = f"Påminnelse: inrapporteringen av {period.title} är försenad – {about}"
        elif first.deadline is not None:
            subject = f"Påminnelse: inrapportering {period.title} – {about}, sista dag {swedish_date(first.deadline)}"
        else:
            subject = f"Påminnelse: inrapportering {period.title} – {about}"
    else:
        subject = f"Påminnelse: inrapportering {period.title} – {len(orgs)} organisationer"
        if late:
            subject += f", {len(late)} försenade"
    intro = f"Det här är en påminnelse om inrapporteringen av {period.title} ({period}). " + (
        "Du är rapporteringsansvarig för organisationen nedan, och dess inrapportering är ännu inte klarmarkerad."
        if len(orgs) == 1
        else "Du är rapporteringsansvarig för organisationerna nedan, och deras inrapportering är ännu inte "
        "klarmarkerad."
    )
    lines = [f"Hej {name}!", "", *_wrap(intro)]
    for o in orgs:
        c = o.completeness
        share = "" if c.share is None else f" ({fmt.number(c.share * 100, 0)} %)"
        lines += [
            "",
            f"{o.name} ({o.org_id})",
            f"  Sista dag: {when(o.deadline, today)}.",
            f"  Läge: {LABELS[o.state]} – {_STATE_WORDS.get(o.state, '')}.",
            f"  Ifyllt: {c.present} av {c.expected} uppgifter{share}.",
        ]
        if o.missing:
            lines.append("  Det här saknas:")
            lines += [f"    - {m}" for m in o.missing[:MAX_ITEMS]]
            if len(o.missing) > MAX_ITEMS:
                lines.append(f"    … och {len(o.missing) - MAX_ITEMS} till")
        else:
            lines.append("  Allt som ska rapporteras finns i lagret: det återstår att klarmarkera.")
        lines.append(f"  Inrapporteringsbok: {workbook_name(o.org_id, period)}")
        if o.controllers:
            lines.append(f"  Controller: {', '.join(o.controllers)}")
    example = first
    lines += [
        "",
        "Så lämnar du in",
        *_wrap(
            "1. Fyll i de gula cellerna i inrapporteringsboken (Excel). Har du ingen bok skickar din controller "
            "en, eller så skapar du den själv:",
            indent="   ",
        ),
        f"     ils template --period {period} --org {example.org_id}",
        *_wrap(
            "2. Spara den som Excel-arbetsbok (.xlsx) och skicka den till din controller, eller läs in den själv:",
            indent="   ",
        ),
        f"     ils load {workbook_name(example.org_id, period)}",
        "3. Klarmarkera när allt är ifyllt:",
        f"     ils ready --period {period} --org {example.org_id}",
        *_wrap("Går en uppgift inte att lämna, skriv varför i kommentaren och klarmarkera ändå."),
        "",
        *_wrap("Meddelandet är skickat av ILS. Frågor om inrapporteringen besvaras av din controller."),
        "",
        "Med vänlig hälsning",
        signed_by or "ILS, stadens mål- och ledningsinformation",
    ]
    return subject, "\n".join(lines) + "\n"


def _wrap(text: str, *, indent: str = "") -> list[str]:
    """A paragraph in lines of at most 76 characters (plain-text mail); a continuation indented by ``indent``."""
    return textwrap.wrap(text, width=76, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def letters(rows: Sequence[Due], period: Period, *, today: dt.date, signed_by: str | None = None) -> list[Letter]:
    """One letter per e-mail address (case-insensitive), about every organisation it reports for, in order."""
    by_address: dict[str, tuple[Reporter, list[Due]]] = {}
    for row in rows:
        for r in row.contacts.reachable:
            key = str(r.email).strip().lower()
            person, orgs = by_address.setdefault(key, (r, []))
            if row not in orgs:
                orgs.append(row)
    out = []
    for person, orgs in by_address.values():
        subject, body = letter_text(person.name, orgs, period, today, signed_by)
        out.append(Letter(str(person.email).strip(), person.name, subject, body, key=(person, tuple(orgs))))
    return out


def about(letter: Letter) -> tuple[Reporter, tuple[Due, ...]]:
    """Whom a letter of :func:`letters` is to and which organisations it is about (the letter's key)."""
    return cast("tuple[Reporter, tuple[Due, ...]]", letter.key)


# -- sending ----------------------------------------------------------------------------------------


@dataclass
class Sent:
    """What :func:`send_reminders` did: the plan, what the relay did with each letter, what was recorded."""

    plan: Plan
    delivery: Delivery
    unrecorded: list[str] = field(default_factory=list)
    """One line per sent letter whose event could not be written."""

    @property
    def ok(self) -> bool:
        """Every letter sent and recorded."""
        return not self.delivery.failed and not self.unrecorded


def restrict_to_sender(wh: Warehouse, p: Plan, explicit: bool) -> Plan:
    """The plan limited to the organisations the login may remind: its controller's, or all for an admin.

    ``explicit``: the organisations were named (``--org``); one the login may not
    remind is then a refusal (:class:`AccessDeniedError`) before anything is sent.
    Otherwise the others are left to their controllers (:attr:`Plan.not_followed`).
    """
    r = rights.rights(wh)
    if r.is_admin:
        return p
    refused = [d.org_id for d in p.due if not r.may_approve(d.org_id)]
    if refused and (explicit or len(refused) == len(p.due)):
        raise rights.denied(r, "send reminders", refused, "controller of the organisation (or admin)")
    kept = [d for d in p.due if d.org_id not in refused]
    return Plan(
        p.period,
        p.today,
        kept,
        letters(kept, p.period, today=p.today, signed_by=p.signed_by),
        p.without_deadline,
        refused,
        p.signed_by,
    )


def send_reminders(
    wh: Warehouse,
    p: Plan,
    smtp: SmtpSettings,
    password: str | None = None,
    *,
    explicit: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> Sent:
    """Send the plan's letters (only those of organisations the login may remind) and record each one sent.

    Each letter sent is recorded at once, as an event ``remind`` per organisation
    it is about (``detail``: ``till ADDRESS (LOGIN): N saknas, sista dag DATE``, Swedish like the rest of ``ils log``),
    so what was sent to whom is in the audit trail (``ils log``) even if a later
    letter fails.
    """
    mine = restrict_to_sender(wh, p, explicit)
    unrecorded: list[str] = []

    def record(outcome: Outcome) -> None:
        if outcome.sent:
            person, orgs = about(outcome.letter)
            for d in orgs:
                deadline = d.deadline.isoformat() if d.deadline else "ingen"
                detail = f"till {outcome.letter.to} ({person.user_id}): {len(d.missing)} saknas, sista dag {deadline}"
                try:
                    record_event(wh, "remind", org_id=d.org_id, period=str(mine.period), detail=detail)
                except WarehouseError as exc:
                    unrecorded.append(f"sent to {outcome.letter.to} but not recorded for {d.org_id}: {exc}")
        if on_outcome is not None:
            on_outcome(outcome)

    if not mine.letters:
        return Sent(mine, Delivery(), unrecorded)
    delivery = send(mine.letters, smtp, password, on_outcome=record)
    return Sent(mine, delivery, unrecorded)


def describe(p: Plan) -> list[str]:
    """The plan for the terminal: per organisation its state, deadline, missing count and reporters (English)."""
    out = [
        f"Reminders for {p.period} ({p.period.title}) on {p.today.isoformat()}: {len(p.due)} organisation"
        f"{'' if len(p.due) == 1 else 's'} not marked ready, {len(p.letters)} message"
        f"{'' if len(p.letters) == 1 else 's'}"
    ]
    for d in p.due:
        if d.days_left is None:
            due = "no deadline"
        elif d.days_left < 0:
            due = f"deadline {d.deadline} ({-d.days_left} day{'' if d.days_left == -1 else 's'} late)"
        else:
            due = f"deadline {d.deadline} (in {d.days_left} day{'' if d.days_left == 1 else 's'})"
        n = len(d.missing)
        out.append(
            f"  {d.org_id}  {d.name}  {SYMBOLS[d.state]} {LABELS[d.state]}  {due}  "
            f"{n} required item{'' if n == 1 else 's'} missing"
        )
        if not d.contacts.reporters:
            out.append("      no reporter in users: nobody to remind (an administrator adds one: users, role reporter)")
        for r in d.contacts.reporters:
            if r.email:
                out.append(f"      reporter {r.name} <{r.email}> ({r.user_id})")
            else:
                out.append(f"      reporter {r.name} ({r.user_id}): no e-mail address in users, not reminded")
    if p.without_deadline:
        out.append(f"  left out (no deadline for the period, --days-before): {', '.join(p.without_deadline)}")
    if p.not_followed:
        out.append(f"  left to their own controllers (you do not follow them): {', '.join(p.not_followed)}")
    return out


def unreachable(p: Plan) -> list[str]:
    """The organisations of the plan that no message reaches (no reporter, or none with an e-mail address)."""
    return [d.org_id for d in p.due if not d.contacts.reachable]


__all__ = [
    "MAX_ITEMS",
    "REMINDED_STATES",
    "Contacts",
    "Due",
    "Plan",
    "Reporter",
    "Sent",
    "contacts",
    "describe",
    "letter_text",
    "letters",
    "plan",
    "restrict_to_sender",
    "send_reminders",
    "unreachable",
    "when",
]
