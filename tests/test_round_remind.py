"""``ils remind``: who is reminded, the Swedish text, and sending through a real SMTP server on 127.0.0.1.

The server is aiosmtpd (``tests/smtp_support.py``): plain, with STARTTLS and a
certificate from a CA made in the test (the client verifies it against the
configured ``cafile``), with a login, refusing a recipient. The data is the
hand-made round of ``tests/round_support.py`` with more reporters (below); the
logins are real (the OS user on SQLite, login roles on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from round_support import HOSTILE_TITLE, PEOPLE, PERIOD, Logins, database_of, load_dataset, pg_roles
from smtp_support import PASSWORD, USER, Relay, free_port, write_config

from ilslib import config, connect
from ilslib.config import SmtpSettings
from ilslib.errors import AccessDeniedError, ConfigError
from ilslib.load import load_dir
from ilslib.round import remind
from ilslib.round.state import history, mark_ready

#: Reporters beside the data set's: Anna reports for NAMN_A and BOL_D (one message about both); BOL_C has
#: Bo without an address and one whose address the relay refuses in one test; BOL_D also Örjan.
#: NAMN_B's only reporter (eva) is no longer valid: nobody to remind.
MORE_USERS = """user_id;name;email;role;org_id;valid_to
STAD\\anna;Anna Andersson;anna@stad.se;reporter;BOL_D;
vera@stad.se;Vera Vrång;avvisad@stad.se;reporter;BOL_C;
orjan;Örjan Öst;orjan@stad.se;reporter;BOL_D;
"""
TODAY = dt.date(2026, 9, 20)  # after both deadlines: 2026-09-08 (bolag) and 2026-09-15 (the others)
NAMN_A_MISSING = [  # in indicator id order: I_G, I_L, I_T
    "Utfall: Sjukfrånvaro",
    "Utfall: Antal olyckor",
    "Utfall: Andel nöjda brukare",
    "Status för aktivitet: Fler aktiviteter för äldre",
    f"Status för aktivitet: {HOSTILE_TITLE}",
    "Förvaltningschefens kommentar",  # a board's vd_kommentar: the heading its report gives it
]


def _round(url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg=None) -> Logins:
    """The hand-made round and the reporters above in the (fresh) warehouse at ``url``."""
    load_dataset(url, tmp_path)
    if pg is not None:
        pg_roles(pg, database_of(url))
    lg = Logins(url, backend, monkeypatch)
    d = tmp_path / "users"
    d.mkdir()
    (d / "users.csv").write_text(MORE_USERS, encoding="utf-8")
    with lg.as_("admin") as wh:
        result = load_dir(wh, d)
        assert result.ok, [str(r) for r in result.rejects]
    return lg


@pytest.fixture
def logins(wh_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request) -> Logins:
    """The round on every backend, and connections as each person."""
    pg = request.getfixturevalue("pg_cluster") if backend == "postgresql" else None
    return _round(wh_url, backend, tmp_path, monkeypatch, pg)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Logins:
    """The same round on the embedded warehouse, for the command (run in this process as one of PEOPLE)."""
    from ilslib.schema import init_schema

    url = f"sqlite:///{tmp_path / 'round.sqlite'}"
    with connect(url, create=True, check_schema=False) as wh:
        init_schema(wh)
    lg = _round(url, "sqlite", tmp_path, monkeypatch)
    monkeypatch.setenv("ILS_WAREHOUSE", url)
    return lg


def as_login(monkeypatch: pytest.MonkeyPatch, who: str) -> None:
    """Be ``who`` (a key of PEOPLE) for the ``ils`` command run in this process: the OS user on SQLite."""
    monkeypatch.setenv("LOGNAME", PEOPLE.get(who, who))
    monkeypatch.setenv("USER", PEOPLE.get(who, who))


def settings(port: int, **more) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", port, more.pop("starttls", False), "ils@stad.example", timeout=10, **more)


def reminded(wh) -> list[tuple[str, str, str, str]]:
    """The remind events: (organisation, who sent, action, detail)."""
    h = history(wh, PERIOD)
    h = h[h["action"] == "remind"]
    return sorted(zip(h["org_id"], h["user_name"], h["action"], h["detail"], strict=True))


# -- who is reminded, and the text ---------------------------------------------------------------------


def test_who_is_reminded_and_the_letters(logins: Logins) -> None:
    with logins.as_("reader") as wh:  # a reader may see who would be reminded; planning writes nothing
        before = len(history(wh))
        plan = remind.plan(wh, PERIOD, today=TODAY)
        assert len(history(wh)) == before
    assert [(d.org_id, d.state, d.days_left) for d in plan.due] == [
        ("BOL_C", "ej_paborjad", -12),  # the deadline passed longest ago first
        ("BOL_D", "ej_paborjad", -12),
        ("NAMN_A", "ej_paborjad", -5),
        ("NAMN_B", "pagaende", -5),
    ]
    by = {d.org_id: d for d in plan.due}
    assert by["NAMN_A"].missing == NAMN_A_MISSING
    assert [r.user_id for r in by["BOL_C"].contacts.reporters] == ["bo.berg", "vera@stad.se"]
    assert [r.user_id for r in by["BOL_C"].contacts.unreachable] == ["bo.berg"]
    assert by["NAMN_B"].contacts.reporters == ()  # eva's valid_to has passed
    assert remind.unreachable(plan) == ["NAMN_B"]
    # one letter per address: Anna's is about both her organisations
    assert [(lt.to, [d.org_id for d in lt.key[1]]) for lt in plan.letters] == [
        ("avvisad@stad.se", ["BOL_C"]),
        ("anna@stad.se", ["BOL_D", "NAMN_A"]),
        ("orjan@stad.se", ["BOL_D"]),
    ]
    anna = plan.letters[1]
    assert anna.subject == "Påminnelse: inrapportering Tertialrapport 2 2026 – 2 organisationer, 2 försenade"
    body = anna.body
    assert body.startswith("Hej Anna Andersson!\n")
    assert "=1+2 Tomma bolaget AB (BOL_D)\n  Sista dag: 8 september 2026 – den passerades för 12 dagar sedan." in body
    assert "Äldrenämnden (NAMN_A)\n  Sista dag: 15 september 2026 – den passerades för 5 dagar sedan." in body
    assert "  Ifyllt: 0 av 6 uppgifter (0 %)." in body
    for item in NAMN_A_MISSING:  # every missing item by name, the hostile title as plain text
        assert f"    - {item}\n" in body
    assert "ils template --period 2026-T2 --org BOL_D" in body and "inrapportering_NAMN_A_2026-T2.xlsx" in body
    assert "  Controller: Carl Ceder" in body  # NAMN_A's controller in users
    assert all(len(line) <= 80 for line in body.splitlines() if not line.startswith("    - "))


def test_days_before_and_periods_without_a_deadline(logins: Logins) -> None:
    with logins.as_("reader") as wh:
        soon = remind.plan(wh, PERIOD, days_before=5, today=dt.date(2026, 9, 5))  # bolag in 3 days, the rest in 10
        later = remind.plan(wh, PERIOD, days_before=10, today=dt.date(2026, 9, 5))
        passed = remind.plan(wh, PERIOD, days_before=0, today=dt.date(2026, 9, 15))  # the deadline day counts
        t1 = remind.plan(wh, "2026-T1", days_before=30, today=TODAY)
        t1_all = remind.plan(wh, "2026-T1", today=TODAY)
        with pytest.raises(ConfigError, match="--days-before must be zero or more"):
            remind.plan(wh, PERIOD, days_before=-1)
    assert [d.org_id for d in soon.due] == ["BOL_C", "BOL_D"]
    assert [d.org_id for d in later.due] == ["BOL_C", "BOL_D", "NAMN_A", "NAMN_B"]
    assert [(d.org_id, d.days_left) for d in passed.due] == [
        ("BOL_C", -7),
        ("BOL_D", -7),
        ("NAMN_A", 0),
        ("NAMN_B", 0),
    ]
    assert "  Sista dag: 15 september 2026, i dag." in passed.letters[1].body
    assert t1.due == [] and t1.without_deadline == ["BOL_C", "BOL_D", "NAMN_A", "NAMN_B"]  # 2026-T1 has none
    assert [d.days_left for d in t1_all.due] == [None] * 4  # without --days-before they are reminded all the same
    assert "Sista dag: ingen sista dag är inlagd för perioden." in t1_all.letters[0].body


def test_ready_organisations_are_not_reminded(logins: Logins) -> None:
    with logins.as_("controller") as wh:
        mark_ready(wh, "NAMN_A", PERIOD)
        plan = remind.plan(wh, PERIOD, today=TODAY)
    assert [d.org_id for d in plan.due] == ["BOL_C", "BOL_D", "NAMN_B"]
    assert [[d.org_id for d in lt.key[1]] for lt in plan.letters if lt.to == "anna@stad.se"] == [["BOL_D"]]


# -- sending, on every backend -------------------------------------------------------------------------


def test_send_one_message_per_reporter_and_record_each(logins: Logins, tmp_path: Path) -> None:
    with Relay(tmp_path) as relay, logins.as_("admin") as wh:
        plan = remind.plan(wh, PERIOD, today=TODAY)
        sent = remind.send_reminders(wh, plan, settings(relay.port))
        events = reminded(wh)
    assert sent.ok and len(sent.delivery.sent) == 3
    assert [(m.mail_from, m.rcpt_tos) for m in relay.received] == [
        ("ils@stad.example", ["avvisad@stad.se"]),
        ("ils@stad.example", ["anna@stad.se"]),
        ("ils@stad.example", ["orjan@stad.se"]),
    ]
    orjan = relay.received[2].message
    assert str(orjan["To"]) == "Örjan Öst <orjan@stad.se>" and str(orjan["From"]) == "ils@stad.example"
    assert str(orjan["Subject"]) == (
        "Påminnelse: inrapporteringen av Tertialrapport 2 2026 är försenad – =1+2 Tomma bolaget AB"
    )
    assert orjan["Message-ID"] and orjan["Date"] and orjan["Auto-Submitted"] == "auto-generated"
    assert relay.received[1].body == plan.letters[1].body  # exactly the text that was listed
    admin = PEOPLE["admin"]
    assert events == [
        ("BOL_C", admin, "remind", "till avvisad@stad.se (vera@stad.se): 3 saknas, sista dag 2026-09-08"),
        ("BOL_D", admin, "remind", "till anna@stad.se (STAD\\anna): 1 saknas, sista dag 2026-09-08"),
        ("BOL_D", admin, "remind", "till orjan@stad.se (orjan): 1 saknas, sista dag 2026-09-08"),
        ("NAMN_A", admin, "remind", "till anna@stad.se (STAD\\anna): 6 saknas, sista dag 2026-09-15"),
    ]


def test_a_controller_reminds_the_organisations_it_follows(logins: Logins, tmp_path: Path) -> None:
    with Relay(tmp_path) as relay:
        with logins.as_("controller") as wh:  # carl follows NAMN_A and NAMN_B
            plan = remind.plan(wh, PERIOD, today=TODAY)
            sent = remind.send_reminders(wh, plan, settings(relay.port))
            assert sent.plan.not_followed == ["BOL_C", "BOL_D"]
            with pytest.raises(AccessDeniedError, match=r"may not send reminders for organisation BOL_C: .*controller"):
                remind.send_reminders(
                    wh, remind.plan(wh, PERIOD, org_ids=["BOL_C"], today=TODAY), settings(relay.port), explicit=True
                )
        with logins.as_("reporter") as wh, pytest.raises(AccessDeniedError, match="may not send reminders"):
            remind.send_reminders(wh, remind.plan(wh, PERIOD, today=TODAY), settings(relay.port))
        with logins.as_("admin") as wh:
            events = reminded(wh)
    assert [m.rcpt_tos for m in relay.received] == [["anna@stad.se"]]  # about NAMN_A only; nobody for NAMN_B
    assert "=1+2 Tomma bolaget AB" not in relay.received[0].body
    assert [(e[0], e[1]) for e in events] == [("NAMN_A", PEOPLE["controller"])]


def test_a_refused_recipient_fails_alone(logins: Logins, tmp_path: Path) -> None:
    with Relay(tmp_path, refuse={"avvisad@stad.se"}) as relay, logins.as_("admin") as wh:
        sent = remind.send_reminders(wh, remind.plan(wh, PERIOD, today=TODAY), settings(relay.port))
        events = reminded(wh)
    assert not sent.ok
    assert [o.letter.to for o in sent.delivery.failed] == ["avvisad@stad.se"]
    assert sent.delivery.failed[0].error == (
        f"the SMTP relay 127.0.0.1:{relay.port} refused the recipient avvisad@stad.se: "
        "550 5.1.1 <avvisad@stad.se>: mailbox unavailable"
    )
    assert [m.rcpt_tos for m in relay.received] == [["anna@stad.se"], ["orjan@stad.se"]]  # the rest still sent
    assert [e[0] for e in events] == ["BOL_D", "BOL_D", "NAMN_A"]  # only what was sent is recorded


# -- the command, with the relay's settings from the config file ----------------------------------------


def _events(logins: Logins) -> int:
    with logins.as_("reader") as wh:
        return len(history(wh))


def test_the_command_lists_and_sends_nothing_without_send(cli, ils, isolated_env, tmp_path, monkeypatch) -> None:
    with Relay(tmp_path) as relay:
        write_config(isolated_env, relay.port)
        as_login(monkeypatch, "admin")
        before = _events(cli)
        code, out, err = ils("remind", "--period", PERIOD)
        assert relay.received == []  # nothing reached the server
    assert code == 0, err
    assert _events(cli) == before  # nothing recorded
    assert out.startswith("Reminders for 2026-T2 (Tertialrapport 2 2026) on ")
    assert ": 4 organisations not marked ready, 3 messages\n" in out.splitlines()[0] + "\n"
    assert "      reporter Bo Berg (bo.berg): no e-mail address in users, not reminded" in out
    assert "      reporter Vera Vrång <avvisad@stad.se> (vera@stad.se)" in out
    assert '  NAMN_B  Östra <stadsdelsnämnden> & "Co"  ◐ Pågående' in out
    assert "      no reporter in users: nobody to remind" in out
    assert out.count("--- message ") == 3 and "To: Örjan Öst <orjan@stad.se>" in out
    assert out.rstrip().endswith(
        f"Nothing was sent: add --send to send these 3 messages through 127.0.0.1:{relay.port}."
    )
    assert err == "warning: no message reaches NAMN_B: no reporter with an e-mail address in users\n"


def test_the_command_sends_and_says_what_failed(cli, ils, isolated_env, tmp_path, monkeypatch) -> None:
    as_login(monkeypatch, "admin")
    with Relay(tmp_path, refuse={"avvisad@stad.se"}) as relay:
        write_config(isolated_env, relay.port)
        code, out, err = ils("remind", "--period", PERIOD, "--send", "--brief")
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith("ils: error:")]
    assert errors == [
        f"ils: error: the SMTP relay 127.0.0.1:{relay.port} refused the recipient avvisad@stad.se: "
        "550 5.1.1 <avvisad@stad.se>: mailbox unavailable"
    ]
    assert "Traceback" not in err and "--- message" not in out
    assert "sent to anna@stad.se (BOL_D, NAMN_A)" in out and "sent to orjan@stad.se (BOL_D)" in out
    assert out.rstrip().endswith(
        f"Sent 2 of 3 reminders through 127.0.0.1:{relay.port}; not sent to avvisad@stad.se (the reason above)."
    )
    assert len(relay.received) == 2
    code, out, _ = ils("log", "--period", PERIOD, "--org", "NAMN_A")
    assert code == 0 and "Påminnelse" in out and "till anna@stad.se (STAD\\anna): 6 saknas" in out


def test_an_unreachable_relay_is_one_line_naming_it(cli, ils, isolated_env, monkeypatch) -> None:
    as_login(monkeypatch, "admin")
    port = free_port()  # nothing listens here
    write_config(isolated_env, port, timeout=3)
    before = _events(cli)
    code, out, err = ils("remind", "--period", PERIOD, "--send", "--brief")
    assert code == 1
    assert err.splitlines()[-1].startswith(f"ils: error: cannot connect to the SMTP relay 127.0.0.1:{port}: ")
    assert sum(line.startswith("ils: error:") for line in err.splitlines()) == 1  # once, not once per message
    assert "Traceback" not in err and "Sent 0 of 3 reminders" in out
    assert _events(cli) == before


def test_starttls_verified_against_the_cafile_and_a_login(cli, ils, isolated_env, tmp_path, monkeypatch) -> None:
    as_login(monkeypatch, "admin")
    with Relay(tmp_path, starttls=True, login=True) as relay:
        write_config(isolated_env, relay.port, starttls=True, user=USER, cafile=str(relay.cafile))
        monkeypatch.setenv(config.ENV_SMTP_PASSWORD, PASSWORD)
        code, out, err = ils("-v", "remind", "--period", PERIOD, "--send")
    assert code == 0, err
    assert len(relay.received) == 3  # the server requires STARTTLS before MAIL: these went encrypted
    assert relay.handler.logins and set(relay.handler.logins) == {(USER.encode(), PASSWORD.encode())}
    assert PASSWORD not in out + err  # never printed, not even with -v


def test_starttls_refuses_a_certificate_it_cannot_verify(cli, ils, isolated_env, tmp_path, monkeypatch) -> None:
    as_login(monkeypatch, "admin")
    with Relay(tmp_path, starttls=True) as relay:
        write_config(isolated_env, relay.port, starttls=True)  # no cafile: the system's CAs do not know the test CA
        code, out, err = ils("remind", "--period", PERIOD, "--send", "--brief")
        assert relay.received == []
    assert code == 1
    (line,) = [x for x in err.splitlines() if x.startswith("ils: error:")]
    assert line.startswith(f"ils: error: cannot verify the certificate of the SMTP relay 127.0.0.1:{relay.port}: ")
    assert "set [smtp] cafile in" in line


def test_a_wrong_password_is_named_and_never_shown(cli, ils, isolated_env, tmp_path, monkeypatch) -> None:
    as_login(monkeypatch, "admin")
    wrong = "fel-lösenord-4711"
    with Relay(tmp_path, starttls=True, login=True) as relay:
        write_config(isolated_env, relay.port, starttls=True, user=USER, cafile=str(relay.cafile))
        code, out, err = ils("remind", "--period", PERIOD, "--send", "--brief")  # no ILS_SMTP_PASSWORD
        assert code == 1 and f"login '{USER}' needs its password in ILS_SMTP_PASSWORD" in err
        monkeypatch.setenv(config.ENV_SMTP_PASSWORD, wrong)
        code, out, err = ils("remind", "--period", PERIOD, "--send", "--brief")
        assert relay.received == []
    assert code == 1
    assert f"ils: error: the SMTP relay 127.0.0.1:{relay.port} refused the login '{USER}': 535" in err
    assert wrong not in out + err


def test_the_command_refuses_before_sending(cli, ils, isolated_env, tmp_path, monkeypatch) -> None:
    with Relay(tmp_path) as relay:
        write_config(isolated_env, relay.port)
        as_login(monkeypatch, "reporter")
        code, out, err = ils("remind", "--period", PERIOD, "--send")
        assert code == 4 and err.startswith("ils: error: 'STAD\\anna' may not send reminders for organisations ")
        as_login(monkeypatch, "controller")
        code, out, err = ils("remind", "--period", PERIOD, "--org", "BOL_C", "--send")
        assert code == 4 and "may not send reminders for organisation BOL_C" in err
        assert relay.received == []
        code, out, err = ils("remind", "--period", PERIOD, "--send", "--brief")
        assert code == 0, err
        assert "left to their own controllers (you do not follow them): BOL_C, BOL_D" in out
        assert [m.rcpt_tos for m in relay.received] == [["anna@stad.se"]]


# -- the settings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("", r"no SMTP relay is configured: add an \[smtp\] table with host and sender"),
        ('[smtp]\nsender = "a@b.se"\n', r"\[smtp\]: 'host' is missing"),
        ('[smtp]\nhost = "relay"\n', r"\[smtp\]: 'sender' is missing"),
        (
            '[smtp]\nhost = "relay"\nsender = "a@b.se"\nport = "587"\n',
            r"'port' must be a whole number 1-65535, got '587'",
        ),
        ('[smtp]\nhost = "relay"\nsender = "a@b.se"\nport = 70000\n', r"'port' must be a whole number 1-65535"),
        ('[smtp]\nhost = "relay"\nsender = "a@b.se"\nstarttls = "yes"\n', r"'starttls' must be true or false"),
        ('[smtp]\nhost = "relay"\nsender = "inte en adress"\n', r"'sender' must be an e-mail address"),
        ('[smtp]\nhost = "relay"\nsender = "a@b.se"\npasword = "x"\n', r"unknown setting 'pasword'; valid: host, port"),
        (
            '[smtp]\nhost = "relay"\nsender = "a@b.se"\nstarttls = false\nuser = "ils"\n',
            r"'user' is set but starttls is false: the password would travel in clear text",
        ),
        (
            '[smtp]\nhost = "relay"\nsender = "a@b.se"\ncafile = "/nowhere/ca.pem"\n',
            r"'cafile' '/nowhere/ca.pem' is not a file",
        ),
        ('[smtp]\nhost = "smtp://relay"\nsender = "a@b.se"\n', r"'host' must be a host name or address"),
        ("smtp = 3\n", r"'smtp' must be a table"),
    ],
)
def test_bad_smtp_settings_are_one_line_naming_the_setting(isolated_env, table: str, message: str) -> None:
    path = isolated_env / ".config" / "ils" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        config.smtp_settings()
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_defaults_and_a_bad_setting_stops_the_command_first(cli, ils, isolated_env, monkeypatch) -> None:
    path = isolated_env / ".config" / "ils" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[smtp]\nhost = "relay.stad.se"\nsender = "ils@stad.se"\n', encoding="utf-8")
    s = config.smtp_settings()
    assert (s.host, s.port, s.starttls, s.user, s.cafile, s.timeout) == ("relay.stad.se", 587, True, None, None, 30.0)
    path.write_text('[smtp]\nhost = "relay.stad.se"\nsender = "ils@stad.se"\nstarttls = false\n', encoding="utf-8")
    assert config.smtp_settings().port == 25
    path.write_text('[smtp]\nhost = "relay.stad.se"\nport = 0\nsender = "ils@stad.se"\n', encoding="utf-8")
    as_login(monkeypatch, "admin")
    code, out, err = ils("remind", "--period", PERIOD, "--send")
    assert code == 2 and out == "" and err.count("\n") == 1 and "'port' must be a whole number" in err


def test_the_smtp_password_is_redacted_from_messages(monkeypatch) -> None:
    monkeypatch.setenv(config.ENV_SMTP_PASSWORD, "hemligt-123")
    assert config.redact("login failed for ils with hemligt-123") == "login failed for ils with ***"


# -- the demo ---------------------------------------------------------------------------------------------


def test_the_demo_has_reporters_to_remind_and_the_edge_cases(demo_url: str) -> None:
    with connect(demo_url) as wh:
        plan = remind.plan(wh, "2026-T2", today=dt.date(2026, 11, 27))
        soon = remind.plan(wh, "2026-T2", days_before=3, today=dt.date(2026, 11, 27))
    assert [d.org_id for d in soon.due] == ["EXN", "SBN"]  # the boards' deadline passed a week ago
    assert {d.org_id for d in plan.due} == {"EXN", "SBN", "HAMN", "PARK", "BESOK", "SJOTRAFIK", "KONST"}
    by = {d.org_id: d for d in plan.due}
    assert by["EXN"].contacts.problem == "Ingen rapporteringsansvarig finns i users: ingen kan påminnas"
    assert by["SBN"].contacts.problem.startswith("Rapporteringsansvarig utan e-postadress i users: ")
    assert len(by["HAMN"].contacts.reporters) == 1  # the earlier reporter's valid_to has passed
    assert all(lt.to.endswith("@malarvik.example") for lt in plan.letters)
    assert remind.unreachable(plan) == ["EXN"]
