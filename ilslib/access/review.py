"""``ils access review``: internal control's review of who may do what (internkontroll av behörigheter).

:func:`review` lists every person of ``users`` with role, organisations,
``valid_to``, the rights the database actually holds for the login (read from
the database's catalogue, never from ``users``) and when the person last
loaded, marked ready and approved; then the findings, each with what to do:

- a login holding rights in the database that ``users`` does not give, or the
  reverse; a login with rights that ``users`` does not know at all;
- an expired user (every ``valid_to`` passed) still holding rights;
- a reporting organisation without an active reporter, or controller;
- one person reporting for and approving the same organisation (segregation
  of duties), by role or in fact (who marked ready and who approved);
- row-level security missing or changed, rights granted to PUBLIC, a person
  of ``users`` who owns the tables or is a superuser (outside row-level security);
- rights changed since the last review (``ils access apply`` events, loads of ``users``).

Each review is recorded (``access_review``), so the next one lists the changes
since. On the embedded warehouse the catalogue part is the file's owner and
permissions, the only protection it has. The text is Swedish: it is read by
internal control.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import fmt, rights
from ..contract import FILES
from ..fmt import KIND_LABELS
from ..settings import REPORTING_KINDS
from ..warehouse import Warehouse
from . import model, pg
from .apply import groups_of

ROLE_LABELS = {
    "reporter": "rapporteringsansvarig",
    "controller": "controller",
    "reader": "läsare",
    "admin": "administratör",
}
PRIV_LABELS = {"SELECT": "läsa", "INSERT": "lägga till", "UPDATE": "ändra", "DELETE": "ta bort",
               "TRUNCATE": "tömma", "REFERENCES": "referera", "TRIGGER": "utlösare"}  # fmt: skip
TITLES = {
    "extra_rights": "Rättigheter som users inte ger",
    "not_in_users": "Inloggning med rättigheter som inte finns i users",
    "missing_rights": "Rättigheter som users ger men databasen saknar",
    "expired_with_rights": "Utgången behörighet finns kvar i databasen",
    "outside_rls": "Person som står utanför radsäkerheten",
    "public_rights": "Rättigheter för alla (PUBLIC)",
    "security": "Radsäkerheten saknas eller är ändrad",
    "no_reporter": "Organisation utan aktiv rapporteringsansvarig",
    "no_controller": "Organisation utan aktiv controller",
    "segregation": "Samma person rapporterar och godkänner",
    "segregation_in_fact": "Samma person klarmarkerade och godkände",
    "changed": "Behörigheter ändrade sedan förra granskningen",
    "file_permissions": "Lagerfilen kan ändras av andra",
    "unusable_login": "Inloggning som inte kan bli en roll i databasen",
}
ACTIONS_EVENT = ("load", "ready", "approve")


@dataclass(frozen=True)
class Finding:
    """One finding: its kind (a key of :data:`TITLES`), whom or what it concerns, what is wrong, what to do."""

    code: str
    subject: str
    text: str
    action: str

    @property
    def title(self) -> str:
        """The Swedish heading of the finding's kind."""
        return TITLES[self.code]


@dataclass
class Person:
    """One login of ``users``: its rows, what the database gives it and its last recorded actions."""

    user_id: str
    name: str
    grants: list[rights.Grant]
    active: bool
    database: str | None = None  # the rights the database holds, in words (None: no catalogue)
    last: dict[str, str] = field(default_factory=dict)  # action -> ISO time

    def roles_text(self, *, validity: bool = True) -> list[str]:
        """One line per role: ``rapporteringsansvarig för ALN, IDN (till 2026-12-31)``.

        ``validity=False`` leaves out the validity when every role has the same one: a table with a
        "Giltig till" column (:meth:`valid_to`) then says it once. Roles valid to different dates
        keep their own dates.
        """
        same = len({g.valid_to for g in self.grants}) <= 1
        by: dict[tuple[str, str | None], list[str]] = {}
        for g in self.grants:
            by.setdefault((g.role, g.valid_to), [])
            if g.org_id:
                by[(g.role, g.valid_to)].append(g.org_id)
        out = []
        order = list(rights.ROLES)
        for (role, valid_to), orgs in sorted(
            by.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else 9, kv[0][1] or "")
        ):
            text = ROLE_LABELS.get(role, role)
            if orgs:
                text += " för " + ", ".join(sorted(orgs))
            if validity or not same:
                text += f" (till {valid_to})" if valid_to else " (tills vidare)"
            out.append(text)
        return out

    def valid_to(self) -> str | None:
        """The last ``valid_to`` of the person's rows (None when any row is open)."""
        if any(g.valid_to is None for g in self.grants):
            return None
        return max(g.valid_to for g in self.grants if g.valid_to)


@dataclass
class Change:
    """A change of rights since the last review: an ``ils access apply`` or a load of ``users``."""

    at: str
    user: str
    what: str


@dataclass
class Review:
    """The whole review (see the module docstring)."""

    warehouse: str
    dialect: str
    today: str
    generated: str
    people: list[Person]
    catalogue: list[str]  # lines about the database's (or the file's) own protection
    findings: list[Finding]
    changes: list[Change]
    since: str | None  # the time of the previous review (None: the first)
    recorded: str | None = None  # the event id of this review
    not_recorded: str | None = None  # why it was not recorded (the login may not write events)


def _persons(wh: Warehouse, today: str) -> list[Person]:
    by: dict[str, list[rights.Grant]] = {}
    for g in rights.grants(wh):
        by.setdefault(g.user_id, []).append(g)
    people = []
    for user_id, gs in sorted(by.items(), key=lambda kv: kv[0].lower()):
        people.append(Person(user_id, gs[0].name, gs, any(g.active(today) for g in gs)))
    last = wh.rows(
        "SELECT user_name, action, MAX(at) FROM v_event WHERE action IN (?, ?, ?) GROUP BY user_name, action",
        ACTIONS_EVENT,
    )
    seen: dict[str, dict[str, str]] = {}
    for user, action, at in last:
        seen.setdefault(str(user), {})[str(action)] = str(at)
    for p in people:
        p.last = seen.get(p.user_id, {})
    return people


def _org_findings(wh: Warehouse, people: list[Person], today: str) -> list[Finding]:
    out = []
    roles_in_db = wh.dialect == "postgresql"  # the embedded warehouse has no roles: users is all there is
    orgs = wh.rows(
        f"SELECT org_id, name, kind FROM v_organisation WHERE kind IN ({', '.join('?' for _ in REPORTING_KINDS)}) "
        "ORDER BY org_id",
        REPORTING_KINDS,
    )
    active = [g for p in people for g in p.grants if g.active(today)]
    for org_id, name, kind in orgs:
        subject = f"{name} ({org_id}, {KIND_LABELS.get(str(kind), kind).lower()})"
        for role, code in (("reporter", "no_reporter"), ("controller", "no_controller")):
            if not any(g.role == role and g.org_id == org_id for g in active):
                word = ROLE_LABELS[role]
                out.append(
                    Finding(
                        code,
                        subject,
                        f"Ingen aktiv {word} för organisationen i users.",
                        f"Utse en {word} och lägg in en rad i users (role {role}, org_id {org_id})"
                        + ("; kör sedan ils access apply." if roles_in_db else "."),
                    )
                )
    for p in people:
        mine = [(g.role, g.org_id) for g in p.grants if g.active(today) and g.org_id]
        both = sorted({o for r, o in mine if r == "reporter"} & {o for r, o in mine if r == "controller"})
        for org in both:
            out.append(
                Finding(
                    "segregation",
                    _who(p),
                    f"Är både rapporteringsansvarig och controller för {org}: kan klarmarkera och godkänna sin egen "
                    "inrapportering.",
                    f"Låt en annan person vara controller för {org} (ta bort den ena raden i users)"
                    + (" och kör ils access apply." if roles_in_db else "."),
                )
            )
    return out


def _who(p: Person) -> str:
    return f"{p.name} ({p.user_id})"


def _in_fact(wh: Warehouse) -> list[Finding]:
    """Approvals in force made by the person who marked the same organisation and period ready."""
    out: list[Finding] = []
    from ..round.state import history

    events = history(wh)
    if events.empty:
        return out
    approved = {
        (str(o), str(p)) for o, p, s in wh.rows("SELECT org_id, period, state FROM v_round_state") if s == "godkand"
    }
    last_ready: dict[tuple[str, str], str] = {}
    last_approve: dict[tuple[str, str], tuple[str, str]] = {}
    for rec in events.to_dict("records"):
        key = (str(rec["org_id"]), str(rec["period"]))
        if rec["action"] == "ready":
            last_ready[key] = str(rec["user_name"])
        elif rec["action"] == "approve":
            last_approve[key] = (str(rec["user_name"]), last_ready.get(key, ""))
    for key in sorted(approved):
        if key in last_approve and last_approve[key][0] == last_approve[key][1]:
            user = last_approve[key][0]
            out.append(
                Finding(
                    "segregation_in_fact",
                    f"{key[0]} {key[1]}",
                    f"{user} klarmarkerade och godkände inrapporteringen själv.",
                    f"Låt organisationens controller granska och godkänna den på nytt (ils approve --period {key[1]} "
                    f"--org {key[0]} --undo, sedan ils approve --period {key[1]} --org {key[0]}).",
                )
            )
    return out


def _changes(wh: Warehouse, since: str | None) -> list[Change]:
    """``ils access apply`` events and accepted loads of ``users`` after ``since``."""
    out = []
    params: tuple[str, ...] = ("access_apply",) + ((since,) if since else ())
    for at, user, detail in wh.rows(
        f"SELECT at, user_name, detail FROM v_event WHERE action = ?{' AND at > ?' if since else ''} ORDER BY at",
        params,
    ):
        out.append(Change(str(at), str(user), describe_apply(detail)))
    users_files = [f"{FILES['users'].name}.csv", f"{FILES['users'].name}.xlsx"]
    params = tuple(users_files) + ((since,) if since else ())
    for at, user, name in wh.rows(
        "SELECT l.finished_at, l.user_name, f.file_name FROM v_load l JOIN v_load_file f ON f.load_id = l.load_id "
        f"WHERE l.outcome = 'ok' AND f.file_name IN (?, ?){' AND l.finished_at > ?' if since else ''} "
        "ORDER BY l.finished_at",
        params,
    ):
        out.append(Change(str(at), str(user), f"users lästes in ({name}): rollerna i users ändrades"))
    return sorted(out, key=lambda c: c.at)


def describe_apply(detail: object) -> str:
    """An ``access_apply`` event's detail in Swedish words."""
    try:
        data = json.loads(str(detail))
        changes = data.get("changes") or []
    except (TypeError, ValueError, AttributeError):
        return "ils access apply"
    added = [f"{c[1]} i {c[2]}" for c in changes if c and c[0] == "member+"]
    removed = [f"{c[1]} ur {c[2]}" for c in changes if c and c[0] == "member-"]
    roles = [c[1] for c in changes if c and c[0] == "role"]
    grants = sum(1 for c in changes if c and c[0] == "grant")
    revokes = [f"{c[3]} på {c[2]} från {c[1]}" for c in changes if c and c[0] == "revoke"]
    policies = sum(1 for c in changes if c and c[0] in ("policy", "policy-", "rls", "function"))
    parts = []
    if roles:
        parts.append("nya roller: " + ", ".join(roles))
    if added:
        parts.append("tillagda: " + ", ".join(added))
    if removed:
        parts.append("borttagna: " + ", ".join(removed))
    if revokes:
        parts.append(
            "återkallat: " + ", ".join(revokes[:10]) + (f" och {len(revokes) - 10} till" if len(revokes) > 10 else "")
        )
    if grants:
        parts.append(f"{grants} tilldelningar av rättigheter")
    if policies:
        parts.append(f"{policies} ändringar av radsäkerheten")
    return "ils access apply: " + ("; ".join(parts) if parts else "inga ändringar")


def _last_review(wh: Warehouse) -> str | None:
    value = wh.scalar("SELECT MAX(at) FROM v_event WHERE action = ?", ("access_review",))
    return str(value) if value else None


# -- the database's own rights ----------------------------------------------------------------------


#: What the tables a login may write hold, in the words of the review (the table's name follows).
TABLE_WORDS = {
    "ils_outcome": "utfall",
    "ils_assessment": "bedömningar",
    "ils_activity_status": "aktiviteternas status",
    "ils_comment": "kommentarer",
    "ils_round_state": "inrapporteringens läge",
    "ils_event": "händelseloggen",
    "ils_load": "inläsningsloggen",
    "ils_load_file": "inlästa filer",
    "ils_meta": "lagrets inställningar",
    "ils_user": "användare",
    "ils_organisation": "organisationer",
    "ils_goal": "mål",
    "ils_indicator": "indikatorer",
    "ils_target": "målvärden",
    "ils_activity": "aktiviteter",
    "ils_ledger": "huvudboken",
    "ils_personnel": "personaluppgifter",
    "ils_deadline": "sista dagar",
}


def _privs_text(privs: dict[str, frozenset[str]]) -> str:
    """What a login may do, grouped by the same privileges: ``läsa: alla ...; lägga till, ändra: ils_x, ils_y``."""
    total = len(model.objects())
    reads = sum(1 for p in privs.values() if "SELECT" in p)
    parts = []
    if reads:
        parts.append(
            "läsa: alla tabeller och vyer" if reads == total else f"läsa: {reads} av {total} tabeller och vyer"
        )
    by: dict[tuple[str, ...], list[str]] = {}
    for t, p in privs.items():
        writes = tuple(x for x in model.TABLE_PRIVILEGES if x in p and x != "SELECT")
        if writes:
            by.setdefault(writes, []).append(t)
    for writes, tables in sorted(by.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        named = (f"{TABLE_WORDS[t]} ({t})" if t in TABLE_WORDS else t for t in sorted(tables))
        parts.append(", ".join(PRIV_LABELS[w] for w in writes) + ": " + ", ".join(named))
    return "; ".join(parts) or "inga rättigheter"


def _diff_text(diff: dict[str, set[str]]) -> str:
    """Privileges on tables, grouped: ``INSERT/UPDATE på ils_ledger``; many tables are counted."""
    total = len(model.objects())
    by: dict[tuple[str, ...], list[str]] = {}
    for t, p in diff.items():
        by.setdefault(tuple(sorted(p, key=model.TABLE_PRIVILEGES.index)), []).append(t)
    parts = []
    for privs, tables in sorted(by.items()):
        tables.sort()
        if len(tables) == total:
            where = "alla tabeller och vyer"
        elif len(tables) > 12:
            where = f"{len(tables)} av {total} tabeller och vyer (bland dem {', '.join(tables[:3])})"
        else:
            where = ", ".join(tables)
        parts.append(f"{'/'.join(privs)} på {where}")
    return "; ".join(parts)


def _postgres(wh: Warehouse, people: list[Person], today: str) -> tuple[list[str], list[Finding]]:
    groups = groups_of(wh)
    grants = [g for p in people for g in p.grants]
    want = pg.desired(grants, groups, today)
    with_rights = pg.logins_with_rights(wh)
    logins = sorted(set(with_rights) | {p.user_id for p in people})
    cat = pg.read_catalogue(wh, groups, logins)
    effective = pg.effective_privileges(wh, logins)
    findings: list[Finding] = []
    lines = [
        f"PostgreSQL-databasen {cat.database}, schemat {cat.schema}. Tabellerna ägs av {cat.owner}, som står utanför "
        "radsäkerheten (den är inte påtvingad ägaren).",
        "Grupproller: " + ", ".join(f"{g} ({ROLE_LABELS[r]})" for r, g in groups.names.items()) + ".",
    ]
    supers = sorted(n for n, r in cat.roles.items() if r.superuser and n in with_rights)
    problems = pg.structure_problems(cat, groups)
    if problems:
        findings.append(
            Finding(
                "security",
                f"databasen {cat.database}",
                "Radsäkerheten är inte som den ska: " + "; ".join(problems) + ".",
                "Kör ils access apply (som tabellernas ägare).",
            )
        )
    else:
        lines.append(
            "Radsäkerheten är på för tabellerna med inrapportering, loggar och lagrets inställningar, med de regler "
            "ils access apply lägger."
        )
    public = {obj: privs for (obj, grantee), privs in cat.acl.items() if grantee == "PUBLIC"}
    if public:
        findings.append(
            Finding(
                "public_rights",
                "PUBLIC",
                "Alla inloggningar i databasen har: " + _diff_text({t: set(p) for t, p in public.items()}) + ".",
                "Kör ils access apply (tar bort rättigheterna för PUBLIC).",
            )
        )
    by_login = {p.user_id: p for p in people}
    person_roles = {p.user_id: {g.role for g in p.grants if g.active(today)} for p in people}
    for login in logins:
        role = cat.roles.get(login)
        person = by_login.get(login)
        owner = login == cat.owner or (role is not None and role.superuser)
        if person is not None:
            if role is None:
                person.database = "ingen inloggning i databasen"
            elif role.superuser:
                person.database = "superanvändare: alla rättigheter, utanför radsäkerheten"
            elif login == cat.owner:
                person.database = "äger tabellerna: alla rättigheter, utanför radsäkerheten"
            else:
                member_of = sorted(g for g, ms in cat.members.items() if login in ms)
                text = _privs_text(effective.get(login, {}))
                person.database = (f"grupproller: {', '.join(member_of)}; " if member_of else "") + text
        if person is not None and login in want.unusable:
            findings.append(
                Finding(
                    "unusable_login",
                    _who(person),
                    f"user_id {login!r} kan inte vara en roll i PostgreSQL: {want.unusable[login]}.",
                    "Rätta user_id i users till inloggningen som den står i databasen.",
                )
            )
            continue
        if owner:
            if person is not None and (not person.active or person_roles[login] != {"admin"}):
                findings.append(
                    Finding(
                        "outside_rls",
                        _who(person),
                        ("Är superanvändare" if role and role.superuser else "Äger lagrets tabeller")
                        + " och har därmed alla rättigheter utanför radsäkerheten, fast users ger "
                        + (", ".join(ROLE_LABELS[r] for r in sorted(person_roles[login])) or "ingen aktiv roll")
                        + ".",
                        "Låt personen logga in med en egen inloggning utan ägarskap; ägarkontot är DBA:ns.",
                    )
                )
            continue
        expected = model.expected_privileges(person_roles.get(login, set()))
        have = effective.get(login, {})
        extra = {t: set(p - expected.get(t, frozenset())) for t, p in have.items() if p - expected.get(t, frozenset())}
        missing = {t: set(p - have.get(t, frozenset())) for t, p in expected.items() if p - have.get(t, frozenset())}
        if extra:
            direct = sorted(
                f"REVOKE {', '.join(sorted(privs & extra.get(obj, set()), key=model.TABLE_PRIVILEGES.index))} "
                f"ON {pg.q(cat.schema)}.{obj} FROM {pg.q(login)};"
                for (obj, grantee), privs in cat.acl.items()
                if grantee == login and privs & extra.get(obj, set())
            )
            given = person_roles.get(login, set())
            not_given = sorted(g for g, ms in cat.members.items() if login in ms and groups.role_of(g) not in given)
            how = []
            if direct:
                how.append("ta bort de direkta rättigheterna: " + " ".join(direct))
            if not_given and person is not None:
                how.append("kör ils access apply (tar bort medlemskap i " + ", ".join(not_given) + ")")
            elif not_given:
                how.append(
                    "ta bort medlemskapen: " + " ".join(f"REVOKE {pg.q(g)} FROM {pg.q(login)};" for g in not_given)
                )
            if not how:
                how.append("kontrollera vilka roller inloggningen är medlem i (\\du i psql) och ta bort rättigheten")
            action = "; ".join(how)
            action = action[0].upper() + action[1:] + ("" if action.endswith(";") else ".")
            if person is None:
                findings.append(
                    Finding(
                        "not_in_users", login, f"Finns inte i users men har i databasen: {_diff_text(extra)}.", action
                    )
                )
            elif not person.active:
                findings.append(
                    Finding(
                        "expired_with_rights",
                        _who(person),
                        f"Behörigheten gick ut {person.valid_to()}, men databasen ger fortfarande: {_diff_text(extra)}.",
                        action,
                    )
                )
            else:
                findings.append(
                    Finding(
                        "extra_rights",
                        _who(person),
                        f"Har i databasen {_diff_text(extra)}, som users inte ger. Users ger: {', '.join(person.roles_text())}.",
                        action,
                    )
                )
        if person is not None and person.active and (missing or role is None):
            what = "inloggningen finns inte i databasen" if role is None else _diff_text(missing)
            findings.append(
                Finding(
                    "missing_rights",
                    _who(person),
                    f"users ger {', '.join(person.roles_text())}, men databasen saknar: {what}.",
                    "Kör ils access apply"
                    + (
                        " (och låt DBA:n sätta ett lösenord eller koppla inloggningen till stadens inloggning)"
                        if role is None
                        else ""
                    )
                    + ".",
                )
            )
    if supers:
        lines.append(
            "Superanvändare i klustret (har alla rättigheter, utanför radsäkerheten): " + ", ".join(supers) + "."
        )
    return lines, findings


def _embedded(wh: Warehouse) -> tuple[list[str], list[Finding]]:
    from ..rights import _sqlite_file, _user_name

    path = _sqlite_file(wh)
    lines = [
        "Det inbäddade lagret är en enda fil med en enda användare: det har inga roller, rättigheter eller "
        "radsäkerhet. ils kontrollerar varje inloggnings behörighet i users innan något skrivs, men den som kan "
        "skriva filen kan ändra allt i den. Filens rättigheter är det enda skyddet."
    ]
    findings: list[Finding] = []
    if path is None:
        lines.append("Lagret ligger bara i minnet.")
        return lines, findings
    from .apply import file_mode

    try:
        st = path.stat()
    except OSError as exc:
        lines.append(f"Filen {path} kan inte läsas: {exc.strerror or exc}.")
        return lines, findings
    owner = _user_name(st.st_uid) or f"uid {st.st_uid}"
    lines.append(f"Filen {path}: ägare {owner}, rättigheter {file_mode(path)}.")
    for target, what in ((path, "Filen"), (path.parent, "Katalogen")):
        try:
            mode = target.stat().st_mode
        except OSError:
            continue
        who = [w for w, bit in (("gruppen", 0o020), ("alla andra", 0o002)) if mode & bit]
        if who:
            findings.append(
                Finding(
                    "file_permissions",
                    str(target),
                    f"{what} kan skrivas av {' och '.join(who)} ({file_mode(target)}): vem som helst av dem kan ändra "
                    "lagret utan att ils kontrollerar något.",
                    f"Ta bort skrivrätten för andra än ägaren: chmod go-w {target}.",
                )
            )
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists() and side.stat().st_mode & 0o022:
            lines.append(f"Obs: {side.name} kan skrivas av fler än ägaren ({file_mode(side)}).")
    return lines, findings


def review(wh: Warehouse, *, since: str | None = None, record: bool = True, today: str | None = None) -> Review:
    """Review the warehouse's permissions (see the module docstring); record it as an ``access_review`` event."""
    day = today or rights.today()
    people = _persons(wh, day)
    previous = _last_review(wh)
    window = since or previous
    if wh.dialect == "postgresql":
        catalogue, findings = _postgres(wh, people, day)
    elif wh.dialect == "sqlite":
        catalogue, findings = _embedded(wh)
    else:
        catalogue = [
            "SQL Server: den här versionen läser inte databasens egna rättigheter (bara users och händelserna). "
            "Granska rollerna med sys.database_role_members och sys.database_permissions."
        ]
        findings = []
    findings = _org_findings(wh, people, day) + findings + _in_fact(wh)
    changes = _changes(wh, window)
    if changes:
        findings.append(
            Finding(
                "changed",
                f"{len(changes)} {'ändring' if len(changes) == 1 else 'ändringar'}",
                "Behörigheterna har ändrats sedan "
                + (f"förra granskningen ({fmt.local_time(window)})" if window else "lagret skapades")
                + ": se Ändringar nedan.",
                "Kontrollera att varje ändring är beslutad och dokumenterad.",
            )
        )
    order = list(TITLES)
    findings.sort(key=lambda f: (order.index(f.code), f.subject.lower()))
    now = dt.datetime.now().astimezone()
    result = Review(
        wh.url, wh.dialect, day, now.isoformat(timespec="seconds"), people, catalogue, findings, changes, window
    )
    if record:
        _record(wh, result)
    return result


def _record(wh: Warehouse, r: Review) -> None:
    from ..errors import AccessDeniedError, WarehouseError
    from ..round.state import record_event

    detail = json.dumps(
        {"findings": len(r.findings), "codes": sorted({f.code for f in r.findings})}, ensure_ascii=False
    )
    try:
        with wh.transaction():
            r.recorded = record_event(wh, "access_review", detail=detail)
    except (AccessDeniedError, WarehouseError) as exc:
        r.not_recorded = str(exc).splitlines()[0]


def by_code(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """The findings grouped by kind, in the order of :data:`TITLES`."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.code, []).append(f)
    return out
