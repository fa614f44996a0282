"""The organisation report (notebooks/report.ipynb) on the embedded demo, for every period type.

Each (organisation, period) is executed once through ``run_job`` (the
in-process engine) and the tests read its files: the figures in the HTML equal
``figures.json``, which equals the API (:mod:`ilslib.figures`); text from the
data is escaped; the HTML holds no code, prompts, warnings or network
references; the tables match a committed snapshot
(``ILS_UPDATE_SNAPSHOTS=1 pytest tests/test_report.py`` rewrites it). One report
is also produced through the command line (``ils run``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from report_support import (
    ORGS,
    PERIODS,
    REPORT_NB,
    SCRIPT_ORG,
    SCRIPT_PERIOD,
    SNAPSHOT_MASK,
    Report,
    Reports,
    assert_clean,
    assert_inert,
    check_snapshot,
    done,
    find_table,
    kpis,
    table_rows,
    table_snapshot,
    text,
    warehouse_env,
)

import ilslib
from ilslib import figures as f
from ilslib import fmt
from ilslib.contract import CONTRACT_VERSION
from ilslib.figures.texts import text_label
from ilslib.report.present import _slug
from ilslib.report.tables import NO_GENDER_SPLIT, economy_unit

MATRIX = [(org, per) for org in ORGS.values() for per in PERIODS]
MATRIX_IDS = [f"{org}-{per}" for org, per in MATRIX]
FOLLOW_UP = [(o, p) for o, p in MATRIX if not p.endswith("BU")]
STATUS_TEXTS = [fmt.status(s) for s in ("uppfyllt", "delvis", "ej_uppfyllt")]


def loose(cell: Any) -> str:
    """A cell's (or a string's) text with no-break spaces as spaces: a long unit may wrap below its number."""
    return (text(cell) if not isinstance(cell, str) else cell).replace("\u00a0", " ")


def _indicator_caption(period: str) -> str:
    return "Samtliga indikatorer" if period.endswith("BO") else "Indikatorer som följs upp per tertial"


# -- every notebook runs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("org_id", "period"), MATRIX, ids=MATRIX_IDS)
def test_report_runs_and_writes_its_files(reports: Reports, org_id: str, period: str) -> None:
    report = done(reports.org(org_id, period))
    assert report.warnings == ()
    for name in ("report.ipynb", "report.html", "figures.json"):
        assert (report.out / name).stat().st_size > 0, name
    nb = report.notebook()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    bad = [o for o in outputs if o["output_type"] in ("error", "stream")]
    assert not bad, f"the notebook printed or raised: {bad[:2]}"
    doc = report.figures()
    assert (doc["contract_version"], doc["org_id"], doc["period"]) == (CONTRACT_VERSION, org_id, period)
    assert doc["provenance"]["notebook"] == "report.ipynb"


@pytest.mark.parametrize(("org_id", "period"), MATRIX, ids=MATRIX_IDS)
def test_figures_json_equals_the_api(reports: Reports, demo_wh: Any, org_id: str, period: str) -> None:
    got = done(reports.org(org_id, period)).figures()
    api = json.loads(f.dumps(f.figures_json(demo_wh, org_id, period)))
    for doc in (got, api):
        doc["provenance"].pop("generated_at")
        doc["provenance"].pop("notebook")
    assert got == api


# -- the figures in the HTML are those of figures.json ---------------------------------------------


@pytest.mark.parametrize(("org_id", "period"), MATRIX, ids=MATRIX_IDS)
def test_title_and_cover(reports: Reports, demo_wh: Any, org_id: str, period: str) -> None:
    report = done(reports.org(org_id, period))
    soup = report.soup()
    org, per = f.organisation(demo_wh, org_id), f.as_period(demo_wh, period)
    assert soup.html["lang"] == "sv"
    draft = " (utkast)" if report.figures()["draft"] else ""  # its reporting is not approved
    assert soup.title.string == f"{per.title} – {org.name}{draft}"
    assert [text(h) for h in soup.find_all("h1")] == [per.title]
    cover = soup.select_one("header.cover")
    assert text(cover.select_one(".org-name")) == org.name
    assert f"{org.name} ({org_id})" in text(cover)
    assert (org.controller or "–") in text(cover)


@pytest.mark.parametrize(("org_id", "period"), FOLLOW_UP, ids=[f"{o}-{p}" for o, p in FOLLOW_UP])
def test_indicator_table_shows_the_indicators_of_figures_json(reports: Reports, org_id: str, period: str) -> None:
    report = done(reports.org(org_id, period))
    doc, soup = report.figures(), report.soup()
    inds = doc["indicators"]
    if period.endswith(("T1", "T2")):
        assert inds and {i["frequency"] for i in inds} == {"tertial"}, (
            "a tertial report follows tertial indicators only"
        )
    else:
        assert {i["frequency"] for i in inds} == {"tertial", "annual"}, "the annual report follows every indicator"
    headers, rows = table_rows(find_table(soup, _indicator_caption(period)))
    assert headers[:4] == ["Indikator", "Utfall", "Mål", "Status"]
    assert len(rows) == len(inds)
    for ind, row in zip(inds, rows, strict=True):
        unit, dec = ind["unit"], ind["decimals"]
        assert row["Indikator"].contents[0].strip() == ind["name"]
        assert loose(row["Utfall"]) == loose(fmt.value(ind["value"], unit, dec))
        assert loose(row["Mål"]).startswith(loose(fmt.value(ind["target"], unit, dec)))
        assert text(row["Status"]) == fmt.status(ind["status"])
        assert loose(row["I fjol"]) == loose(fmt.value(ind["last_year_value"], unit, dec))
        # a change carries its unit; a percentage changes in percentage points
        assert loose(row["Förändring"]) == loose(fmt.change(ind["change"], unit, dec))
        if unit == "%" and ind["change"] is not None:
            assert text(row["Förändring"]).endswith("p.e.")
        if "Kvinnor" in row:
            split = ind["by_gender"]["K"] is not None or ind["by_gender"]["M"] is not None
            for col, g in (("Kvinnor", "K"), ("Män", "M")):
                v = ind["by_gender"][g]
                # never blank: the value, "-" when missing, "." when the indicator has no gender split
                assert loose(row[col]) == loose(fmt.value(v, unit, dec) if split else NO_GENDER_SPLIT)
    # the summary counts the same statuses
    counts = {s: sum(i["status"] == s for i in inds) for s in fmt.STATUS}
    boxes = kpis(soup)
    assert boxes["Indikatorer uppfyllda"] == f"{counts['uppfyllt']} av {len(inds)}"
    assert boxes["Delvis uppfyllda"] == str(counts["delvis"])
    assert boxes["Ej uppfyllda"] == str(counts["ej_uppfyllt"])
    _, count_rows = table_rows(find_table(soup, "Indikatorernas status"))
    assert {text(r["Status"]): text(r["Antal indikatorer"]) for r in count_rows} == {
        fmt.status(s): str(n) for s, n in counts.items()
    }


@pytest.mark.parametrize(("org_id", "period"), FOLLOW_UP, ids=[f"{o}-{p}" for o, p in FOLLOW_UP])
def test_goal_blocks_show_judgement_beside_indicator_statuses(reports: Reports, org_id: str, period: str) -> None:
    report = done(reports.org(org_id, period))
    doc, soup = report.figures(), report.soup()
    shown = 0
    for goal in doc["goals"]:
        if not goal["own"] or (goal["level"] in ("vision", "inriktningsmal") and goal["assessment"] is None):
            continue
        if goal["level"] == "kf_mal":  # the kommun's own KF goal: its block follows the KF heading
            block = soup.find(id=f"kf-{goal['goal_id']}").find_next_sibling("div", class_="goal")
        else:
            block = soup.find(id=f"mal-{goal['goal_id']}").find_parent("div", class_="goal")
        badge = block.find("span", class_="status")
        assert text(badge) == fmt.assessment(goal["assessment"])
        flag = block.find(class_="flag")
        assert (flag is not None) == goal["divergence"]
        if flag is not None:
            assert goal["divergence_note"] in text(flag)
        measured = [i for i in doc["indicators"] if i["goal_id"] == goal["goal_id"]]
        items = block.find_all("li")
        assert len(items) == len(measured)
        for ind, li in zip(measured, items, strict=True):
            assert text(li) == (
                f"{ind['name']}: {fmt.value(ind['value'], ind['unit'], ind['decimals'])} (mål "
                f"{fmt.value(ind['target'], ind['unit'], ind['decimals'])}) {fmt.status(ind['status'])}"
            )
        if goal["comment"]:
            assert re.sub(r"\s+", " ", goal["comment"]).strip() in text(block)
        shown += 1
    assert shown == len(soup.select("div.goal")) > 0
    own_goals = [g for g in doc["goals"] if g["own"] and g["level"] not in ("vision", "inriktningsmal")]
    met = sum(g["assessment"] == "uppfyllt" for g in own_goals)
    assert kpis(soup)["Mål bedömda uppfyllda"] == f"{met} av {len(own_goals)}"
    _, rows = table_rows(find_table(soup, "Organisationens bedömning av sina mål"))
    judged = {code: sum(g["assessment"] == code for g in own_goals) for code in ("uppfyllt", "delvis", "ej_uppfyllt")}
    judged[None] = len(own_goals) - sum(judged.values())
    assert {text(r["Bedömning"]): text(r["Antal mål"]) for r in rows} == {
        fmt.assessment(code): str(n) for code, n in judged.items()
    }


@pytest.mark.parametrize("period", [p for p in PERIODS if not p.endswith("BU")])
@pytest.mark.parametrize("org_id", [ORGS["kommun"], ORGS["koncern"]])
def test_the_only_organisation_of_its_kind_is_not_ranked_against_itself(
    reports: Reports, org_id: str, period: str
) -> None:
    soup = done(reports.org(org_id, period)).soup()
    assert not [t for t in soup.find_all("table") if text(t.caption).startswith("Rang bland")]
    assert "ingen att jämföras med" in text(soup)
    assert " 1 av 1 " not in f" {text(soup)} "  # no rank "1 av 1"


@pytest.mark.parametrize("org_id", list(ORGS.values()))
def test_budget_shows_targets_and_no_statuses(reports: Reports, org_id: str) -> None:
    report = done(reports.org(org_id, "2026-BU"))
    doc, soup = report.figures(), report.soup()
    assert all(i["status"] is None and i["value"] is None for i in doc["indicators"])
    headers, rows = table_rows(find_table(soup, "Indikatorer och mål 2026"))
    assert "Status" not in headers and "Utfall" not in headers
    assert len(rows) == len(doc["indicators"])
    for ind, row in zip(doc["indicators"], rows, strict=True):
        assert text(row["Indikator"]) == ind["name"]
        target = ind["annual_target"] if ind["annual_target"] is not None else ind["target"]
        assert loose(row["Årsmål"]) == loose(fmt.value(target, ind["unit"], ind["decimals"]))
    page = text(soup)
    for word in STATUS_TEXTS:
        assert word not in page, f"{word!r} in a budget"
    boxes = kpis(soup)
    e = doc["economy"]
    u = economy_unit(e)
    assert boxes["Budgeterade intäkter"] == u.text(e["budget_income"])
    assert boxes["Budgeterat nettoresultat"] == u.text(e["budget_net"])
    headers, rows = table_rows(find_table(soup, "Budget 2026"))
    assert headers == ["Post", f"Budget ({u.label})"]
    assert [text(r[headers[1]]) for r in rows] == [
        u.number(e[k]) for k in ("budget_income", "budget_costs", "budget_net")
    ]


@pytest.mark.parametrize(("org_id", "period"), FOLLOW_UP, ids=[f"{o}-{p}" for o, p in FOLLOW_UP])
def test_economy_and_personnel_match_figures_json(reports: Reports, org_id: str, period: str) -> None:
    report = done(reports.org(org_id, period))
    doc, soup = report.figures(), report.soup()
    e, p = doc["economy"], doc["personnel"]
    u = economy_unit(e)  # the unit of the table, the chart and the headline figures: by the largest amount
    headers, rows = table_rows(find_table(soup, "Budgetuppföljning januari–"))
    assert headers == ["Post", f"Utfall ({u.label})", f"Budget ({u.label})", f"Avvikelse mot budget ({u.label})"]
    by_post = {text(r["Post"]): r for r in rows}
    assert list(by_post) == ["Intäkter", "Kostnader", "Nettoresultat"]
    for post, outcome, budget, deviation in (
        ("Intäkter", e["income"], e["budget_income"], e["income"] - e["budget_income"]),
        ("Kostnader", e["costs"], e["budget_costs"], e["budget_costs"] - e["costs"]),
        ("Nettoresultat", e["net"], e["budget_net"], e["deviation"]),
    ):
        row = by_post[post]
        assert text(row[headers[1]]) == u.number(outcome)
        assert text(row[headers[2]]) == u.number(budget)
        assert text(row[headers[3]]) == u.signed(deviation)
    boxes = [(text(li.select_one(".label")), text(li.select_one(".value"))) for li in soup.select("ul.kpis > li")]
    assert ("Budgetavvikelse", u.text(e["deviation"])) in boxes
    forecast = ("Prognos helår mot budget", u.text(e["forecast_deviation"]))
    assert (forecast in boxes) == period.endswith(("T1", "T2"))
    sick = fmt.pct(p["sick_leave_pct"], suppressed=p["suppressed"])
    assert [v for k, v in boxes if k == "Sjukfrånvaro"] == [sick, sick]  # the summary and the personnel section
    assert ("Antal anställda", fmt.number(p["headcount"])) in boxes
    assert ("Årsarbetare", fmt.number(p["fte"], 1)) in boxes


@pytest.mark.parametrize("period", [p for p in PERIODS if not p.endswith("BU")])
def test_small_company_sick_leave_is_suppressed(reports: Reports, period: str) -> None:
    report = done(reports.org(ORGS["small"], period))
    doc, soup = report.figures(), report.soup()
    assert doc["personnel"]["suppressed"] is True
    assert doc["personnel"]["sick_leave_pct"] is None
    assert doc["personnel"]["headcount"] < 5
    assert [v for k, v in kpis(soup).items() if k == "Sjukfrånvaro"] == [".."]
    assert "färre än fem anställda" in text(soup)
    _, rows = table_rows(find_table(soup, "Rang bland bolagen"))
    sick = [r for r in rows if text(r["Nyckeltal"]) == "Sjukfrånvaro"]
    assert [text(r["Värde"]) for r in sick] == [".."]


@pytest.mark.parametrize(("org_id", "period"), MATRIX, ids=MATRIX_IDS)
def test_comment_section_follows_the_period_type(reports: Reports, org_id: str, period: str) -> None:
    report = done(reports.org(org_id, period))
    doc, soup = report.figures(), report.soup()
    h3 = [text(h) for h in soup.find_all("h3")]
    head = text_label("vd_kommentar", doc["kind"])  # a board's head is no VD: "Förvaltningschefens kommentar"
    kind, label, other = (
        ("rapportkommentar", "Rapportkommentar", head)
        if period.endswith("BO")
        else ("vd_kommentar", head, "Rapportkommentar")
    )
    assert label in h3 and other not in h3
    if doc["kind"] == "namnd":
        assert "VD-kommentar" not in h3 and ("Förvaltningschefens kommentar" in h3) == (kind == "vd_kommentar")
    section = soup.find("section", attrs={"aria-labelledby": _slug(label)})
    shown = text(section)[len(label) :].strip()
    expected = doc["texts"].get(kind)
    assert shown == (re.sub(r"\s+", " ", expected).strip() if expected else "Ingen text har lämnats.")
    assert ("Avvikelserapportering" in h3) == (not period.endswith("BU"))
    assert ("Prognos för helåret" in h3) == period.endswith(("T1", "T2"))


# -- escaping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org_id", "period"), [*MATRIX, (SCRIPT_ORG, SCRIPT_PERIOD)], ids=[*MATRIX_IDS, f"{SCRIPT_ORG}-{SCRIPT_PERIOD}"]
)
def test_no_markup_from_the_data_is_interpreted(reports: Reports, org_id: str, period: str) -> None:
    assert_inert(done(reports.org(org_id, period)).soup())


def test_script_in_a_comment_is_shown_as_text(reports: Reports) -> None:
    report = done(reports.org(SCRIPT_ORG, SCRIPT_PERIOD))
    comment = report.figures()["texts"]["avvikelse"]
    assert "<script>" in comment
    soup = report.soup()
    assert 'Kommentar med <script>alert("x")</script> & "citat"' in text(soup)
    html = report.html()
    assert "&lt;script&gt;alert(" in html and "&amp; " in html
    assert "<script" not in html.lower()
    assert soup.find_all("script") == []


def test_markup_and_quotes_in_titles_are_shown_as_text(reports: Reports) -> None:
    soup = done(reports.org(ORGS["board"], "2026-T2")).soup()
    page = text(soup)
    assert 'Trygg & tillgänglig stadsdel för "alla" – <b>även</b> på kvällen' in page
    assert "<b>ökad belysning</b>" in page
    assert soup.find_all("b") == []
    energi = done(reports.org(ORGS["company"], "2025-BO"))
    assert energi.soup().title.string == "Verksamhetsberättelse 2025 – Mälarviks Energi & Vatten AB"
    assert "Mälarviks Energi &amp; Vatten AB" in energi.html()


HOSTILE = {
    "vd_kommentar": "<img src=x onerror=alert(1)> \"VD\" & 'ledning'\n\n</div></main><script>alert(2)</script>",
    "assessment": '<a href="javascript:alert(3)">klicka</a> & <style>body{display:none}</style>',
    "activity": '<iframe src="//evil.example"></iframe> åäö',
}


def test_hostile_text_written_to_the_warehouse_is_escaped(demo_url: str, tmp_path: Path) -> None:
    from ilslib import store
    from ilslib.runner.job import Job, run_job

    copy = tmp_path / "demo.sqlite"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    org, period = "ALN", "2026-T2"
    with ilslib.connect(url) as demo_wh:
        goal = f.goals(demo_wh, org, period).query("own")["goal_id"].iloc[0]
        activity = f.activities(demo_wh, org, period)["activity_id"].iloc[0]
        with demo_wh.transaction():
            store.write(
                demo_wh,
                "comments",
                pd.DataFrame(
                    [{"org_id": org, "period": period, "kind": "vd_kommentar", "text": HOSTILE["vd_kommentar"]}]
                ),
            )
            store.write(
                demo_wh,
                "assessments",
                pd.DataFrame(
                    [
                        {
                            "org_id": org,
                            "goal_id": goal,
                            "period": period,
                            "assessment": "delvis",
                            "comment": HOSTILE["assessment"],
                        }
                    ]
                ),
            )
            store.write(
                demo_wh,
                "activity_status",
                pd.DataFrame(
                    [{"activity_id": activity, "period": period, "status": "forsenad", "comment": HOSTILE["activity"]}]
                ),
            )
    with warehouse_env(url):
        result = run_job(Job(str(REPORT_NB), {"org_id": org, "period": period}, str(tmp_path / "out"), ("html",)))
    report = done(Report(tmp_path / "out", result.status, result.error))
    soup = report.soup()
    assert_inert(soup)
    assert soup.find_all("a") == []
    assert len(soup.find_all("style")) == 1  # the report's own, in <head>
    page = text(soup)
    assert "<img src=x onerror=alert(1)> \"VD\" & 'ledning'" in page
    assert "</div></main><script>alert(2)</script>" in page
    assert '<a href="javascript:alert(3)">klicka</a> & <style>body{display:none}</style>' in page
    assert '<iframe src="//evil.example"></iframe> åäö' in page
    assert len(soup.find_all("main")) == 1
    assert all(h.find_parent("main") is soup.main for h in soup.find_all("h2"))  # nothing closed <main> early
    assert report.figures()["texts"]["vd_kommentar"] == HOSTILE["vd_kommentar"]


# -- no code, no prompts, no warnings; offline -----------------------------------------------------


@pytest.mark.parametrize(("org_id", "period"), MATRIX, ids=MATRIX_IDS)
def test_html_has_no_code_no_warnings_and_nothing_from_the_network(reports: Reports, org_id: str, period: str) -> None:
    assert_clean(done(reports.org(org_id, period)))


@pytest.mark.parametrize(("org_id", "period"), FOLLOW_UP, ids=[f"{o}-{p}" for o, p in FOLLOW_UP])
def test_numbers_are_swedish(reports: Reports, org_id: str, period: str) -> None:
    soup = done(reports.org(org_id, period)).soup()
    cells = [text(c) for c in soup.select("td.num, th.num")]
    # amounts: the unit (kr, tkr, mnkr) is in the column header, the cells hold Swedish numbers
    amount_columns = [
        i
        for table in soup.find_all("table")
        for i, th in enumerate(table.thead.find_all("th"))
        if re.search(r"\((kr|tkr|mnkr)\)$", text(th))
    ]
    assert amount_columns, "no amount column with its unit in the header"
    amounts = [
        text(tr.find_all(["th", "td"])[i])
        for table in soup.find_all("table")
        for i, th in enumerate(table.thead.find_all("th"))
        if re.search(r"\((kr|tkr|mnkr)\)$", text(th))
        for tr in table.tbody.find_all("tr")
    ]
    assert all(re.fullmatch(r"[−+]?\d{1,3}(\u00a0\d{3})*(,\d)?|-", c) for c in amounts), amounts[:5]
    assert not [c for c in cells if re.fullmatch(r"[−+]?\d{1,3}(\u00a0\d{3}){3,}(\u00a0kr)?", c)], (
        "an amount of ten or more digits in whole kronor"
    )
    pcts = [c for c in cells if c.endswith("%")]
    assert all(re.fullmatch(r"[−+]?\d{1,3}(\u00a0\d{3})*(,\d+)?\u00a0%", c) for c in pcts), pcts[:5]
    for c in cells:
        assert not re.search(r"\d\.\d", c), f"decimal point in {c!r}"
        assert not re.search(r"(^|\s)-\d", c), f"hyphen for minus in {c!r}"


# -- snapshot of the rendered tables ---------------------------------------------------------------


def test_tables_match_the_snapshot(reports: Reports) -> None:
    soup = done(reports.org(ORGS["board"], "2026-T2")).soup()
    check_snapshot("report_SDN_SJV_2026-T2.txt", table_snapshot(soup, masked=SNAPSHOT_MASK))


# -- the command line ------------------------------------------------------------------------------


def test_ils_run_writes_the_report_files(reports: Reports, demo_url: str, tmp_path: Path) -> None:
    org, period = ORGS["small"], "2026-T2"
    out = tmp_path / "out"
    env = {**os.environ, "ILS_WAREHOUSE": demo_url}
    ils = Path(sys.executable).with_name("ils")  # the console script installed with ilslib
    command = [str(ils)] if ils.exists() else [sys.executable, "-m", "ilslib"]
    proc = subprocess.run(
        [*command, "run", "--period", period, "--org", org, "--format", "html,pdf", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    target = out / period / org
    for name in ("report.html", "report.pdf", "report.ipynb", "figures.json"):
        assert (target / name).stat().st_size > 0, name
    assert (target / "report.pdf").read_bytes().startswith(b"%PDF-")
    cli = Report(target, "done", None)
    assert cli.figures()["personnel"]["suppressed"] is True
    # the same report as run_job's, table for table
    direct = done(reports.org(org, period))
    assert table_snapshot(cli.soup(), masked=SNAPSHOT_MASK) == table_snapshot(direct.soup(), masked=SNAPSHOT_MASK)
    assert_clean(cli)


def test_reports_run_on_data_loaded_from_the_good_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data that ``ils load`` accepts (e.g. a target without goal_id) gives a report, not a crash."""
    from ilslib.load import load_dir
    from ilslib.runner.job import Job, run_job
    from ilslib.schema import init_schema

    url = "sqlite:///" + str(tmp_path / "loaded.sqlite")
    with ilslib.connect(url, create=True, check_schema=False) as w:
        init_schema(w)
        result = load_dir(w, Path(__file__).parent / "good_loads" / "base", rejects_path=tmp_path / "rejects.csv")
        assert result.ok
        orgs = list(f.organisations(w)["org_id"])
    monkeypatch.setenv("ILS_WAREHOUSE", url)
    for org in orgs:
        r = run_job(
            Job(str(REPORT_NB), {"org_id": org, "period": "2026-T2"}, str(tmp_path / "out" / org), ("html",), org)
        )
        assert (r.status, r.error) == ("done", None), org
        assert (tmp_path / "out" / org / "report.html").stat().st_size > 0


def test_huge_numbers_never_crash_a_report(demo_url: str, tmp_path: Path) -> None:
    """A 29-digit amount, an FTE of 1E30 and an outcome of 1E308 (numbers the loader of version 1 accepted):
    the organisation's report, its short version and its group report are made, with the numbers shown."""
    from ilslib import store
    from ilslib.report import report_files
    from ilslib.runner.job import Job, run_job

    copy = tmp_path / "demo.sqlite"
    shutil.copy(demo_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    org, period = "ALN", "2026-T2"
    with ilslib.connect(url) as w:
        ind = f.indicators(w, org, period)["indicator_id"].iloc[0]
        with w.transaction():
            store.write(
                w,
                "ledger",
                pd.DataFrame(
                    [
                        {"org_id": org, "month": "2026-03", "account": "9999", "account_name": "Stort", "kind": "intakt",
                         "outcome": 12345678901234567890123456789.0, "budget": 1.0, "forecast": None},
                    ]
                ),
            )  # fmt: skip
            store.write(
                w,
                "personnel",
                pd.DataFrame(
                    [{"org_id": org, "month": "2026-08", "headcount": 40, "fte": 1e30, "scheduled_hours": 6000.0,
                      "sick_hours": 300.0}]
                ),
            )  # fmt: skip
            store.write(
                w,
                "outcomes",
                pd.DataFrame([{"org_id": org, "indicator_id": ind, "period": period, "value": 1e308, "gender": "T"}]),
            )
    with warehouse_env(url):
        for nb, params, name in (
            (REPORT_NB, {"org_id": org, "period": period}, "org"),
            (REPORT_NB.with_name("report_kort.ipynb"), {"org_id": org, "period": period}, "kort"),
            (REPORT_NB.with_name("group_report.ipynb"), {"kind": "namnd", "period": period}, "group"),
        ):
            result = run_job(Job(str(nb), params, str(tmp_path / name), ("html",)))
            report = done(Report(tmp_path / name, result.status, result.error))
            files = report_files(report.notebook(), formats=("xlsx",))
            assert files["report.xlsx"].startswith(b"PK")
    shown = Report(tmp_path / "org", "done", None)
    page, doc = text(shown.soup()), shown.figures()
    assert fmt.number(1e30, 1) in page  # the FTE, all 31 digits
    income = doc["economy"]["income"]
    assert income > 1e28 and fmt.MNKR.number(income) in page  # the 29-digit amount, in mnkr
    assert fmt.value(1e308, doc["indicators"][0]["unit"], doc["indicators"][0]["decimals"]) in page


def test_nothing_deviating_says_so_and_shows_no_blank_rows(reports: Reports, demo_wh: Any) -> None:
    """TEATER 2026-T1: every indicator met or missing. The deviation table showed a row of "–  -  -" per
    indicator; now the report says that no indicator deviates."""
    assert f.deviations(demo_wh, "TEATER", "2026-T1").empty
    soup = done(reports.org("TEATER", "2026-T1")).soup()
    section = soup.find("section", attrs={"aria-labelledby": "avvikelserapportering"})
    assert "Inga indikatorer avviker från målet" in text(section)
    assert not [t for t in section.find_all("table")]
