"""A report whose reporting is not approved says "Utkast" with its state: at the top of the HTML, on every PDF
page (a running header) and in the PDF's tags; the short version too; the group report names the organisations
not approved; figures.json carries the state. On the demo's 2026-T2 round (the catalogue's mix of states), and
on hand-made data for periods that are not run as a round.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from report_support import text, unavailable
from test_figures_data import scenario

import ilslib.figures as f
from ilslib.round.state import mark_ready

PERIOD = "2026-T2"
BANNER = "Utkast – ej godkänd (Klarmarkerad)"


def _pdf_pages(path: Path) -> list[str]:
    exe = shutil.which("pdftotext")
    if exe is None:
        unavailable("pdftotext is missing (poppler-utils)")
    out = subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in out.split("\f") if p.strip()]


def _structure(path: Path) -> str:
    exe = shutil.which("pdfinfo")
    if exe is None:
        unavailable("pdfinfo is missing (poppler-utils)")
    return subprocess.run([exe, "-struct-text", str(path)], capture_output=True, text=True, check=True).stdout


def test_a_ready_report_is_a_draft_in_html_pdf_and_figures(reports) -> None:
    r = reports.org("SDN_SJV", PERIOD)  # marked ready, not yet approved (HTML and PDF)
    assert r.status == "done", r.error
    doc = r.figures()
    assert (doc["round_state"], doc["draft"]) == ("klar", True)
    soup = r.soup()
    banner = soup.select_one("main .draft-banner")
    assert banner is not None and banner.get("role") == "note"
    assert soup.select_one("main").find(True) is banner  # the first thing in the report
    assert text(banner.select_one(".draft-title")) == BANNER  # in words (not colour alone)
    assert "klarmarkerad men ännu inte godkänd av dess controller" in text(banner)
    assert text(soup.title).endswith("(utkast)")
    about = {text(dt): text(dt.find_next_sibling("dd")) for dt in soup.select("dl dt")}
    assert about["Inrapportering"] == BANNER
    pages = _pdf_pages(r.pdf_path)
    assert len(pages) > 3
    for n, page in enumerate(pages, 1):  # the running header: on every page, at the top
        assert page.strip().splitlines()[0].strip() == BANNER, n
    tags = _structure(r.pdf_path)
    assert f'"{BANNER}"' in tags  # the banner is tagged content, read by a screen reader
    assert tags.index(f'"{BANNER}"') < tags.index("H1")


def test_an_approved_report_is_no_draft(reports) -> None:
    r = reports.org("ENERGI", "2025-BO")  # every period before the latest is approved
    doc = r.figures()
    assert (doc["round_state"], doc["draft"]) == ("godkand", False)
    assert r.soup().select(".draft-banner") == [] and "Utkast" not in r.html()
    assert not any("Utkast" in page for page in _pdf_pages(r.pdf_path))
    about = {text(dt): text(dt.find_next_sibling("dd")) for dt in r.soup().select("dl dt")}
    assert about["Inrapportering"] == "Godkänd av controller"


@pytest.mark.parametrize(
    ("org", "state", "words"),
    [
        ("EXN", "Ej påbörjad", "har inte påbörjats"),
        ("HAMN", "Pågående", "pågår: den är varken klarmarkerad eller godkänd"),
        ("ALN", None, None),
    ],
)
def test_every_state_is_said(reports, org: str, state: str | None, words: str | None) -> None:
    r = reports.org(org, PERIOD)
    banner = r.soup().select_one(".draft-banner")
    if state is None:
        assert banner is None and r.figures()["round_state"] == "godkand"
        return
    assert text(banner.select_one(".draft-title")) == f"Utkast – ej godkänd ({state})" and words in text(banner)


def test_the_short_version_says_so_too(reports) -> None:
    r = reports.kort("UTN", PERIOD)  # marked ready
    soup = r.soup()
    assert text(soup.select_one(".draft-banner .draft-title")) == BANNER
    pages = _pdf_pages(r.pdf_path)
    assert len(pages) == 2 and all(p.strip().splitlines()[0].strip() == BANNER for p in pages)
    assert r.figures()["draft"] is True


def test_the_group_report_names_the_organisations_not_approved(reports) -> None:
    r = reports.group("namnd", PERIOD)
    doc = r.figures()
    assert doc["not_approved"] == ["EXN", "KUN", "SBN", "SDN_BJD", "SDN_SJV", "UTN"]
    assert doc["round_states"]["EXN"] == "ej_paborjad" and doc["round_states"]["ALN"] == "godkand"
    banner = text(r.soup().select_one(".draft-banner"))
    assert banner.startswith("Utkast – 6 av 15 organisationer ej godkända")
    for name, state in (
        ("Björkdalens stadsdelsnämnd", "Klarmarkerad"),
        ("Exploateringsnämnden", "Ej påbörjad"),
        ("Stadsbyggnadsnämnden", "Pågående"),
    ):
        assert f"{name} ({state})" in banner
    approved = reports.group("namnd", "2025-BO")
    assert approved.figures()["not_approved"] == [] and approved.soup().select(".draft-banner") == []


# -- periods not run as a round, and the state in the data hash, on every backend --------------------------


def test_a_period_outside_the_round_is_not_marked(wh) -> None:
    scenario(wh)  # written directly: no deadline and no state for any period
    doc = f.figures_json(wh, "N1", "2026-T2")
    assert (doc["round_state"], doc["draft"]) == (None, False)
    wh.execute("INSERT INTO ils_deadline (period, kind, deadline) VALUES (?, ?, ?)", ("2026-T2", "", "2026-09-15"))
    doc = f.figures_json(wh, "N1", "2026-T2")
    assert (doc["round_state"], doc["draft"]) == ("pagaende", True)  # N1 has reported: in progress


def test_the_state_is_part_of_the_data_hash(wh) -> None:
    """A report is made again when its state changes (the runner reruns a report whose reads changed)."""
    scenario(wh)
    wh.execute("INSERT INTO ils_deadline (period, kind, deadline) VALUES (?, ?, ?)", ("2026-T2", "", "2026-09-15"))
    before = f.data_hash(wh, "N1", "2026-T2")
    other = f.data_hash(wh, "N2", "2026-T2")
    mark_ready(wh, "N1", "2026-T2")  # the owner acts as admin: users names none
    assert f.data_hash(wh, "N1", "2026-T2") != before
    assert f.data_hash(wh, "N2", "2026-T2") == other  # another organisation's state is not this report's
