"""``ils run``: validation before anything runs, outputs, incremental reruns, run sets, the audit trail.

Every run here is real: the demo warehouse, the report notebooks, the warm
fork server and its report processes. Runs use a few organisations, not the
whole demo, to keep the suite fast. Faults (failing, killed, concurrent runs,
an unreachable warehouse, isolation) are in ``test_runner_faults.py``.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ilslib.contract import CONTRACT_VERSION

REPO = Path(__file__).resolve().parents[1]
TEST_NOTEBOOKS = REPO / "tests" / "notebooks"
PERIOD = "2026-T2"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ")


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def demo_copy(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo warehouse (tests that change data), as ILS_WAREHOUSE."""
    src = Path(demo_url.removeprefix("sqlite:///"))
    dst = tmp_path / "copy.sqlite"
    shutil.copyfile(src, dst)
    monkeypatch.setenv("ILS_WAREHOUSE", f"sqlite:///{dst}")
    return dst


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under root: relative path -> (size, mtime_ns)."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        out[p.relative_to(root).as_posix()] = (st.st_size if p.is_file() else -1, st.st_mtime_ns)
    return out


def summary_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if " done, " in ln and "unchanged" in ln]
    assert lines, err
    return lines[-1]


def state(out: Path, rel: str) -> dict:
    return json.loads((out / rel / ".ils-state.json").read_text(encoding="utf-8"))


# -- validation before anything runs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--org", "ALM"], r"unknown organisation 'ALM'.*ALN"),
        (["--org", "ALN", "--org", "NOPE"], r"unknown organisation 'NOPE'"),
        (
            ["--kind", "bolagg"],
            r"unknown organisation kind 'bolagg': expected one of kommun, koncern, namnd, bolag, enhet",
        ),
        (["--org", "ALN", "--notebook", "no_such_notebook"], r"notebook 'no_such_notebook' not found.*report"),
        (["--org", "ALN", "--format", "html,docx"], r"unknown format 'docx': expected html, pdf or xlsx"),
        (["--org", "ALN", "--format", "docx"], r"unknown format 'docx': expected html, pdf or xlsx, or several"),
        (["--org", "ALN", "--audience", "x"], r"unknown audience 'x': expected full \(the whole report\) or kort"),
        (["--kind", "bolag", "--audience", "kort", "--notebook", "group_report"], r"--audience kort is the short"),
        (
            ["--org", "ALN", "-p", "colour=red"],
            r"no parameter 'colour'; its parameters are: org_id, period, top_accounts, trend_indicators",
        ),
        (["--org", "ALN", "-p", "top_accounts=many"], r"top_accounts='many'.*expects a whole number"),
        (["--org", "ALN", "-p", "org_id=IDN"], r"'org_id' is set by ils run itself"),
        (["--org", "ALN", "-p", "no equals sign"], r"expected NAME=VALUE"),
        ([], r"which organisations\? give --org ID"),
        (["--org", "ALN", "--jobs", "-1"], r"--jobs -1: expected 1 or more"),
        (["--org", "ALN", "--timeout", "0"], r"--timeout 0: expected a positive number"),
        (["--notebook", "group_report", "--org", "ALN"], r"is run per kind: use --kind"),
        (["--notebook", "group_report"], r"run per kind: give --kind KIND \(one of namnd, bolag\)"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, list) else None,
)
def test_bad_input_is_one_line_before_anything_runs(ils, demo, tmp_path, args, expected):
    out = tmp_path / "out"
    code, _, err = ils("run", "--period", PERIOD, "--out", out, *args)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("ils: error: ") and "Traceback" not in err
    assert re.search(expected, err), err
    assert not out.exists(), "nothing may be written before the input is valid"


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2026-T5", r"malformed period '2026-T5': expected YYYY-BU, YYYY-T1, YYYY-T2, YYYY-BO or 'latest'"),
        ("2031-T1", r"no data for 2031.*periods with data"),
        ("latest-XX", r"expected latest, latest-T .*latest-BO"),
        ("", r"which period\?"),
        ("0000-T1", r"^ils: error: period '0000-T1': the year must be 1900-2199$"),
        ("1899-BO", r"^ils: error: period '1899-BO': the year must be 1900-2199$"),
        ("2200-BU", r"^ils: error: period '2200-BU': the year must be 1900-2199$"),
    ],
)
def test_bad_period(ils, demo, tmp_path, period, expected):
    out = tmp_path / "out"
    code, _, err = ils("run", "--period", period, "--org", "ALN", "--out", out)
    assert code == 2 and re.search(expected, err), err
    assert not out.exists()


def test_periods_are_years_1900_to_2199_written_with_four_digits():
    from ilslib.errors import UnknownValueError
    from ilslib.periods import Period, is_month, is_period

    assert str(Period(5, "T1")) == "0005-T1" and str(Period.parse("1900-BU")) == "1900-BU"
    assert str(Period.parse("2199-BO")) == "2199-BO"
    for bad in ("0000-T1", "1899-T2", "2200-BU", "9999-BO"):
        with pytest.raises(UnknownValueError, match=rf"^period '{bad}': the year must be 1900-2199$"):
            Period.parse(bad)
        assert not is_period(bad)
    assert is_period("2026-T2") and is_month("2026-08") and not is_month("0000-01") and not is_month("2200-12")


def test_unknown_option_values_are_listed(ils, demo, tmp_path):
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--engine", "turbo", "--out", tmp_path / "o")
    assert code == 2 and "invalid choice: 'turbo'" in err and "inprocess" in err
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--executor", "slurm", "--out", tmp_path / "o")
    assert code == 2 and "'local', 'dask'" in err


HOSTILE_IDS = [
    "../x",
    "../../etc/passwd",
    "/etc/passwd",
    "/tmp/ils-evil",
    "..",
    ".",
    "a/b",
    "a\\b",
    "nul\0byte",
    "A" * 5000,
    "~root",
    "ALN/../../x",
    "AL N",
    "ALN\u200b",
    "SDN\u2028OST",
]


@pytest.mark.parametrize("org", HOSTILE_IDS, ids=lambda v: repr(v)[:20])
def test_hostile_organisation_ids_write_nothing(ils, demo, tmp_path, org):
    out = tmp_path / "work" / "out"
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "sibling.txt").write_text("untouched", encoding="utf-8")
    before = tree(tmp_path)
    tmp_before = set(os.listdir("/tmp"))
    code, _, err = ils("run", "--period", PERIOD, f"--org={org}", "--out", out)
    assert code == 2, err
    assert err.startswith("ils: error: organisation id") and " is not valid: " in err, err
    assert len(err.strip().splitlines()) == 1 and len(err) < 400, err
    assert "\0" not in err
    assert tree(tmp_path) == before, "nothing may be written anywhere"
    assert not (set(os.listdir("/tmp")) - tmp_before) & {"ils-evil", "x", "passwd"}


def test_ids_on_the_command_line_follow_the_one_rule(demo, tmp_path):
    """Trimmed and in NFC like the loader's ids; a valid id that is not in the warehouse is unknown (exit 2)."""
    from ilslib.cli import main
    from ilslib.runner.batch import RunRequest, plan

    p = plan(RunRequest(period=PERIOD, orgs=[" ALN", "ALN\n"], out=str(tmp_path / "out")))
    assert [j.label for j in p.jobs] == ["2026-T2/ALN"] and p.jobs[0].parameters["org_id"] == "ALN"
    assert main(["run", "--period", PERIOD, "--org=-rf", "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_hostile_ids_in_a_run_set(ils, demo, tmp_path):
    runset = tmp_path / "evil.yaml"
    runset.write_text('period: "2026-T2"\norgs: ["ALN", "../../x"]\nout: "%s"\n' % (tmp_path / "out"), encoding="utf-8")
    code, _, err = ils("run", runset)
    assert code == 2 and "organisation id '../../x' is not valid: the character '/'" in err, err
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "x").exists()


# -- a run and its outputs -------------------------------------------------------------------


def test_run_writes_reports_log_manifest_and_portal(ils, demo, tmp_path):
    from ilslib import connect, figures

    out = tmp_path / "out"
    code, stdout, err = ils(
        "run", "--period", PERIOD, "--org", "ALN", "--org", "TEATER", "--format", "html,pdf", "--out", out
    )
    assert code == 0, err
    # Not a terminal: plain timestamped lines, then the summary.
    lines = err.strip().splitlines()
    assert all(STAMP.match(ln) for ln in lines[:-1]), err
    assert any(re.search(r"done +2026-T2/ALN \(\d+\.\d s\)", ln) for ln in lines), err
    assert "2 done, 0 unchanged, 0 failed" in lines[-1] and str(out / "index.html") in lines[-1]
    for org, name in (("ALN", "Äldrenämnden"), ("TEATER", None)):
        d = out / PERIOD / org
        assert sorted(p.name for p in d.iterdir()) == [
            ".ils-state.json",
            "figures.json",
            "report.html",
            "report.ipynb",
            "report.pdf",
        ]
        html = (d / "report.html").read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
        assert "import ilslib" not in html  # no code in the report
        if name:
            assert name in html
        pdf = (d / "report.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        doc = json.loads((d / "figures.json").read_text(encoding="utf-8"))
        assert (doc["contract_version"], doc["org_id"], doc["period"]) == (CONTRACT_VERSION, org, PERIOD)
        assert doc["provenance"]["notebook"] == "report.ipynb"
        with connect() as wh:
            assert doc["provenance"]["data_hash"] == figures.data_hash(wh, org, PERIOD)
        nb = json.loads((d / "report.ipynb").read_text(encoding="utf-8"))
        assert nb["metadata"]["papermill"]["parameters"] == {"org_id": org, "period": PERIOD}
        assert nb["metadata"]["papermill"]["input_path"].endswith("report.ipynb")
        st = state(out, f"{PERIOD}/{org}")
        assert st["status"] == "done" and len(st["input_hash"]) == 64
    assert not list(out.rglob("*.part"))
    # The audit trail.
    (run_dir,) = (out / "runs").iterdir()
    log = (run_dir / "run.log").read_text(encoding="utf-8")
    assert all(STAMP.match(ln) for ln in log.splitlines())
    assert re.search(r"started +2026-T2/ALN \(pid \d+\)", log)
    m = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert m["run_id"] == run_dir.name and m["user"] == getpass.getuser()
    assert m["started_at"] <= m["finished_at"] and m["seconds"] > 0
    assert m["period"] == PERIOD and m["notebook"] == "report.ipynb" and m["formats"] == ["html", "pdf"]
    assert m["warehouse"] == demo and m["counts"] == {"done": 2, "unchanged": 0, "failed": 0, "not_run": 0}
    assert m["provenance"]["loads"] and m["provenance"]["loads"][0]["outcome"]
    assert {r["label"]: r["status"] for r in m["reports"]} == {"2026-T2/ALN": "done", "2026-T2/TEATER": "done"}
    assert all(r["seconds"] > 0 and len(r["data_hash"]) == 64 for r in m["reports"])
    portal = (out / "index.html").read_text(encoding="utf-8")
    assert "Äldrenämnden" in portal and 'href="2026-T2/ALN/report.pdf"' in portal

    # Unchanged inputs: nothing runs (and no report process is started).
    code, _, err = ils(
        "run", "--period", PERIOD, "--org", "ALN", "--org", "TEATER", "--format", "html,pdf", "--out", out
    )
    assert code == 0 and "0 done, 2 unchanged, 0 failed" in summary_line(err)
    assert "started" not in max((out / "runs").iterdir()).joinpath("run.log").read_text(encoding="utf-8")
    # A format already there is not a reason to rerun; a missing one is.
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--org", "TEATER", "--out", out)
    assert code == 0 and "0 done, 2 unchanged" in summary_line(err)
    (out / PERIOD / "TEATER" / "report.pdf").unlink()
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--org", "TEATER", "--format", "pdf", "--out", out)
    assert code == 0 and "1 done, 1 unchanged" in summary_line(err) and "2026-T2/TEATER" in err
    # --force reruns everything.
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--org", "TEATER", "--force", "--out", out)
    assert code == 0 and "2 done, 0 unchanged" in summary_line(err)
    assert not (out / PERIOD / "ALN" / "report.pdf").exists(), "a rerun without pdf removes the old pdf"
    assert len(list((out / "runs").iterdir())) == 5


def test_group_report_and_study_notebook(ils, demo, tmp_path):
    out = tmp_path / "out"
    code, _, err = ils("run", "--notebook", "group_report", "--period", PERIOD, "--kind", "bolag", "--out", out)
    assert code == 0, err
    d = out / PERIOD / "_grupp" / "bolag"
    assert {p.name for p in d.iterdir()} >= {"report.html", "report.ipynb", "figures.json"}
    assert state(out, f"{PERIOD}/_grupp/bolag")["meta"]["group"] is True
    code, _, err = ils(
        "run",
        "--notebook",
        TEST_NOTEBOOKS / "study.py",
        "--period",
        "latest",
        "--org",
        "ALN",
        "-p",
        "top=2",
        "--out",
        out,
    )
    assert code == 0, err
    d = out / "_studier" / "study" / PERIOD / "ALN"
    doc = json.loads((d / "figures.json").read_text(encoding="utf-8"))
    assert doc["org_id"] == "ALN" and doc["indicators"] > 0
    portal = (out / "index.html").read_text(encoding="utf-8")
    assert "_studier/study/2026-T2/ALN/report.html" in portal
    assert f"{PERIOD}/_grupp/bolag/report.html" in portal


def test_plan_is_fast_path_for_unchanged(demo, tmp_path):
    """Planning reads state files only; an unchanged run starts no report process."""
    from ilslib.runner.batch import RunRequest, plan

    req = RunRequest(period=PERIOD, all=True, out=str(tmp_path / "out"))
    p = plan(req)
    assert len(p.jobs) == 32 and not p.unchanged
    assert {j.meta["kind"] for j in p.jobs} == {"kommun", "koncern", "namnd", "bolag"}
    labels = [j.label for j in p.jobs]
    assert len(set(labels)) == 32 and all(j.out_dir.startswith(str(tmp_path / "out")) for j in p.jobs)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("latest", "2026-T2"),
        ("latest-T", "2026-T2"),
        ("latest-BO", "2025-BO"),
        ("senaste-bo", "2025-BO"),
        ("2025-T1", "2025-T1"),
    ],
)
def test_period_specs(demo, tmp_path, spec, expected):
    from ilslib.runner.batch import RunRequest, plan

    assert plan(RunRequest(period=spec, orgs=["ALN"], out=str(tmp_path))).period == expected


# -- incremental reruns ------------------------------------------------------------------------


def _plan_labels(**kw) -> tuple[set[str], set[str]]:
    from ilslib.runner.batch import RunRequest, plan

    p = plan(RunRequest(period=PERIOD, **kw))
    return {j.label for j in p.jobs}, {j.label for j in p.unchanged}


def test_changed_data_reruns_only_what_reads_it(ils, demo_copy, tmp_path):
    out = tmp_path / "out"
    orgs = ["--org", "ALN", "--org", "IDN", "--org", "TEATER"]
    code, _, err = ils("run", "--period", PERIOD, *orgs, "--out", out)
    assert code == 0, err
    code, _, err = ils(
        "run", "--notebook", "group_report", "--period", PERIOD, "--kind", "namnd", "--kind", "bolag", "--out", out
    )
    assert code == 0, err
    # A free text of one organisation: only its report reads it (the group report shows no free text,
    # so it is not rerun: a changed row a report did not read reruns nothing).
    with sqlite3.connect(demo_copy) as c:
        n = c.execute(
            "UPDATE ils_comment SET text = text || ' Tillägg <b>&</b> ”citat”.' WHERE org_id = 'ALN' AND period = ?",
            (PERIOD,),
        ).rowcount
    assert n > 0
    todo, same = _plan_labels(orgs=["ALN", "IDN", "TEATER"], out=str(out))
    assert todo == {"2026-T2/ALN"} and same == {"2026-T2/IDN", "2026-T2/TEATER"}
    todo, same = _plan_labels(kinds=["namnd", "bolag"], notebook="group_report", out=str(out))
    assert todo == set() and same == {"2026-T2/_grupp/namnd", "2026-T2/_grupp/bolag"}
    code, _, err = ils("run", "--period", PERIOD, *orgs, "--out", out)
    assert code == 0 and "1 done, 2 unchanged" in summary_line(err) and "2026-T2/ALN" in err
    assert "Tillägg &lt;b&gt;&amp;&lt;/b&gt;" in (out / PERIOD / "ALN" / "report.html").read_text(encoding="utf-8")
    # One data hash: the manifest's, the state file's and figures.json's are one value, done or unchanged
    # (the group run, then the rerun of the three reports).
    manifests = sorted((out / "runs").glob("*/manifest.json"), key=lambda p: p.stat().st_mtime_ns)
    reports = [r for m in manifests[1:] for r in json.loads(m.read_text(encoding="utf-8"))["reports"]]
    assert {r["status"] for r in reports} == {"done", "unchanged"} and len(reports) == 5
    for r in reports:
        doc = json.loads((Path(r["out_dir"]) / "figures.json").read_text(encoding="utf-8"))
        st = json.loads((Path(r["out_dir"]) / ".ils-state.json").read_text(encoding="utf-8"))
        assert len(r["data_hash"]) == 64 and r["data_hash"] == doc["provenance"]["data_hash"], r["label"]
        assert st["meta"]["data_hash"] == r["data_hash"], r["label"]
    # An outcome: the comparisons rank every organisation of the kind on it, so the whole kind reruns,
    # and nothing of another kind.
    with sqlite3.connect(demo_copy) as c:
        n = c.execute(
            "UPDATE ils_outcome SET value = value + 1 WHERE org_id = 'ALN' AND period = ? AND gender = 'T'", (PERIOD,)
        ).rowcount
    assert n > 0
    todo, same = _plan_labels(orgs=["ALN", "IDN", "TEATER"], out=str(out))
    assert todo == {"2026-T2/ALN", "2026-T2/IDN"} and same == {"2026-T2/TEATER"}
    # --force: everything.
    todo, same = _plan_labels(orgs=["ALN", "IDN", "TEATER"], out=str(out), force=True)
    assert len(todo) == 3 and not same


def test_changed_notebook_or_parameters_rerun(ils, demo, tmp_path):
    out = tmp_path / "out"
    nb = tmp_path / "my_study.py"
    shutil.copyfile(TEST_NOTEBOOKS / "study.py", nb)
    code, _, err = ils("run", "--notebook", nb, "--period", PERIOD, "--org", "ALN", "--out", out)
    assert code == 0, err
    assert _plan_labels(orgs=["ALN"], notebook=str(nb), out=str(out))[0] == set()
    assert _plan_labels(orgs=["ALN"], notebook=str(nb), out=str(out), parameters={"top": 5})[0] == {"2026-T2/ALN"}
    nb.write_text(nb.read_text(encoding="utf-8") + "\n# %%\nprint('ändrad')\n", encoding="utf-8")
    assert _plan_labels(orgs=["ALN"], notebook=str(nb), out=str(out))[0] == {"2026-T2/ALN"}


# -- run sets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "parameters").glob("*.yaml")))
def test_shipped_run_sets_are_valid(demo, tmp_path, monkeypatch, name):
    """Every run set in parameters/ plans without error on the demo (validated as ils run does, not run)."""
    from ilslib.cli import build_parser
    from ilslib.cli.run import _request
    from ilslib.runner.batch import plan
    from ilslib.runner.request import load_runset

    monkeypatch.chdir(REPO)
    path = str(REPO / "parameters" / name)
    args = build_parser().parse_args(["run", path, "--out", str(tmp_path / "out")])
    entries = load_runset(path)
    assert entries
    plans = [plan(_request(args, e, {}, name)) for e in entries]
    assert all(p.jobs for p in plans)
    assert not (tmp_path / "out").exists()
    if name in ("standard.yaml", "tertial.yaml", "annual.yaml"):
        # what each reader asks for: the full reports with their tables, the short versions, the group
        # reports with theirs, then the books that bind them
        sets = [(p.notebook.stem if p.notebook else "book", p.jobs[0].formats, p.per) for p in plans]
        assert sets[:3] == [
            ("report", ("html", "pdf", "xlsx"), "org"),
            ("report_kort", ("html", "pdf"), "org"),
            ("group_report", ("html", "pdf", "xlsx"), "kind"),
        ]
        assert sets[3][0] == "book" and len(plans) == 4
        assert len(plans[0].jobs) == len(plans[1].jobs) == 32
        assert {j.parameters["kind"] for j in plans[3].jobs} >= {"namnd", "bolag"}


def test_run_set_with_several_runs(ils, demo, tmp_path):
    out = tmp_path / "out"
    runset = tmp_path / "mine.yaml"
    runset.write_text(
        "description: Två organisationer och bolagens sammanställning\n"
        "period: latest\n"
        f"out: {out}\n"
        "runs:\n"
        "  - notebook: report\n"
        "    orgs: [ALN, TEATER]\n"
        "    parameters: {top_accounts: 5}\n"
        "  - notebook: group_report\n"
        "    kinds: [bolag]\n",
        encoding="utf-8",
    )
    code, _, err = ils("run", runset)
    assert code == 0, err
    assert (out / PERIOD / "ALN" / "report.html").is_file()
    assert (out / PERIOD / "_grupp" / "bolag" / "report.html").is_file()
    nb = json.loads((out / PERIOD / "ALN" / "report.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["papermill"]["parameters"]["top_accounts"] == 5
    assert len(list((out / "runs").iterdir())) == 2
    # The command line overrides the run set.
    code, _, err = ils("run", runset, "--org", "IDN")
    assert code == 2 and "is run per kind" in err  # --org also applies to the group run: refused


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "period: latest\norgs: [ALN]\ncolour: red\n",
            r"unknown setting 'colour'; valid: all, audience, book, description",
        ),
        ("period: latest\norgs: [ALN\n", r"line \d+: not valid YAML"),
        ("- just\n- a list\n", r"expected a mapping of settings"),
        ("period: latest\nruns: []\n", r"'runs' must be a list of runs"),
        ("period: latest\norgs: [ALN]\njobs: many\n", r"'jobs' must be a whole number"),
        ("period: latest\norgs: [ALN]\nformats: html,odt\n", r"unknown format 'odt'"),
        ("period: latest\norgs: [ALN]\naudience: alla\n", r"unknown audience 'alla': expected full"),
        ("period: latest\norgs: [ALN]\naudience: [kort]\n", r"'audience' must be text"),
        ("period: latest\nruns:\n  - all: true\n  - book: [enhet]\n", r"run 2.*no book is made for kind 'enhet'"),
        ("period: latest\nruns:\n  - book: [bolagg]\n", r"unknown organisation kind 'bolagg'"),
        ("period: latest\nruns:\n  - book: []\n", r"'book' must name one or more kinds"),
        ("period: latest\nruns:\n  - book: {bolag: 1}\n", r"'book' must be a kind or a list of kinds"),
        (
            "period: latest\nruns:\n  - book: [bolag]\n    formats: pdf\n",
            r"run 1: 'formats' is a setting of reports; a book entry takes book, description, out, period",
        ),
        ("period: latest\nbook: [bolag]\nruns:\n  - all: true\n", r"'book' belongs in an entry of 'runs'"),
        ("orgs: [ALN]\n", r"which period\?"),
    ],
)
def test_bad_run_sets(ils, demo, tmp_path, text, expected):
    runset = tmp_path / "bad.yaml"
    runset.write_text(text + ("" if text.startswith("-") else f"out: {tmp_path / 'out'}\n"), encoding="utf-8")
    code, _, err = ils("run", runset)
    assert code == 2 and re.search(expected, err), err
    assert not (tmp_path / "out").exists()
    code, _, err = ils("run", tmp_path / "missing.yaml")
    assert code == 2 and "does not exist" in err


# -- secrets ------------------------------------------------------------------------------------


def test_no_secret_in_any_output(ils, demo_url, tmp_path, monkeypatch):
    """The password (used on the ODBC path) appears in no log, manifest, notebook, report or message."""
    from conftest import SQLITE_ODBC_DRIVER, require_odbc_driver

    require_odbc_driver(SQLITE_ODBC_DRIVER)
    marker = "Hemligt-Lösen-7f3a9c"
    db = tmp_path / "w.sqlite"
    shutil.copyfile(demo_url.removeprefix("sqlite:///"), db)
    monkeypatch.setenv("ILS_WAREHOUSE", f"odbc:DRIVER={{{SQLITE_ODBC_DRIVER}}};Database={db}")
    monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", marker)
    out = tmp_path / "out"
    code, o1, e1 = ils("run", "--period", PERIOD, "--org", "ALN", "--out", out)
    assert code == 0, e1
    code, o2, e2 = ils(
        "run",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "--org",
        "IDN",
        "--out",
        out,
        "--notebook",
        TEST_NOTEBOOKS / "raises.ipynb",
    )
    assert code == 1, e2
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 10
    for p in files:
        assert marker.encode() not in p.read_bytes(), p
    for text in (o1, e1, o2, e2):
        assert marker not in text


# -- progress on a terminal ----------------------------------------------------------------------


def test_progress_bar_on_a_terminal(demo, tmp_path):
    """On a terminal (a pseudo-terminal made by script(1)) ils run shows a bar, not log lines."""
    if not shutil.which("script"):
        from conftest import unavailable

        unavailable("script(1) is not installed (Debian package bsdutils)")
    out = tmp_path / "out"
    ils_bin = str(Path(sys.executable).with_name("ils"))
    cmd = f"{ils_bin} run --period {PERIOD} --org ALN --org IDN --out {out}"
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    proc = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    screen = proc.stdout
    assert "2/2" in screen and "100%" in screen and "Rapporter" in screen, screen
    assert "2 done, 0 unchanged, 0 failed" in screen
    assert not re.search(r"^\d{4}-\d\d-\d\dT.* done +2026-T2/ALN", screen, re.M), "log lines go to the run log"


# -- the parts ------------------------------------------------------------------------------------


def test_notebook_parameters_without_jupyter(tmp_path):
    from ilslib.errors import ConfigError
    from ilslib.runner.params import check_parameters, declared_parameters

    assert declared_parameters(REPO / "notebooks" / "report.ipynb") == {
        "org_id": "IDN",
        "period": "latest",
        "top_accounts": 8,
        "trend_indicators": 6,
    }
    assert declared_parameters(TEST_NOTEBOOKS / "study.py") == {"org_id": "ALN", "period": "latest", "top": 3}
    nb = tmp_path / "n.py"
    nb.write_text("# %%\nx = 1\n# %% tags=['parameters']\na: int = 2\nb = [1, 2]\nc = a + 1\n", encoding="utf-8")
    assert declared_parameters(nb) == {"a": 2, "b": [1, 2], "c": "a + 1"}
    check_parameters(nb, {"a": 3, "b": [3], "c": 7})
    with pytest.raises(ConfigError, match="expects a whole number"):
        check_parameters(nb, {"a": 1.5})
    with pytest.raises(ConfigError, match="expects a list"):
        check_parameters(nb, {"b": "x"})
    (tmp_path / "none.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no cell tagged 'parameters'"):
        check_parameters(tmp_path / "none.py", {})


def test_parent_of_a_run_never_imports_jupyter(demo, tmp_path):
    """Planning and an unchanged run import neither nbformat nor papermill (they cost seconds)."""
    out = tmp_path / "out"
    code = (
        "import sys\n"
        "from ilslib.cli import main\n"
        f"rc = main(['run', '--period', '{PERIOD}', '--org', 'ALN', '--out', {str(out)!r}])\n"
        "heavy = sorted(m for m in ('nbformat', 'papermill', 'nbconvert', 'weasyprint', 'matplotlib') "
        "if m in sys.modules)\n"
        "print('HEAVY', heavy, rc)\n"
    )
    env = {**os.environ}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "HEAVY [] 0" in first.stdout, first.stdout + first.stderr
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "HEAVY [] 0" in second.stdout and "0 done, 1 unchanged" in second.stderr, second.stderr


def _originals() -> dict:
    """Every function of every ilslib module as a fresh import defines it (tests/notebooks/originals.py)."""
    proc = subprocess.run(
        [sys.executable, str(TEST_NOTEBOOKS / "originals.py")], capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(proc.stdout)


def _rebound(seen: dict, originals: dict) -> tuple[list[str], int]:
    """The functions of ``seen`` that differ from the originals, and how many were compared."""
    changed, compared = [], 0
    for module, functions in seen.items():
        for name, desc in functions.items():
            if name in originals.get(module, {}):
                compared += 1
                if desc != originals[module][name]:
                    changed.append(f"{module}.{name}: {desc} instead of {originals[module][name]}")
    return changed, compared


def test_no_function_of_the_library_is_rebound(ils, demo, tmp_path):
    """A run replaces or wraps no ilslib function: not in the report processes, not in the caller.

    The notebook computes a report context (the kind-wide frames of the comparisons) and records
    where every function of every loaded ilslib module was defined; two reports of one kind, as
    a batch runs them. (The old run memo rebound ``indicator_rows`` and two more in every report
    process, to a wrapper defined in ``runner/cache.py``.)
    """
    sys.path.insert(0, str(TEST_NOTEBOOKS))
    try:
        from originals import snapshot
    finally:
        sys.path.remove(str(TEST_NOTEBOOKS))
    from ilslib.runner.job import Job, run_job

    originals = _originals()
    before = snapshot(import_all=True)
    assert _rebound(before, originals)[0] == []
    out = tmp_path / "out"
    nb = TEST_NOTEBOOKS / "rebound.py"
    code, _, err = ils("run", "--notebook", nb, "--period", PERIOD, "--org", "ALN", "--org", "IDN", "--out", out)
    assert code == 0, err
    for org in ("ALN", "IDN"):
        doc = json.loads((out / "_studier" / "rebound" / PERIOD / org / "figures.json").read_text(encoding="utf-8"))
        assert doc["comparisons"] > 5
        changed, compared = _rebound(doc["functions"], originals)
        assert changed == [], changed
        assert compared > 400 and "ilslib.figures.indicators" in doc["functions"]
        assert doc["functions"]["ilslib.figures.indicators"]["indicator_rows"][3].endswith("figures/indicators.py")
    # The caller too, after a run and after a report executed in this very process.
    result = run_job(Job(str(nb), {"org_id": "TEATER", "period": PERIOD}, str(tmp_path / "here"), ("html",)))
    assert result.status == "done", result.error
    assert snapshot() == before


def test_kernel_engine_gives_the_same_figures(ils, demo, tmp_path):
    """--engine kernel (a Jupyter kernel per report) and the default in-process engine agree."""
    for engine in ("inprocess", "kernel"):
        code, _, err = ils("run", "--period", PERIOD, "--org", "IDN", "--engine", engine, "--out", tmp_path / engine)
        assert code == 0, err
    docs = []
    for engine in ("inprocess", "kernel"):
        doc = json.loads((tmp_path / engine / PERIOD / "IDN" / "figures.json").read_text(encoding="utf-8"))
        doc["provenance"].pop("generated_at")
        docs.append(doc)
    assert docs[0] == docs[1]


def test_scheduler_needs_dask_and_a_real_address(ils, demo, tmp_path):
    code, _, err = ils(
        "run", "--period", PERIOD, "--org", "ALN", "--scheduler", "tcp://127.0.0.1:9", "--out", tmp_path / "o"
    )
    assert code == 2 and "is for --executor dask" in err and not (tmp_path / "o").exists()
    code, _, err = ils(
        "run",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "--executor",
        "dask",
        "--scheduler",
        "garbage",
        "--out",
        tmp_path / "o",
    )
    assert code == 2 and "is not a scheduler address" in err and not (tmp_path / "o").exists()


def test_a_notebook_name_is_never_a_path_and_needs_no_kernel_metadata(ils, demo, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()  # no kernelspec, no language_info
    cell = nbformat.v4.new_code_cell("org_id = 'x'\nperiod = 'latest'")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        cell,
        nbformat.v4.new_code_cell("from IPython.display import HTML, display\ndisplay(HTML('<p>plain</p>'))"),
    ]
    (tmp_path / "nb").mkdir()
    nbformat.write(nb, tmp_path / "nb" / "plain.ipynb")
    nbformat.write(nb, tmp_path / "nb" / "...ipynb")
    out = tmp_path / "out"
    code, _, err = ils(
        "run", "--notebook", tmp_path / "nb" / "...ipynb", "--period", PERIOD, "--org", "ALN", "--out", out
    )
    assert code == 2 and "notebook name '..' is not valid" in err and not out.exists()
    code, _, err = ils(
        "run", "--notebook", tmp_path / "nb" / "plain.ipynb", "--period", PERIOD, "--org", "ALN", "--out", out
    )
    assert code == 0, err
    assert "plain" in (out / "_studier" / "plain" / PERIOD / "ALN" / "report.html").read_text(encoding="utf-8")


# -- the fork server: started before the plan, never outliving ils run ----------------------------


def _fork_servers_marked(mark: str) -> list[int]:
    """Running fork-server processes whose environment carries ``mark`` (those of one test's command)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if (
                b"multiprocessing.forkserver" in (d / "cmdline").read_bytes()
                and mark.encode() in (d / "environ").read_bytes()
            ):
                found.append(int(d.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--period", "2030-T1", "--org", "ALN"], 2, "has no data for 2030"),  # the plan fails: exit 2
        (["--period", PERIOD, "--org", "NOPE"], 2, "unknown organisation 'NOPE'"),
        (["--period", PERIOD, "--org", "ALN", "--jobs", "many"], 2, "invalid int value: 'many'"),  # the options
        (["--period", PERIOD, "--org", "ALN"], 0, "1 done, 0 unchanged"),  # a report written
        (["--period", PERIOD, "--org", "ALN"], 0, "0 done, 1 unchanged"),  # again: nothing to run
    ],
    ids=["no-data-period", "unknown-org", "bad-option", "one-report", "unchanged"],
)
def test_no_fork_server_outlives_ils_run(demo, tmp_path_factory, args, code, said):
    """``ils run`` starts the fork server before it plans; whatever the end, the server ends with the command.

    A plan that fails (exit 2) or leaves nothing to run stops the server at
    once, in the middle of its warm-up; after reports it stops with the
    command (the end of its pipe), within a moment.
    """
    import uuid

    out = tmp_path_factory.getbasetemp() / "fork-server-out"  # shared: the fourth case reruns the third
    mark = f"fork-server-test-{uuid.uuid4().hex}"
    env = {**os.environ, "ILS_TEST_MARK": mark}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from ilslib.cli import main; sys.exit(main(sys.argv[1:]))", "run", *args]
        + ["--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == code, proc.stderr
    assert said in proc.stderr, proc.stderr
    if code == 2 or "0 done" in said:  # stopped by ils run itself before it exited
        assert _fork_servers_marked(mark) == []
    else:  # it served the report: it exits when it sees the command's end of its pipe
        import time

        deadline = time.monotonic() + 10
        while _fork_servers_marked(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _fork_servers_marked(mark) == []
