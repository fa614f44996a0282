"""What reruns what: a report's input is what its queries read, recorded as they run.

``ils run`` keeps, in each report's state, every warehouse read the report
made (statement, parameters, a digest of the rows) and reruns the report
only when one of those reads returns something else. These tests change rows
straight in the warehouse, on the embedded warehouse and on PostgreSQL over
ODBC, and check which reports the plan reruns and what the rerun shows:

- a figure that exists only in a test notebook, reading a table no figure of
  the library reads, is covered without being registered anywhere;
- a company goal that concretises the group's goal: the group goal's title and
  parent are shown in the company's report, so changing them reruns it;
- the precision stays: a comment reruns its report and its kind's group
  report, a ledger row of an organisation no report compares reruns nothing,
  a load record reruns nothing;
- a report run beside others of its kind records exactly what it reads when run alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

PERIOD = "2026-T2"
READ_BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


@pytest.fixture(params=READ_BACKENDS)
def demo_db(request, demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A private demo warehouse that the test may change, as ILS_WAREHOUSE: a copy, or built in PostgreSQL."""
    if request.param == "sqlite":
        db = tmp_path / "demo.sqlite"
        shutil.copyfile(demo_url.removeprefix("sqlite:///"), db)
        url = f"sqlite:///{db}"
    else:
        from conftest import _pg_database_url

        from ilslib import demo

        url = _pg_database_url(request, monkeypatch)
        demo.build(url)
    monkeypatch.setenv("ILS_WAREHOUSE", url)
    return url


def sql(url: str, statement: str, params: tuple = ()) -> int:
    """Change rows straight in the warehouse (as another tool would); the row count."""
    import ilslib

    with ilslib.connect(url) as wh:
        return wh.execute(statement, params)


def planned(out: Path, **kw) -> tuple[set[str], set[str]]:
    """``(to run, unchanged)`` labels of a plan."""
    from ilslib.runner.batch import RunRequest, plan

    p = plan(RunRequest(period=PERIOD, out=str(out), **kw))
    return {j.label for j in p.jobs}, {j.label for j in p.unchanged}


def run_ok(ils, *args: object) -> str:
    code, _, err = ils("run", "--period", PERIOD, *args)
    assert code == 0, err
    return err


# -- a figure nobody registered --------------------------------------------------------------

FIGURE_MODULE = '''
"""A figure of a city's own: its holidays, from a table of its own (no figure of ilslib reads it)."""


def holidays(wh, year):
    return wh.query("SELECT dag, namn FROM x_helgdag WHERE dag >= ? AND dag <= ? ORDER BY dag",
                    (f"{year}-01-01", f"{year}-12-31"))
'''

FIGURE_NOTEBOOK = """# %% tags=["parameters"]
org_id = "ALN"
period = "latest"

# %%
import ilslib
from ilslib.notebooks import study_module
from ilslib.report.present import paragraph, publish_meta, show

holidays = study_module("helgdagar").holidays  # the figure module beside the notebook

wh = ilslib.connect()
days = holidays(wh, str(period)[:4])
publish_meta(title=f"Helgdagar {org_id}", figures={"org_id": org_id, "holidays": days["namn"].tolist()})
show(paragraph(", ".join(days["namn"])))
"""


def test_a_new_figure_needs_no_registration(ils, demo_db, tmp_path):
    sql(demo_db, "CREATE TABLE x_helgdag (dag VARCHAR(10) PRIMARY KEY, namn VARCHAR(100) NOT NULL)")
    for day, name in (("2026-06-06", "Sveriges nationaldag"), ("2026-12-24", "Julafton"), ("2019-06-06", "Gammal")):
        sql(demo_db, "INSERT INTO x_helgdag (dag, namn) VALUES (?, ?)", (day, name))
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "helgdagar.py").write_text(FIGURE_MODULE, encoding="utf-8")
    notebook = tmp_path / "nb" / "helgdag.py"
    notebook.write_text(FIGURE_NOTEBOOK, encoding="utf-8")
    out = tmp_path / "out"
    run_ok(ils, "--notebook", notebook, "--org", "ALN", "--org", "IDN", "--out", out)
    run_ok(ils, "--org", "TEATER", "--out", out)
    study = {"2026-T2/ALN", "2026-T2/IDN"}
    assert planned(out, orgs=["ALN", "IDN"], notebook=str(notebook)) == (set(), study)
    state = json.loads((out / "_studier" / "helgdag" / PERIOD / "ALN" / ".ils-state.json").read_text("utf-8"))
    assert any("x_helgdag" in r[0] for r in state["reads"]), "the new figure's read is recorded"

    # A row the figure does not read (another year): nothing reruns.
    sql(demo_db, "UPDATE x_helgdag SET namn = ? WHERE dag = ?", ("Gammal 2", "2019-06-06"))
    assert planned(out, orgs=["ALN", "IDN"], notebook=str(notebook)) == (set(), study)
    # A row it reads: the reports that show it rerun, a report that does not read the table does not.
    sql(demo_db, "UPDATE x_helgdag SET namn = ? WHERE dag = ?", ("Nationaldagen & <flaggdag>", "2026-06-06"))
    assert planned(out, orgs=["ALN", "IDN"], notebook=str(notebook)) == (study, set())
    assert planned(out, orgs=["TEATER"]) == (set(), {"2026-T2/TEATER"})
    err = run_ok(ils, "--notebook", notebook, "--org", "ALN", "--org", "IDN", "--out", out)
    assert "2 done, 0 unchanged" in err
    doc = json.loads((out / "_studier" / "helgdag" / PERIOD / "IDN" / "figures.json").read_text("utf-8"))
    assert doc["holidays"] == ["Nationaldagen & <flaggdag>", "Julafton"]
    html = (out / "_studier" / "helgdag" / PERIOD / "IDN" / "report.html").read_text("utf-8")
    assert "Nationaldagen &amp; &lt;flaggdag&gt;" in html


# -- what reruns what, on the real reports ---------------------------------------------------------


def test_what_reruns_what(ils, demo_db, tmp_path):
    """The cross-organisation goal, and the precision of the reruns, on the real report notebooks."""
    import ilslib
    import ilslib.figures as f

    # ENERGI's goal concretises the group's goal KONCERN-M1 (which concretises KF goal KF6).
    assert sql(demo_db, "UPDATE ils_goal SET parent_goal_id = ? WHERE goal_id = ?", ("KONCERN-M1", "ENERGI-M2")) == 1
    out = tmp_path / "out"
    orgs = ["ALN", "IDN", "ENERGI", "TEATER"]
    run_ok(ils, *[a for o in orgs for a in ("--org", o)], "--out", out)
    run_ok(ils, "--notebook", "group_report", "--kind", "namnd", "--kind", "bolag", "--out", out)
    labels = {f"2026-T2/{o}" for o in orgs}
    groups = {"2026-T2/_grupp/namnd", "2026-T2/_grupp/bolag"}

    def plan_all() -> set[str]:
        todo, same = planned(out, orgs=orgs)
        gtodo, gsame = planned(out, kinds=["namnd", "bolag"], notebook="group_report")
        assert todo | same == labels and gtodo | gsame == groups
        return todo | gtodo

    assert plan_all() == set()
    tree = (out / PERIOD / "ENERGI" / "report.html").read_text("utf-8")
    assert "Energianvändningen i fastighetsbeståndet minskar" in tree  # the group's goal, in the company's tree

    # A load record (provenance, not data) and a ledger row of an organisation that no report here
    # reads or compares (STAD, the kommun): nothing reruns.
    sql(
        demo_db,
        "INSERT INTO ils_load (load_id, started_at, finished_at, user_name, host_name, source, outcome, "
        "rows_inserted, rows_replaced, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("L-test", "2026-11-30T10:00:00", "2026-11-30T10:00:01", "åsa", "host", "/data/x", "ok", 1, 0, None),
    )
    with ilslib.connect(demo_db) as wh:
        month_row = wh.rows(
            "SELECT account FROM v_ledger WHERE org_id = ? AND month = ? ORDER BY account", ("STAD", "2026-03")
        )[0]
    n = sql(
        demo_db,
        "UPDATE ils_ledger SET outcome = outcome + 1000 WHERE org_id = ? AND month = ? AND account = ?",
        ("STAD", "2026-03", month_row[0]),
    )
    assert n == 1
    assert plan_all() == set()

    # A comment of one organisation: its report only. The group report shows no comment (nor the members'
    # data hashes), so it does not read one and does not rerun: finer than the old list, which reran it.
    n = sql(
        demo_db,
        "UPDATE ils_comment SET text = text || ? WHERE org_id = ? AND period = ?",
        (" Tillägg ”citat” & <b>.", "ALN", PERIOD),
    )
    assert n > 0
    assert plan_all() == {"2026-T2/ALN"}
    run_ok(ils, "--org", "ALN", "--out", out)
    assert plan_all() == set()

    # The group's goal changes title and parent: the company's report shows both (its goal tree and the
    # KF goal its own goal concretises), so it reruns; so does every report that reads the goal model.
    with ilslib.connect(demo_db) as wh:
        before = f.figures_json(wh, "ENERGI", PERIOD)
    assert {g["goal_id"]: g["kf_goal_id"] for g in before["goals"]}["ENERGI-M2"] == "KF6"
    sql(
        demo_db,
        "UPDATE ils_goal SET title = ?, parent_goal_id = ? WHERE goal_id = ?",
        ("Koncernens energimål – ny lydelse", "KF8", "KONCERN-M1"),
    )
    assert "2026-T2/ENERGI" in plan_all()
    err = run_ok(ils, *[a for o in orgs for a in ("--org", o)], "--out", out)
    assert "2026-T2/ENERGI" in err
    html = (out / PERIOD / "ENERGI" / "report.html").read_text("utf-8")
    assert "Koncernens energimål – ny lydelse" in html
    doc = json.loads((out / PERIOD / "ENERGI" / "figures.json").read_text("utf-8"))
    assert {g["goal_id"]: g["kf_goal_id"] for g in doc["goals"]}["ENERGI-M2"] == "KF8"
    with ilslib.connect(demo_db) as wh:
        assert doc["provenance"]["data_hash"] == f.data_hash(wh, "ENERGI", PERIOD) != before["provenance"]["data_hash"]


# -- a report among others ----------------------------------------------------------------------------


def test_a_report_among_others_records_what_it_reads_alone(ils, demo, tmp_path):
    """ALN run with IDN (a batch of one kind) and alone: the same record of what it read."""
    run_ok(ils, "--org", "ALN", "--org", "IDN", "--out", tmp_path / "two")
    run_ok(ils, "--org", "ALN", "--out", tmp_path / "one")
    a, b = (json.loads((tmp_path / d / PERIOD / "ALN" / ".ils-state.json").read_text("utf-8")) for d in ("two", "one"))
    assert a["reads"] == b["reads"] and a["data_digest"] == b["data_digest"]
    assert len(a["reads"]) > 20


def test_reads_of_the_load_records_are_not_recorded(demo):
    from ilslib import connect, figures, warehouse

    with connect() as wh, warehouse.reading() as log:
        figures.loads(wh)
        figures.organisation(wh, "ALN")
    assert [e[0] for e in log.entries()] and not any("v_load" in e[0] for e in log.entries())


def test_read_digests_are_the_same_on_every_backend_and_follow_the_rows(wh):
    """Numbers to 15 significant digits, rows in any order, a date and its ISO text alike; a failed read is one too."""
    import datetime

    from ilslib import warehouse

    wh.execute("CREATE TABLE x_t (k VARCHAR(10), v DECIMAL(20, 4), d DATE)")
    wh.execute("INSERT INTO x_t (k, v, d) VALUES (?, ?, ?)", ("a", 0.1, datetime.date(2026, 1, 2)))
    wh.execute("INSERT INTO x_t (k, v, d) VALUES (?, ?, ?)", ("b", 12345678.25, None))
    with warehouse.reading() as log:
        wh.rows("SELECT k, v, d FROM x_t WHERE k >= ?", ("a",))
        with pytest.raises(ilslib_errors().WarehouseError):
            wh.rows("SELECT nothing FROM x_missing")
    (first, failed) = sorted(log.entries(), key=lambda e: e[0])
    assert failed[2] == "error"
    expected = warehouse.rows_digest([("b", 12345678.25, None), ("a", 0.1, "2026-01-02")])
    assert first[2] == expected, "the same digest whatever the backend's types and the rows' order"
    assert wh.read_digest(first[0], first[1]) == expected
    wh.execute("UPDATE x_t SET v = ? WHERE k = ?", (12345678.26, "b"))
    assert wh.read_digest(first[0], first[1]) != expected
    assert wh.read_digest("SELECT nothing FROM x_missing", []) == "error"


def ilslib_errors():
    import ilslib.errors

    return ilslib.errors
