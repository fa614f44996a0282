"""The portal at a few hundred reports, in a real headless Chromium: filter, counts, sorting.

The reports are state files on disk as ``ils run`` leaves them (the portal is built from
them alone), for the demo grown to 300 organisations (``ils demo --orgs 300``'s names and
kinds), two periods and the group reports: running 600 real reports would take minutes.
``benchmarks/bench_scale.py`` runs the real thing with 2 000 organisations.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ilslib import demo
from ilslib.runner.portal import collect, write_portal

CHROMIUM = "/usr/bin/chromium"
PERIODS = ("2026-T2", "2026-T1")
N_ORGS = 300


def _state(meta: dict, status: str = "done", error: str | None = None) -> str:
    return json.dumps(
        {"status": status, "error": error, "input_hash": "h", "finished_at": "2026-11-27T08:00:00+00:00", "meta": meta}
    )


@pytest.fixture(scope="module")
def big_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """An output directory with 300 organisations' reports for two periods, group reports and one failure."""
    orgs, _ = demo.grown_organisations(demo.catalogue(), N_ORGS)
    out = tmp_path_factory.mktemp("portal-scale") / "out"
    for period in PERIODS:
        for n, org in enumerate(orgs):
            d = out / period / org["id"]
            d.mkdir(parents=True)
            failed = period == PERIODS[0] and n == 7
            meta = {
                "org_id": org["id"],
                "name": org["name"],
                "kind": org["kind"],
                "period": period,
                "notebook": "report",
                "summary": {"uppfyllt": n % 5, "delvis": n % 3, "ej_uppfyllt": n % 2},
                "round_state": "godkand" if n % 4 else "klar",
            }
            if not failed:
                (d / "report.html").write_text("<!DOCTYPE html><title>r</title>", encoding="utf-8")
            (d / ".ils-state.json").write_text(
                _state(meta, "failed" if failed else "done", "ValueError: <b>trasig</b>" if failed else None),
                encoding="utf-8",
            )
        for kind, label in (("namnd", "nämnderna"), ("bolag", "bolagen")):
            d = out / period / "_grupp" / kind
            d.mkdir(parents=True)
            (d / "report.html").write_text("<!DOCTYPE html><title>g</title>", encoding="utf-8")
            meta = {"kind": kind, "period": period, "notebook": "group_report", "group": True}
            meta["name"] = f"Mål och måluppfyllelse – {label}"
            (d / ".ils-state.json").write_text(_state(meta), encoding="utf-8")
    write_portal(out)
    return out, orgs


@pytest.fixture(scope="module")
def page():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        from conftest import unavailable

        unavailable(f"Python Playwright is not installed ({exc}); pip install -e '.[dev]'")
    if not Path(CHROMIUM).is_file():
        from conftest import unavailable

        unavailable(f"{CHROMIUM} is missing (Debian package chromium; scripts/install-system.sh)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser.new_page()
        finally:
            browser.close()


def visible(page, table: str = "#t-org") -> list[str]:
    return page.eval_on_selector_all(
        f"{table} tbody tr:not([hidden]) th[scope=row]", "els => els.map(e => e.dataset.v)"
    )


def count(page) -> tuple[int, int]:
    m = re.fullmatch(r"Visar (\d+) av (\d+) rapporter\.", page.locator("#f-count").inner_text())
    assert m, page.locator("#f-count").inner_text()
    return int(m.group(1)), int(m.group(2))


def test_collect_lists_every_report(big_out) -> None:
    out, orgs = big_out
    rows = collect(out)
    assert len(rows) == len(PERIODS) * (N_ORGS + 2)
    assert [r["period"] for r in rows] == sorted((r["period"] for r in rows), reverse=True)  # newest period first
    assert sum(r["status"] == "failed" for r in rows) == 1
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<b>trasig</b>" not in html and "&lt;b&gt;trasig&lt;/b&gt;" in html


def test_portal_filters_and_counts_hundreds_of_reports(page, big_out) -> None:
    out, orgs = big_out
    total = len(PERIODS) * (N_ORGS + 2)
    page.goto((out / "index.html").as_uri())
    assert count(page) == (total, total)
    assert len(visible(page)) == len(PERIODS) * N_ORGS
    # by kind: the organisations of that kind in both periods, and that kind's group reports
    page.select_option("#f-kind", "bolag")
    bolag = sum(o["kind"] == "bolag" for o in orgs)
    assert len(visible(page)) == 2 * bolag and count(page) == (2 * bolag + 2, total)
    assert visible(page, "#t-group") == ["Mål och måluppfyllelse – bolagen"] * 2
    # and by period on top of it
    page.select_option("#f-period", PERIODS[1])
    assert count(page) == (bolag + 1, total)
    page.select_option("#f-kind", "")
    page.select_option("#f-period", "")
    # by a name with Swedish letters, in capitals: every organisation whose name holds it
    needle = next(o["name"] for o in orgs[32:] if "ö" in o["name"]).split()[0].rstrip("s")
    expected = sorted(o["name"] for o in orgs if needle.lower() in o["name"].lower())
    page.fill("#f-name", needle.upper())
    assert 1 <= len(expected) < N_ORGS
    assert sorted(visible(page)) == sorted(expected * 2) and count(page)[0] == 2 * len(expected)
    page.fill("#f-name", "")
    assert count(page) == (total, total)


def test_portal_sorts_hundreds_of_reports(page, big_out) -> None:
    out, orgs = big_out
    page.goto((out / "index.html").as_uri())
    page.locator("#t-org thead button[data-key=name]").click()
    names = visible(page)
    swedish = str.maketrans("åäöÅÄÖ", "{|}{|}")
    assert names == sorted(names, key=lambda s: s.lower().translate(swedish))
    page.locator("#t-org thead button[data-key=met]").click()
    met = page.eval_on_selector_all("#t-org tbody tr td:nth-child(6)", "e => e.map(c => +c.dataset.v)")
    assert len(met) == len(PERIODS) * N_ORGS and met == sorted(met) and met[0] == -1  # the failed report first
