"""The reporting round's states and rights: every transition, who may do each, and the record of every change.

On the three backends, with real logins: the operating-system user on the embedded
warehouse and SQLite over ODBC, a login role per person on PostgreSQL
(``tests/round_support.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from round_support import HOSTILE_TITLE, PEOPLE, PERIOD, Logins, database_of, ils, load_dataset, pg_roles, snapshot

from ilslib import connect, rights
from ilslib.errors import AccessDeniedError
from ilslib.load import format_state_changes, load_dir
from ilslib.round.state import RoundStateError, approve, history, mark_ready, state, states


@pytest.fixture
def logins(wh_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request) -> Logins:
    """The hand-made round loaded into a fresh warehouse, and connections as each person."""
    load_dataset(wh_url, tmp_path)
    if backend == "postgresql":
        pg_roles(request.getfixturevalue("pg_cluster"), database_of(wh_url))
    return Logins(wh_url, backend, monkeypatch)


def outcome_dir(tmp_path: Path, org: str, name: str = "load", period: str = PERIOD) -> Path:
    """A load directory with one outcome of ``org`` for the period."""
    d = tmp_path / f"{name}-{org}"
    d.mkdir(exist_ok=True)
    (d / "outcomes.csv").write_text(
        f"org_id;indicator_id;period;value;gender;comment\n{org};I_T;{period};88,5;T;\n", encoding="utf-8"
    )
    return d


# -- every transition --------------------------------------------------------------------------------

# (who, action, organisation, the state after it, or the refusal's words). NAMN_A has no data for the
# period (ej_paborjad), NAMN_B has (pagaende). Walked in order: every transition of the contract.
STEPS = [
    ("admin", "approve", "NAMN_A", "not marked ready (nothing reported yet)"),
    ("admin", "ready_undo", "NAMN_A", "is not marked ready: nothing to undo"),
    ("admin", "approve_undo", "NAMN_A", "is not approved: nothing to undo"),
    ("reporter", "ready", "NAMN_A", "klar"),  # ej_paborjad -> klar: a reporter may have nothing to say
    ("reporter", "ready", "NAMN_A", "is already marked ready"),
    ("reporter", "ready_undo", "NAMN_A", "ej_paborjad"),  # back to what the data says: nothing reported
    ("controller", "approve", "NAMN_B", "is not marked ready: it is marked ready first"),
    ("controller", "ready_undo", "NAMN_B", "is not marked ready: nothing to undo"),
    ("controller", "ready", "NAMN_B", "klar"),  # pagaende -> klar
    ("controller", "approve_undo", "NAMN_B", "is not approved: nothing to undo"),
    ("controller", "ready_undo", "NAMN_B", "pagaende"),  # data is reported: in progress
    ("controller", "ready", "NAMN_B", "klar"),
    ("controller", "approve", "NAMN_B", "godkand"),
    ("controller", "ready", "NAMN_B", "is already approved"),
    ("controller", "ready_undo", "NAMN_B", "is approved: its controller undoes the approval first"),
    ("controller", "approve", "NAMN_B", "is already approved"),
    ("controller", "approve_undo", "NAMN_B", "klar"),
    ("admin", "approve", "NAMN_B", "godkand"),
]


def act(wh, action: str, org: str):
    if action.startswith("ready"):
        return mark_ready(wh, org, PERIOD, undo=action.endswith("undo"))
    return approve(wh, org, PERIOD, undo=action.endswith("undo"))


def test_every_transition_and_its_record(logins: Logins, tmp_path: Path) -> None:
    with logins.as_("admin") as wh:
        assert states(wh, PERIOD, ["NAMN_A", "NAMN_B", "BOL_C"]) == {
            "NAMN_A": "ej_paborjad",
            "NAMN_B": "pagaende",
            "BOL_C": "ej_paborjad",
        }
    expected_events = []
    for who, action, org, outcome in STEPS:
        with logins.as_(who) as wh:
            before = state(wh, org, PERIOD)
            if outcome in ("ej_paborjad", "pagaende", "klar", "godkand"):
                change = act(wh, action, org)
                assert (change.from_state, change.to_state, change.user) == (before, outcome, PEOPLE[who])
                assert state(wh, org, PERIOD) == outcome
                expected_events.append((action, org, before, outcome, PEOPLE[who]))
            else:
                with pytest.raises(RoundStateError, match=re.escape(outcome)):
                    act(wh, action, org)
                assert state(wh, org, PERIOD) == before, "a refused change changed the state"

    # Data loaded after ready or approval sets it back to in progress, and the load says so.
    with logins.as_("reporter") as wh:
        mark_ready(wh, "NAMN_A", PERIOD)
        expected_events.append(("ready", "NAMN_A", "ej_paborjad", "klar", PEOPLE["reporter"]))
        result = load_dir(wh, outcome_dir(tmp_path, "NAMN_A"))
        assert result.ok
        assert state(wh, "NAMN_A", PERIOD) == "pagaende"
        assert format_state_changes(result) == [
            "NAMN_A 2026-T2 was marked ready; this load sets it back to in progress: mark it ready again "
            "(ils ready --period 2026-T2 --org NAMN_A)"
        ]
        expected_events.append(("load", "NAMN_A", "klar", "pagaende", PEOPLE["reporter"]))
    with logins.as_("controller") as wh:
        result = load_dir(wh, outcome_dir(tmp_path, "NAMN_B"))
        assert state(wh, "NAMN_B", PERIOD) == "pagaende"
        assert format_state_changes(result)[0].startswith("NAMN_B 2026-T2 was approved; this load sets it back")
        expected_events.append(("load", "NAMN_B", "godkand", "pagaende", PEOPLE["controller"]))
        # a load into an organisation in progress leaves it in progress, and is recorded all the same
        result = load_dir(wh, outcome_dir(tmp_path, "NAMN_B", "again"))
        assert format_state_changes(result) == []
        assert [(c.from_state, c.to_state, c.changed) for c in result.state_changes] == [
            ("pagaende", "pagaende", False)
        ]
        expected_events.append(("load", "NAMN_B", "pagaende", "pagaende", PEOPLE["controller"]))

        events = history(wh, PERIOD)
        got = list(
            zip(
                events["action"],
                events["org_id"],
                events["from_state"],
                events["to_state"],
                events["user_name"],
                strict=True,
            )
        )
        # first the owner's load of the data set (NAMN_B's outcome and comment), then every change above
        assert got[0][:4] == ("load", "NAMN_B", "ej_paborjad", "pagaende")
        assert got[1:] == expected_events
        assert all(str(d).startswith("inläsning ") for d in events.loc[events["action"] == "load", "detail"])
        assert history(wh, PERIOD, "NAMN_A")["org_id"].unique().tolist() == ["NAMN_A"]
        assert history(wh, "2026-T1")["org_id"].tolist() == ["NAMN_A"]  # the data set's T1 outcomes
        assert history(wh, "2026-BO").empty
        stored = dict(wh.rows("SELECT org_id, changed_by FROM v_round_state WHERE period = ?", (PERIOD,)))
        assert stored == {"NAMN_A": PEOPLE["reporter"], "NAMN_B": PEOPLE["controller"]}


def test_ready_and_approve_name_the_missing_items(logins: Logins) -> None:
    with logins.as_("controller") as wh:
        change = mark_ready(wh, "NAMN_A", PERIOD)
        assert change.missing == (  # by indicator id: I_G, I_L, I_T
            "Utfall: Sjukfrånvaro",
            "Utfall: Antal olyckor",
            "Utfall: Andel nöjda brukare",
            "Status för aktivitet: Fler aktiviteter för äldre",
            f"Status för aktivitet: {HOSTILE_TITLE}",
            "Förvaltningschefens kommentar",
        )
        assert approve(wh, "NAMN_A", PERIOD).missing == change.missing
        assert mark_ready(wh, "NAMN_B", PERIOD).missing == ()
        assert approve(wh, "NAMN_A", PERIOD, undo=True).missing == ()  # undoing warns about nothing


# -- who may do what -------------------------------------------------------------------------------

# (who, action, organisation, allowed). "load" loads one outcome of the organisation; "shared" loads a
# shared file (deadlines). A reporter of another organisation, a reader, an expired reporter, a login
# without a row and the owner (once users names an admin) are refused.
WHO_MAY = [
    ("reporter", "ready", "NAMN_A", True),
    ("reporter", "ready", "NAMN_B", False),
    ("reporter", "approve", "NAMN_A", False),
    ("reporter", "load", "NAMN_A", True),
    ("reporter", "load", "NAMN_B", False),
    ("reporter", "shared", None, False),
    ("controller", "ready", "NAMN_B", True),
    ("controller", "approve", "NAMN_A", True),
    ("controller", "approve", "BOL_C", False),
    ("controller", "load", "NAMN_B", True),
    ("controller", "load", "BOL_C", False),
    ("controller", "shared", None, False),
    ("other", "ready", "NAMN_A", False),
    ("other", "load", "NAMN_A", False),
    ("other", "ready", "BOL_C", True),
    ("other", "approve", "BOL_C", False),
    ("admin", "ready", "BOL_D", True),
    ("admin", "approve", "BOL_D", True),
    ("admin", "load", "BOL_D", True),
    ("admin", "shared", None, True),
    ("reader", "ready", "NAMN_A", False),
    ("reader", "load", "NAMN_A", False),
    ("expired", "ready", "NAMN_B", False),
    ("expired", "load", "NAMN_B", False),
    ("stranger", "ready", "NAMN_A", False),
    ("stranger", "load", "NAMN_A", False),
    ("owner", "shared", None, False),
    ("owner", "ready", "NAMN_A", False),
]


def _attempt(wh, action: str, org: str | None, tmp_path: Path, n: int):
    if action == "ready":
        return mark_ready(wh, org, PERIOD)
    if action == "approve":
        return approve(wh, org, PERIOD)
    if action == "load":
        return load_dir(wh, outcome_dir(tmp_path, org, f"may{n}"))
    d = tmp_path / f"shared{n}"
    d.mkdir()
    (d / "deadlines.csv").write_text("period;kind;deadline\n2026-BO;;2027-02-15\n", encoding="utf-8")
    return load_dir(wh, d)


def test_who_may_do_what(logins: Logins, wh_url: str, tmp_path: Path) -> None:
    for n, (who, action, org, allowed) in enumerate(WHO_MAY):
        if action == "approve":  # approving needs a ready mark: the admin makes it
            with logins.as_("admin") as wh:
                if state(wh, org, PERIOD) != "klar":
                    mark_ready(wh, org, PERIOD)
        ctx = connect(wh_url) if who == "owner" else logins.as_(who)
        with ctx as wh:
            before = snapshot(wh)
            if allowed:
                result = _attempt(wh, action, org, tmp_path, n)
                assert getattr(result, "ok", True), (who, action, org)
                assert snapshot(wh) != before, (who, action, org)
            else:
                with pytest.raises(AccessDeniedError) as err:
                    _attempt(wh, action, org, tmp_path, n)
                message = str(err.value)
                assert err.value.exit_code == 4
                assert "\n" not in message
                if org is not None:
                    assert org in message, message
                assert "needs the role" in message, message
                assert snapshot(wh) == before, f"{who} {action} {org}: something was written"
        if action in ("ready", "approve"):  # back to where it was, for the next rows
            with logins.as_("admin") as wh:
                if state(wh, org, PERIOD) == "godkand":
                    approve(wh, org, PERIOD, undo=True)
                if state(wh, org, PERIOD) == "klar":
                    mark_ready(wh, org, PERIOD, undo=True)


def test_a_refused_load_is_recorded(logins: Logins, tmp_path: Path) -> None:
    with logins.as_("reporter") as wh:
        with pytest.raises(AccessDeniedError, match=r"outcomes.csv: 'STAD\\anna' may not load reporting data "
                           r"for organisation NAMN_B: that needs the role reporter or controller"):  # fmt: skip
            load_dir(wh, outcome_dir(tmp_path, "NAMN_B"))
        rec = wh.rows("SELECT outcome, user_name, message FROM v_load ORDER BY started_at DESC")[0]
        assert rec[:2] == ("refused", PEOPLE["reporter"])
        assert "NAMN_B" in rec[2]
        assert wh.scalar("SELECT COUNT(*) FROM v_outcome WHERE period = ?", (PERIOD,)) == 1  # only NAMN_B's own


def test_the_owner_acts_as_admin_only_while_users_names_no_active_admin(
    wh_url: str, backend: str, tmp_path: Path
) -> None:
    from round_support import write_dataset

    with connect(wh_url) as wh:
        r = rights.rights(wh)
        assert r.is_admin and r.owner_as_admin and "owner of the warehouse" in r.describe()
        # every file but users: the owner sets the warehouse up
        assert load_dir(wh, write_dataset(tmp_path / "setup", without=("users",))).ok
        d = tmp_path / "users"
        d.mkdir()
        (d / "users.csv").write_text(
            "user_id;name;email;role;org_id;valid_to\nadam;Adam;;admin;;2020-01-31\n", encoding="utf-8"
        )
        assert load_dir(wh, d).ok  # an admin whose valid_to has passed: the owner still acts as one
    with connect(wh_url) as wh:
        assert rights.rights(wh).owner_as_admin
        (d / "users.csv").write_text("user_id;name;email;role;org_id;valid_to\nadam;Adam;;admin;;\n", encoding="utf-8")
        assert load_dir(wh, d).ok
    with connect(wh_url) as wh:
        r = rights.rights(wh)
        assert not r.is_admin and r.describe() == "no role in users"
        with pytest.raises(AccessDeniedError, match="needs the role admin"):
            load_dir(wh, d)
        with pytest.raises(AccessDeniedError, match="may not mark the reporting ready for organisation NAMN_A"):
            mark_ready(wh, "NAMN_A", PERIOD)


def test_rights_describe_the_roles() -> None:
    g = [
        rights.Grant("carl@stad.se", "Carl", None, "controller", "NAMN_B", None),
        rights.Grant("carl@stad.se", "Carl", None, "controller", "NAMN_A", "2026-12-31"),
        rights.Grant("carl@stad.se", "Carl", None, "reader", None, None),
    ]
    r = rights.Rights("carl@stad.se", tuple(g))
    assert r.describe() == "controller of NAMN_A, NAMN_B; reader"
    assert r.may_approve("NAMN_A") and r.may_report("NAMN_B") and not r.may_report("BOL_C") and not r.is_admin
    assert g[1].active("2026-12-31") and not g[1].active("2027-01-01")


# -- through the command ---------------------------------------------------------------------------


def test_the_commands_as_a_reporter_and_a_controller(logins: Logins, backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("the commands are exercised on the embedded backend; the library on all")
    rep, ctl, other = logins.env("reporter"), logins.env("controller"), logins.env("other")
    p = ils("ready", "--period", PERIOD, "--org", "NAMN_A", env=rep)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "NAMN_A 2026-T2: marked ready (Ej påbörjad -> Klarmarkerad, by STAD\\anna)"
    assert p.stderr.splitlines()[0] == "warning: 6 required items still missing:"
    assert "  Utfall: Andel nöjda brukare" in p.stderr.splitlines()
    assert "  Förvaltningschefens kommentar" in p.stderr.splitlines()
    p = ils("approve", "--period", PERIOD, "--org", "NAMN_A", env=rep)
    assert p.returncode == 4 and "Traceback" not in p.stderr
    assert p.stderr.strip() == (
        "ils: error: 'STAD\\anna' may not approve the reporting for organisation NAMN_A: that needs the role "
        "controller of the organisation (or admin) (you are: reporter of NAMN_A); an administrator grants it in users"
    )
    p = ils("ready", "--period", PERIOD, "--org", "NAMN_A", env=other)
    assert p.returncode == 4 and "may not mark the reporting ready for organisation NAMN_A" in p.stderr
    p = ils("approve", "--period", PERIOD, "--org", "NAMN_A", env=ctl)
    assert p.returncode == 0 and p.stdout.startswith("NAMN_A 2026-T2: approved (Klarmarkerad -> Godkänd, by carl@")
    p = ils("approve", "--period", PERIOD, "--org", "NAMN_A", env=ctl)
    assert p.returncode == 2 and p.stderr.strip() == "ils: error: NAMN_A 2026-T2 is already approved"
    p = ils("load", str(outcome_dir(tmp_path, "NAMN_A")), env=rep)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == (
        "NAMN_A 2026-T2 was approved; this load sets it back to in progress: it is marked ready and approved "
        "again (ils ready, then ils approve --period 2026-T2 --org NAMN_A)"
    )
    p = ils("load", str(outcome_dir(tmp_path, "BOL_C")), env=rep)
    assert p.returncode == 4 and "Traceback" not in p.stderr
    assert (
        p.stderr.strip()
        .splitlines()[-1]
        .startswith("ils: error: outcomes.csv: 'STAD\\anna' may not load reporting data for organisation BOL_C")
    )
    d = tmp_path / "orgs"
    d.mkdir()
    (d / "organisations.csv").write_text("org_id;name;kind\nNY;Ny;namnd\n", encoding="utf-8")
    p = ils("load", str(d), env=rep)
    assert p.returncode == 4
    assert "may not load organisations.csv: shared data" in p.stderr and "needs the role admin" in p.stderr
    p = ils("log", "--period", PERIOD, "--org", "NAMN_A", env=rep)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "Händelser i inrapporteringen NAMN_A 2026-T2 (3):"
    assert re.search(r"NAMN_A  Klarmarkerad +STAD\\anna +Ej påbörjad -> Klarmarkerad$", lines[1]), lines[1]
    assert re.search(r"NAMN_A  Godkänd +carl@stad.se +Klarmarkerad -> Godkänd$", lines[2]), lines[2]
    assert "Inläsning" in lines[3] and "Godkänd -> Pågående  (inläsning " in lines[3]
    p = ils("log", "--period", PERIOD, "--format", "csv", env=rep)
    assert p.stdout.splitlines()[0] == "tid;vem;händelse;organisation;period;från;till;detalj"
    assert ";Klarmarkerad;NAMN_A;2026-T2;Ej påbörjad;Klarmarkerad;" in p.stdout
