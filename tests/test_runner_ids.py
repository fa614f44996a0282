"""One identifier rule for the batch: whatever ids the warehouse holds, a batch never stops because of one.

The ids are written straight into the warehouse (as another tool, or an older
loader, could have): ``SDN_ÖST`` and ``con`` are valid identifiers (``con``
gets the folder ``~con``, a name Windows file shares accept); an id with a
zero-width space and ``..`` are not, and their reports fail alone, with the
reason, while every other report and the group reports are made (exit 1).
Ids given on the command line are checked first and stop the run (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_runner_reads import demo_db, sql  # noqa: F401  (the fixture: a private demo, SQLite or PostgreSQL)

REPO = Path(__file__).resolve().parents[1]
SLEEPS = REPO / "tests" / "notebooks" / "sleeps.ipynb"
PERIOD = "2026-T2"
VALID = {"SDN_ÖST": "SDN_ÖST", "con": "~con"}  # id -> its folder
INVALID = {
    "SDN\u200bOST": "the character U+200B (ZERO WIDTH SPACE) is not allowed in an identifier",
    "..": "'..' is not an identifier",
}


def add_boards(url: str) -> None:
    for org_id in [*VALID, *INVALID]:
        sql(
            url,
            "INSERT INTO ils_organisation (org_id, name, kind, parent_id) VALUES (?, ?, ?, ?)",
            (org_id, f"Nämnd {org_id}", "namnd", "STAD"),
        )


def count(url: str, kind: str | None = None) -> int:
    import ilslib
    import ilslib.figures as f

    with ilslib.connect(url) as wh:
        return len(f.organisations(wh, kind))


def summary(err: str) -> str:
    return [ln for ln in err.splitlines() if " done, " in ln and "unchanged" in ln][-1]


def check_batch(out: Path, err: str, n_done: int) -> None:
    """Every valid organisation done, each invalid one failed with its reason, nothing outside OUT."""
    assert f"{n_done} done, 0 unchanged, 2 failed" in summary(err), err
    base = out / "_studier" / "sleeps" / PERIOD
    for org_id, folder in VALID.items():
        state = json.loads((base / folder / ".ils-state.json").read_text(encoding="utf-8"))
        assert state["status"] == "done" and state["meta"]["org_id"] == org_id
        assert (base / folder / "report.html").is_file()
    for org_id, reason in INVALID.items():
        line = next(ln for ln in err.splitlines() if f"  failed {PERIOD}/{org_id!r}: " in ln)
        assert f"organisation id {org_id!r} is not valid: {reason}" in line, line
    names = {p.name for p in base.iterdir() if not p.name.startswith(".")}
    assert names & {"SDN\u200bOST", "..", "con"} == set() and {"SDN_ÖST", "~con", "ALN"} <= names
    (manifest,) = (out / "runs").glob("*/manifest.json")
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m["counts"]["failed"] == 2 and m["counts"]["done"] == n_done
    failed = {r["meta"]["org_id"]: r["error"] for r in m["reports"] if r["status"] == "failed"}
    assert set(failed) == set(INVALID)
    portal = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="_studier/sleeps/2026-T2/~con/report.html"' in portal and "Nämnd SDN_ÖST" in portal


def test_ids_in_the_warehouse_never_stop_a_batch(ils, demo_db, tmp_path):  # noqa: F811  (the fixture)
    add_boards(demo_db)
    boards = count(demo_db, "namnd") - len(INVALID)  # the valid ones
    out = tmp_path / "out"
    args = ("run", "--notebook", SLEEPS, "--period", PERIOD, "-p", "seconds=0", "--out", out)
    code, _, err = ils(*args, "--kind", "namnd")
    assert code == 1, err
    check_batch(out, err, n_done=boards)
    # The group report of the kind, with those organisations in it, is made.
    code, _, err = ils("run", "--notebook", "group_report", "--period", PERIOD, "--kind", "namnd", "--out", out)
    assert code == 0, err
    html = (out / PERIOD / "_grupp" / "namnd" / "report.html").read_text(encoding="utf-8")
    assert "Nämnd SDN_ÖST" in html and "Nämnd con" in html
    # The next run: the valid ones are unchanged, the invalid ones fail again (never written anywhere).
    code, _, err = ils(*args, "--kind", "namnd")
    assert code == 1 and f"0 done, {boards} unchanged, 2 failed" in summary(err), err


def test_every_organisation_and_the_group_run_set(ils, demo, tmp_path, monkeypatch):
    """--all and the shipped group run set, with the odd ids in the (embedded) warehouse."""
    import shutil

    db = tmp_path / "w.sqlite"
    shutil.copyfile(demo.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("ILS_WAREHOUSE", url)
    add_boards(url)
    out = tmp_path / "out"
    code, _, err = ils("run", "--notebook", SLEEPS, "--period", PERIOD, "-p", "seconds=0", "--all", "--out", out)
    assert code == 1, err
    check_batch(out, err, n_done=count(url) - len(INVALID))
    monkeypatch.chdir(REPO)
    code, _, err = ils("run", REPO / "parameters" / "group.yaml", "--out", out)
    assert code == 0, err
    assert (out / PERIOD / "_grupp" / "namnd" / "report.html").is_file()


def test_ids_on_the_command_line_are_checked_first(ils, demo, tmp_path, monkeypatch):
    import shutil

    from ilslib.runner.batch import RunRequest, plan

    db = tmp_path / "w.sqlite"
    shutil.copyfile(demo.removeprefix("sqlite:///"), db)
    monkeypatch.setenv("ILS_WAREHOUSE", f"sqlite:///{db}")
    add_boards(f"sqlite:///{db}")
    out = tmp_path / "out"
    for org_id in INVALID:
        code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", f"--org={org_id}", "--out", out)
        assert code == 2 and err.startswith(f"ils: error: organisation id {org_id!r} is not valid"), err
        assert len(err.strip().splitlines()) == 1 and not out.exists()
    p = plan(RunRequest(period=PERIOD, orgs=["con", "SDN_O\u0308ST"], notebook=str(SLEEPS), out=str(out)))
    assert [j.out_dir for j in p.jobs] == [
        str(out / "_studier" / "sleeps" / PERIOD / "~con"),
        str(out / "_studier" / "sleeps" / PERIOD / "SDN_ÖST"),  # the id in NFC, as the loader stores it
    ]
    assert not p.rejected


@pytest.mark.parametrize("name", ["_grupp"])
def test_an_id_that_would_take_an_output_folder_fails_alone(ils, demo, tmp_path, monkeypatch, name):
    import shutil

    db = tmp_path / "w.sqlite"
    shutil.copyfile(demo.removeprefix("sqlite:///"), db)
    monkeypatch.setenv("ILS_WAREHOUSE", f"sqlite:///{db}")
    sql(f"sqlite:///{db}", "INSERT INTO ils_organisation (org_id, name, kind) VALUES (?, ?, ?)", (name, "X", "bolag"))
    from ilslib.runner.batch import RunRequest, plan

    p = plan(RunRequest(period=PERIOD, kinds=["bolag"], out=str(tmp_path / "out")))
    assert [r.label for r in p.rejected] == [f"{PERIOD}/{name!r}"]
    assert "its folder would be the group reports' folder '_grupp'" in p.rejected[0].error
    assert len(p.jobs) == count(f"sqlite:///{db}", "bolag") - 1
    code, _, err = ils("run", "--period", PERIOD, "--org", name, "--out", tmp_path / "out")  # asked for by name
    assert code == 2 and err.startswith(f"ils: error: organisation id {name!r} cannot have a report: its folder")
    assert not (tmp_path / "out").exists()
