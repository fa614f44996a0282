"""``ils run``: outputs for every reader from one run set, ``--format xlsx``, ``--audience kort``, books.

- ``parameters/standard.yaml`` on the demo (the session's ``standard_run``): the full reports with
  their tables in Excel, the short versions beside them, the group reports with Excel and the
  books of the nämnder and the bolag; every run's manifest lists every file of every set, with
  the SHA-256 of the bytes on disk; run again, nothing is made;
- ``--format xlsx`` alone writes the workbook (numbers as numbers) and no HTML or PDF;
- the full report and its short version are two sets in one folder with a state each: rerunning
  one never touches the other, and a change in the warehouse reruns each only if it read it;
- a book is bound again only when a report it binds changed (or a file of it is gone).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from report_support import linked_copy

PERIOD = "2026-T2"
REPO = Path(__file__).resolve().parents[1]


def summary_lines(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if re.search(r"\d+ done, \d+ unchanged, \d+ failed", ln) and "Portal" in ln]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifests(out: Path) -> list[dict]:
    found = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "runs").glob("*/manifest.json")]
    return sorted(found, key=lambda m: (m["started_at"], m["run_id"]))


def inode(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


# -- the standard run set: every reader's files -----------------------------------------------------


@pytest.mark.slow
def test_the_standard_run_set_gives_every_reader_their_files(standard_run: Path, demo_wh) -> None:
    from ilslib import figures as f

    orgs = f.organisations(demo_wh)
    assert len(orgs) == 32
    base = standard_run / PERIOD
    for org in orgs["org_id"]:
        d = base / org
        names = {p.name for p in d.iterdir()}
        assert names == {
            ".ils-state.json",
            ".ils-state.report-kort.json",
            "figures.json",
            "report.html",
            "report.pdf",
            "report.xlsx",
            "report.ipynb",
            "report-kort.html",
            "report-kort.pdf",
            "report-kort.ipynb",
        }, org
        full = json.loads((d / ".ils-state.json").read_text(encoding="utf-8"))
        kort = json.loads((d / ".ils-state.report-kort.json").read_text(encoding="utf-8"))
        assert (full["status"], full["set"], kort["status"], kort["set"]) == ("done", "report", "done", "report-kort")
        assert full["meta"]["notebook"] == "report" and kort["meta"]["notebook"] == "report_kort"
        # each state lists its own set's files, with the bytes on disk
        assert set(full["files"]) == {"figures.json", "report.html", "report.pdf", "report.xlsx", "report.ipynb"}
        assert set(kort["files"]) == {"report-kort.html", "report-kort.pdf", "report-kort.ipynb"}
        for name, rec in {**full["files"], **kort["files"]}.items():
            assert rec == {"bytes": (d / name).stat().st_size, "sha256": sha256(d / name)}, (org, name)
        assert (d / "report.xlsx").read_bytes()[:2] == b"PK" and (d / "report-kort.pdf").read_bytes()[:5] == b"%PDF-"
        assert "i korthet" in (d / "report-kort.html").read_text(encoding="utf-8")[:3000]
    for kind in ("namnd", "bolag"):
        g = base / "_grupp" / kind
        assert {"report.html", "report.pdf", "report.xlsx", "figures.json"} <= {p.name for p in g.iterdir()}
        b = base / "_bok" / kind
        assert {p.name for p in b.iterdir()} == {".ils-state.book.json", "book.html", "book.pdf"}
        state = json.loads((b / ".ils-state.book.json").read_text(encoding="utf-8"))
        members = len(f.organisations(demo_wh, kind))
        assert state["status"] == "done" and state["meta"]["missing"] == []
        assert state["meta"]["organisations"] == state["meta"]["members"] == members
        assert state["meta"]["group_report"] is True and state["meta"]["pages"] > members
        import pypdf

        assert len(pypdf.PdfReader(b / "book.pdf").pages) == state["meta"]["pages"]
    assert not (base / "_bok" / "koncern").exists()  # the koncern's book is the annual run set's
    # the workbook: the report's tables, numbers as numbers
    from openpyxl import load_workbook

    wb = load_workbook(base / "ALN" / "report.xlsx")
    assert wb.sheetnames[-1] == "Om rapporten" and len(wb.sheetnames) > 5
    numbers = [c.value for ws in wb.worksheets[:-1] for row in ws.iter_rows(min_row=3) for c in row]
    assert any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)
    assert not any(isinstance(v, str) and v.startswith("=") for v in numbers), "no formula, no formula-like text"


@pytest.mark.slow
def test_every_manifest_lists_every_file_of_every_set(standard_run: Path) -> None:
    runs = manifests(standard_run)
    assert [(m["notebook"], m["audience"], m["books"]) for m in runs] == [
        ("report.ipynb", "full", None),
        ("report_kort.ipynb", "kort", None),
        ("group_report.ipynb", "full", None),
        (None, None, ["namnd", "bolag"]),
    ]
    assert [m["formats"] for m in runs] == [["html", "pdf", "xlsx"], ["html", "pdf"], ["html", "pdf", "xlsx"]] + [
        ["html", "pdf"]
    ]
    seen = set()
    for m in runs:
        assert m["counts"]["failed"] == 0 and m["counts"]["done"] == len(m["reports"])
        for r in m["reports"]:
            d = Path(r["out_dir"])
            assert r["files"], r["label"]
            for name, rec in r["files"].items():
                assert rec["sha256"] == sha256(d / name) and rec["bytes"] == (d / name).stat().st_size
                seen.add((d / name).relative_to(standard_run).as_posix())
    # every file of every set on disk is in a manifest (only the states and the run's own files are not)
    on_disk = {
        p.relative_to(standard_run).as_posix()
        for p in standard_run.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.parts[len(standard_run.parts)] != "runs"
    }
    assert on_disk - seen == {"index.html", f"{PERIOD}/status.html"}
    labels = [r["label"] for m in runs for r in m["reports"]]
    assert "2026-T2/ALN" in labels and "2026-T2/ALN/report-kort" in labels and "2026-T2/_bok/bolag" in labels


@pytest.mark.slow
def test_the_standard_run_set_again_makes_nothing(standard_run: Path, demo: str, tmp_path: Path, ils) -> None:
    """Nothing changed: every report, short version, group report and book is unchanged; no file is touched."""
    out = linked_copy(standard_run, tmp_path / "out")
    rewritten = ("index.html", "status.html")  # the portal and the round's status page: rewritten by every run
    before = {p: inode(p) for p in out.rglob("*") if p.is_file() and "runs" not in p.parts and p.name not in rewritten}
    code, _, err = ils("run", REPO / "parameters" / "standard.yaml", "--out", out)
    assert code == 0, err
    assert [re.sub(r" in [\d.]+ s.*", "", ln) for ln in summary_lines(err)] == [
        "0 done, 32 unchanged, 0 failed",
        "0 done, 32 unchanged, 0 failed",
        "0 done, 2 unchanged, 0 failed",
        "0 done, 2 unchanged, 0 failed",
    ]
    assert {p: inode(p) for p in before} == before
    unchanged = manifests(out)[-4:]
    assert all(r["status"] == "unchanged" and r["files"] for m in unchanged for r in m["reports"])


# -- --format xlsx alone ----------------------------------------------------------------------------


def test_format_xlsx_alone(ils, demo, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "out"
    code, _, err = ils("run", "--period", PERIOD, "--org", "KONST", "--format", "xlsx", "--out", out)
    assert code == 0, err
    d = out / PERIOD / "KONST"
    assert {p.name for p in d.iterdir()} == {".ils-state.json", "figures.json", "report.ipynb", "report.xlsx"}
    wb = load_workbook(d / "report.xlsx")
    doc = json.loads((d / "figures.json").read_text(encoding="utf-8"))
    about = " ".join(str(c.value) for row in wb["Om rapporten"].iter_rows() for c in row if c.value is not None)
    assert doc["provenance"]["data_hash"][:12] in about
    # KONST has fewer than five employees: sick leave is not published, in Excel as in the report
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert ".." in cells
    assert doc["personnel"]["sick_leave_pct"] is None and doc["personnel"]["suppressed"] is True
    # unchanged; asking for the HTML as well runs it, and the workbook stays in the set
    code, _, err = ils("run", "--period", PERIOD, "--org", "KONST", "--format", "xlsx", "--out", out)
    assert code == 0 and "0 done, 1 unchanged" in err
    code, _, err = ils("run", "--period", PERIOD, "--org", "KONST", "--format", "html,xlsx", "--out", out)
    assert code == 0 and "1 done, 0 unchanged" in err
    assert {"report.html", "report.xlsx"} <= {p.name for p in d.iterdir()}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-T2/KONST/report.xlsx">Tabeller (Excel)' in index


# -- the short version: a set of its own ------------------------------------------------------------


@pytest.fixture
def demo_copy(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    db = tmp_path / "copy.sqlite"
    shutil.copyfile(demo_url.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("ILS_WAREHOUSE", url)
    return url


def _sql(url: str, statement: str, params: tuple) -> int:
    import ilslib

    with ilslib.connect(url) as wh:
        return wh.execute(statement, params)


def _planned(out: Path, audience: str) -> tuple[set[str], set[str]]:
    from ilslib.runner.batch import RunRequest, plan

    p = plan(RunRequest(period=PERIOD, orgs=["ALN"], out=str(out), audience=audience))
    return {j.label for j in p.jobs}, {j.label for j in p.unchanged}


def test_the_full_report_and_the_short_version_rerun_independently(ils, demo_copy: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    d = out / PERIOD / "ALN"
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--format", "html,xlsx", "--out", out)
    assert code == 0, err
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--audience", "kort", "--out", out)
    assert code == 0 and "done      2026-T2/ALN/report-kort" in err, err
    full = {n: inode(d / n) for n in (".ils-state.json", "report.html", "report.xlsx", "figures.json")}
    kort = {n: inode(d / n) for n in (".ils-state.report-kort.json", "report-kort.html", "report-kort.ipynb")}
    assert not (d / "report-kort.pdf").exists() and not (d / "report.pdf").exists()

    # rerunning one, even forced, leaves the other's files exactly as they are
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--audience", "kort", "--out", out)
    assert code == 0 and "0 done, 1 unchanged" in err
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--audience", "kort", "--force", "--out", out)
    assert code == 0 and "1 done, 0 unchanged" in err
    assert {n: inode(d / n) for n in full} == full
    assert {n: inode(d / n) for n in kort} != kort
    kort = {n: inode(d / n) for n in kort}
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--format", "html,xlsx", "--force", "--out", out)
    assert code == 0 and "1 done" in err
    assert {n: inode(d / n) for n in kort} == kort
    assert _planned(out, "full") == (set(), {"2026-T2/ALN"})
    assert _planned(out, "kort") == (set(), {"2026-T2/ALN/report-kort"})

    # an outcome of an earlier year: only the full report reads it (its trend charts)
    n = _sql(
        demo_copy,
        "UPDATE ils_outcome SET value = value + 1 WHERE org_id = ? AND period = ? AND indicator_id = ? AND gender = ?",
        ("ALN", "2024-T1", "FAKT", "T"),
    )
    assert n == 1
    assert _planned(out, "full") == ({"2026-T2/ALN"}, set())
    assert _planned(out, "kort") == (set(), {"2026-T2/ALN/report-kort"})
    # the organisation's comment: both show it (the short version's figures are the full report's)
    n = _sql(
        demo_copy,
        "UPDATE ils_comment SET text = text || ? WHERE org_id = ? AND period = ? AND kind = ?",
        (" Tillägg: ”citat” & <b>fet</b>.", "ALN", PERIOD, "vd_kommentar"),
    )
    assert n == 1
    assert _planned(out, "full") == ({"2026-T2/ALN"}, set())
    assert _planned(out, "kort") == ({"2026-T2/ALN/report-kort"}, set())
    # the short version rerun alone: the full report still has to be, and its files are untouched
    full = {n: inode(d / n) for n in full}
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--audience", "kort", "--out", out)
    assert code == 0 and "1 done, 0 unchanged" in err
    assert {n: inode(d / n) for n in full} == full
    figures = json.loads((d / "report-kort.ipynb").read_text("utf-8"))["cells"]
    assert "Tillägg: ”citat” & <b>fet</b>." in json.dumps(figures, ensure_ascii=False)  # what it published
    assert "Tillägg" not in (d / "figures.json").read_text("utf-8")  # the full report's, not rerun
    assert _planned(out, "full") == ({"2026-T2/ALN"}, set())
    assert _planned(out, "kort") == (set(), {"2026-T2/ALN/report-kort"})
    # the portal: one row for ALN, linking both sets
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('data-v="Äldrenämnden"') == 1
    assert (
        'href="2026-T2/ALN/report-kort.html">Kortversion<' in index and 'href="2026-T2/ALN/report.html">HTML<' in index
    )


def test_a_failed_short_version_leaves_the_full_report_published(demo, tmp_path: Path, capsys) -> None:
    """The short version's notebook raises: its set becomes the failure; the full report's set stays as it is."""
    from ilslib.runner import batch

    out = tmp_path / "out"
    full_req = batch.RunRequest(period=PERIOD, orgs=["IDN"], out=str(out), formats=("html", "pdf"))
    assert batch.run(full_req) == 0
    kort_req = batch.RunRequest(period=PERIOD, orgs=["IDN"], out=str(out), audience="kort")
    assert batch.run(kort_req) == 0
    d = out / PERIOD / "IDN"
    full = {n: inode(d / n) for n in ("report.html", "report.pdf", "figures.json", ".ils-state.json")}
    assert (d / "report-kort.html").is_file()
    # the same job, its notebook swapped for one that raises for IDN
    p = batch.plan(batch.RunRequest(period=PERIOD, orgs=["IDN"], out=str(out), audience="kort", force=True))
    (job,) = p.jobs
    job.notebook = str(REPO / "tests" / "notebooks" / "raises.ipynb")
    assert batch.run(kort_req, plan_=p) == 1
    assert "failed 2026-T2/IDN/report-kort: ValueError" in capsys.readouterr().err
    state = json.loads((d / ".ils-state.report-kort.json").read_text(encoding="utf-8"))
    assert state["status"] == "failed" and "IDN" in state["error"]
    assert (d / "report-kort.ipynb").is_file() and not (d / "report-kort.html").exists()
    assert {n: inode(d / n) for n in full} == full
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Kortversionen misslyckades" in index and 'href="2026-T2/IDN/report.pdf">PDF<' in index
    assert 'href="2026-T2/IDN/report-kort.ipynb">Notebook (kortversion)<' in index


# -- books -----------------------------------------------------------------------------------------


def test_a_book_is_bound_again_only_when_a_report_it_binds_changed(ils, demo_copy: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    runset = tmp_path / "bok.yaml"
    runset.write_text(
        "description: Två bolag, deras sammanställning och bok\n"
        "period: latest\n"
        f"out: {out}\n"
        "runs:\n"
        "  - notebook: report\n"
        "    orgs: [TEATER, ENERGI]\n"
        "  - notebook: group_report\n"
        "    kinds: [bolag]\n"
        "  - book: bolag\n",
        encoding="utf-8",
    )
    code, _, err = ils("run", runset)
    assert code == 0, err
    b = out / PERIOD / "_bok" / "bolag"
    state = json.loads((b / ".ils-state.book.json").read_text(encoding="utf-8"))
    assert state["status"] == "done" and state["meta"]["organisations"] == 2 and len(state["meta"]["missing"]) == 13
    html = (b / "book.html").read_text(encoding="utf-8")
    assert "Rapporter som saknas" in html and "Mälarviks Stadsteater AB" in html
    first = {n: inode(b / n) for n in ("book.html", "book.pdf")}
    # nothing changed: nothing is bound
    code, _, err = ils("run", runset)
    assert code == 0 and summary_lines(err)[-1].startswith("0 done, 1 unchanged"), err
    assert {n: inode(b / n) for n in first} == first
    # a report made again with the same content (the same bytes): the book is not bound again
    code, _, err = ils("run", "--period", PERIOD, "--org", "ENERGI", "--force", "--out", out)
    assert code == 0, err
    code, _, err = ils("run", runset)
    assert code == 0 and summary_lines(err)[-1].startswith("0 done, 1 unchanged"), err
    # a report it binds changed (a new comment): the report and then the book are made again
    n = _sql(
        demo_copy,
        "UPDATE ils_comment SET text = text || ? WHERE org_id = ? AND period = ?",
        (" Nytt.", "ENERGI", PERIOD),
    )
    assert n > 0
    code, _, err = ils("run", runset)
    assert code == 0, err
    assert [ln[:19] for ln in summary_lines(err)] == [
        "1 done, 1 unchanged",
        "0 done, 1 unchanged",
        "1 done, 0 unchanged",
    ]
    assert all(inode(b / n) != first[n] for n in first)
    assert "Nytt." in (b / "book.html").read_text(encoding="utf-8")
    # a file of the book gone: bound again; --force binds it anyway
    (b / "book.pdf").unlink()
    code, _, err = ils("run", runset)
    assert code == 0 and summary_lines(err)[-1].startswith("1 done, 0 unchanged") and (b / "book.pdf").is_file()
    code, _, err = ils("run", runset, "--force")
    assert code == 0 and summary_lines(err)[-1].startswith("1 done, 0 unchanged")
    # the portal lists the book with its contents
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="2026-T2/_bok/bolag/book.pdf">Rapportbok (PDF)' in index
    assert "2 av 15 organisationers rapporter" in index
    # a kind without a single report: that book fails, named in the summary (a run set of books only)
    only = tmp_path / "nur.yaml"
    only.write_text(f"period: latest\nout: {out}\nbook: [namnd, bolag]\n", encoding="utf-8")
    code, _, err = ils("run", only)
    assert code == 1, err
    assert re.search(r"failed 2026-T2/_bok/namnd: no reports of kind namnd for 2026-T2", err), err
    assert summary_lines(err)[-1].startswith("0 done, 1 unchanged, 1 failed")
    nb = json.loads((out / PERIOD / "_bok" / "namnd" / ".ils-state.book.json").read_text(encoding="utf-8"))
    assert nb["status"] == "failed" and not (out / PERIOD / "_bok" / "namnd" / "book.pdf").exists()
    assert "✗ Misslyckades: no reports of kind namnd" in (out / "index.html").read_text(encoding="utf-8")
