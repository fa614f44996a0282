"""The short version for politicians (notebooks/report_kort.ipynb): two A4 pages, the same figures.

Every demo organisation's short version for the latest period (made by the standard run set,
``ils run --audience kort``: ``report-kort.pdf`` beside the report) and for an annual report (BO)
is two A4 pages as PDF; its headline figures, goals and judgements, main deviations and economy
are those of the full report (the same report context).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from report_support import Reports, done, find_table, kpis, table_rows, text

from ilslib import figures as f
from ilslib import fmt

A4 = (595.28, 841.89)


def doc_name(report: Any) -> str:
    return report.figures()["org_name"]


@pytest.fixture(scope="module")
def every_short_version(demo_url: str, standard_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The short version of every organisation as PDF: 2026-T2 (the latest) from the standard run set, 2025-BO."""
    from ilslib.cli import main

    out = tmp_path_factory.mktemp("kort") / "outputs"
    mp = pytest.MonkeyPatch()
    mp.setenv("ILS_WAREHOUSE", demo_url)
    try:
        args = ["run", "--audience", "kort", "--period", "2025-BO", "--all", "--format", "html,pdf"]
        assert main([*args, "--jobs", "2", "--out", str(out)]) == 0
    finally:
        mp.undo()
    return {"2026-T2": standard_run, "2025-BO": out}


@pytest.mark.slow
def test_two_a4_pages_for_every_organisation(every_short_version: dict[str, Path], demo_wh: Any) -> None:
    import pypdf

    orgs = set(f.organisations(demo_wh)["org_id"])
    for period, out in every_short_version.items():
        pdfs = {p.parent.name: p for p in (out / period).glob("*/report-kort.pdf")}
        assert set(pdfs) == orgs, period
        for org, path in sorted(pdfs.items()):
            reader = pypdf.PdfReader(path)
            assert len(reader.pages) == 2, f"{org} {period}: {len(reader.pages)} pages"
            for page in reader.pages:
                box = [float(x) for x in page.mediabox]
                assert abs(box[2] - A4[0]) < 1 and abs(box[3] - A4[1]) < 1


@pytest.mark.parametrize(("org_id", "period"), [("UTN", "2026-T2"), ("STAD", "2025-BO"), ("KONST", "2026-T2")])
def test_the_short_version_shows_the_full_reports_figures(reports: Reports, org_id: str, period: str) -> None:
    short, full = done(reports.kort(org_id, period)), done(reports.org(org_id, period))
    assert short.figures() | {"provenance": None} == full.figures() | {"provenance": None}
    s, fsoup = short.soup(), full.soup()
    assert kpis(s) == {k: v for k, v in kpis(fsoup).items() if k in kpis(s)}
    assert len(kpis(s)) >= 6
    draft = " (utkast)" if full.figures()["draft"] else ""
    assert s.title.string == f"{f.as_period(None, period).title} i korthet – {doc_name(full)}{draft}"
    caption = "Budgetuppföljning januari–"
    assert [text(c) for r in table_rows(find_table(s, caption))[1] for c in r.values()] == [
        text(c) for r in table_rows(find_table(fsoup, caption))[1] for c in r.values()
    ]
    doc = short.figures()
    own = [g for g in doc["goals"] if g["own"] and g["level"] not in ("vision", "inriktningsmal")]
    _, rows = table_rows(find_table(s, "Organisationens mål"))
    assert [text(r["Mål"]) for r in rows] == [g["title"] for g in own][: len(rows)]
    assert [text(r["Organisationens bedömning"]) for r in rows] == [fmt.assessment(g["assessment"]) for g in own][
        : len(rows)
    ]
    deviating = [i for i in doc["indicators"] if i["status"] in ("ej_uppfyllt", "delvis")]
    if deviating:
        _, rows = table_rows(find_table(s, "Indikatorer som avviker från målet"))
        assert 0 < len(rows) <= 6 and len(rows) == min(6, len(deviating))
    else:
        assert "Inga indikatorer avviker från målet" in text(s)
    assert len(s.find_all("img")) == 1, "one chart"
    assert s.select_one("main.kort") is not None


def test_the_short_version_is_titled_as_such(reports: Reports) -> None:
    soup = done(reports.kort("UTN", "2026-T2")).soup()
    # UTN has marked its reporting ready, the controller has not approved it: a draft
    assert soup.title.string == "Tertialrapport 2 2026 i korthet – Utbildningsnämnden (utkast)"
    assert [text(h) for h in soup.find_all("h1")] == ["Tertialrapport 2 2026 i korthet"]
