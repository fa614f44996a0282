"""``ils new-study`` and running a study with ``ils run --notebook``: per organisation, per kind, once.

The study is created in a scratch project directory (``tmp/notebooks/studies``),
run through the real batch runner on the demo warehouse, and must appear in the
portal. Parameters given to ``ils run`` are checked against the notebook's
``parameters`` cell before anything runs. Swedish names keep their letters in the
title; the folder is their ASCII form. The table and chart helpers a study uses
have examples that run (``ilslib.report.tables``, ``charts``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ilslib import notebooks as nbs
from ilslib.cli.new_study import check_name, default_title, render
from ilslib.errors import ConfigError

PERIOD = "2026-T2"
TITLE = 'Sjukfrånvaro & "lokaler" <i>2026</i>'


def ils(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ilslib", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=timeout,
    )


def ils_here(
    *args: str, cwd: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> subprocess.CompletedProcess:
    """``ils ARGS`` in this process (for the quick commands), as a CompletedProcess."""
    from ilslib.cli import main

    monkeypatch.chdir(cwd)
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse
        code = exc.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The single ``ils: error: ...`` line of a failed command (and no traceback)."""
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ils: error: "), proc.stderr
    return lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with a ``notebooks/`` directory, as ``ils new-study`` expects."""
    (tmp_path / "notebooks").mkdir()
    return tmp_path


@pytest.fixture
def study(project: Path) -> Path:
    proc = ils("new-study", "sjuk_2026", "--title", TITLE, cwd=project)
    assert proc.returncode == 0, proc.stderr
    return project / "notebooks" / "studies" / "sjuk_2026"


def test_new_study_creates_a_paired_notebook_from_the_template(project: Path):
    proc = ils("new-study", "sjuk_2026", "--title", TITLE, cwd=project)
    assert proc.returncode == 0, proc.stderr
    d = project / "notebooks" / "studies" / "sjuk_2026"
    assert sorted(p.name for p in d.iterdir()) == ["sjuk_2026.ipynb", "sjuk_2026.py"]
    # what to do next, with the exact commands
    assert "ils run --notebook notebooks/studies/sjuk_2026 --period latest --all" in proc.stdout
    assert "make lab" in proc.stdout and "outputs/index.html" in proc.stdout
    # a jupytext pair in sync, without outputs, with the project's kernel
    assert nbs.check_tree([d]) == []
    nb = json.loads((d / "sjuk_2026.ipynb").read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "ils"
    cells = [(c["cell_type"], "".join(c["source"]), c["metadata"].get("tags", [])) for c in nb["cells"]]
    params = [src for kind, src, tags in cells if "parameters" in tags]
    assert len(params) == 1 and 'org_id = "ALN"' in params[0] and 'period = "latest"' in params[0]
    markdown = "\n".join(src for kind, src, _ in cells if kind == "markdown")
    assert markdown.startswith('# Specialstudie: Sjukfrånvaro & "lokaler" \\<i\\>2026\\</i\\>')
    assert "## Syfte och metod" in markdown and "## Slutsatser" in markdown
    code = "\n".join(src for kind, src, _ in cells if kind == "code")
    assert f"TITLE = {TITLE!r}" in code  # the title as a Python literal, quotes and all
    assert "ilslib.connect()" in code and "SELECT" not in code


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "a/b",
        "x y",
        "",
        "-x",
        "1abc",
        "σ_studie",  # a letter, but none that has an ASCII form for the folder
        "åå" + "x" * 39,  # 41 letters
        "cön",  # its folder would be con
        "x" * 41,
        ".hidden",
        "report",
        "Group_Report",
        "explore",
        "studies",
        "con",
        "CON",
        "Nul",
        "aux",
        "prn",
        "com1",
        "COM9",
        "lpt0",
        "Lpt9",
        "con.txt",
        "x\u200by",
        "x\u2028y",
    ],
)
def test_new_study_refuses_an_unsafe_or_reserved_name(project: Path, name: str, capsys, monkeypatch):
    proc = ils_here("new-study", "--", name, cwd=project, capsys=capsys, monkeypatch=monkeypatch)
    line = one_line_error(proc)
    assert proc.returncode == 2
    assert "study name" in line and repr(name) in line
    assert not (project / "notebooks" / "studies").exists() or not any((project / "notebooks" / "studies").iterdir())


def test_new_study_refuses_an_existing_study(study: Path, capsys, monkeypatch):
    project = study.parent.parent.parent
    before = {p: p.read_bytes() for p in study.iterdir()}
    for name in ("sjuk_2026", "SJUK_2026"):
        line = one_line_error(ils_here("new-study", name, cwd=project, capsys=capsys, monkeypatch=monkeypatch))
        assert "exists already" in line and "sjuk_2026" in line
    assert {p: p.read_bytes() for p in study.iterdir()} == before
    assert [p.name for p in study.parent.iterdir()] == ["sjuk_2026"]  # no scratch directory left


def test_new_study_outside_a_project_says_where(tmp_path: Path, capsys, monkeypatch):
    line = one_line_error(ils_here("new-study", "x1", cwd=tmp_path, capsys=capsys, monkeypatch=monkeypatch))
    assert "notebooks/" in line and "--dir" in line
    proc = ils_here(
        "new-study", "x1", "--dir", str(tmp_path / "mina"), cwd=tmp_path, capsys=capsys, monkeypatch=monkeypatch
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mina" / "x1" / "x1.ipynb").is_file()


def test_reserved_device_names_are_one_line_errors(project: Path, capsys, monkeypatch):
    """A name Windows file shares refuse (a reserved device name), in any case: refused, saying why."""
    for name in ("con", "LPT1", "Com0"):
        line = one_line_error(ils_here("new-study", name, cwd=project, capsys=capsys, monkeypatch=monkeypatch))
        assert f"study name {name!r} is a device name that Windows file shares refuse" in line, line
    for name in ("console", "nul_2026", "lpt10", "com"):  # only the device names themselves
        assert check_name(name) == (name, name)


def test_name_and_title_helpers():
    assert check_name("lokaler-2026") == ("lokaler-2026", "lokaler-2026")
    assert check_name("  lokaler-2026 ") == ("lokaler-2026", "lokaler-2026")  # trimmed, like every identifier
    assert check_name("sjukfrånvaro_2026") == ("sjukfrånvaro_2026", "sjukfranvaro_2026")
    assert check_name("So\u0308dermalm") == ("Södermalm", "Sodermalm")  # NFC first: one Ö, however typed
    assert check_name("Ærø_Łódź") == ("Ærø_Łódź", "AEro_Lodz")
    with pytest.raises(ConfigError):
        check_name("lokaler 2026")
    assert default_title("sjukfranvaro_per-namnd") == "Sjukfranvaro per namnd"
    assert default_title("sjukfrånvaro_per-nämnd") == "Sjukfrånvaro per nämnd"
    text = render("x", "Rubrik  med\n radbrytning")
    assert "TITLE = 'Rubrik med radbrytning'" in text
    with pytest.raises(ConfigError):
        render("x", "   ")


@pytest.mark.slow
def test_study_runs_for_every_organisation_into_the_portal(study: Path, demo_url: str, tmp_path: Path):
    project = study.parent.parent.parent
    out = tmp_path / "out"
    proc = ils(
        "run",
        "--notebook",
        "notebooks/studies/sjuk_2026",
        "--period",
        PERIOD,
        "--all",
        "--out",
        str(out),
        "--warehouse",
        demo_url,
        "--jobs",
        "2",
        cwd=project,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    import ilslib
    import ilslib.figures as f

    with ilslib.connect(demo_url) as wh:
        orgs = list(f.organisations(wh)["org_id"])
    base = out / "_studier" / "sjuk_2026" / PERIOD
    assert sorted(p.name for p in base.iterdir() if not p.name.startswith(".")) == sorted(orgs)
    portal = (out / "index.html").read_text(encoding="utf-8")
    for org in orgs:
        assert f'href="_studier/sjuk_2026/{PERIOD}/{org}/report.html"' in portal, org
    html = (base / "ALN" / "report.html").read_text(encoding="utf-8")
    # the title (escaped, never markup), the method section and the conclusions
    assert re.search(
        r"<title>Sjukfrånvaro &amp; (&quot;|\")lokaler(&quot;|\") &lt;i&gt;2026&lt;/i&gt; – "
        r"Äldrenämnden, Tertialrapport 2 2026</title>",
        html,
    )
    assert "<i>2026</i>" not in html
    assert "Syfte och metod" in html and "Slutsatser" in html and "Äldrenämnden" in html


def test_unknown_parameter_is_an_error_before_anything_runs(study: Path, demo_url: str, tmp_path: Path):
    project = study.parent.parent.parent
    out = tmp_path / "out"
    line = one_line_error(
        ils(
            "run",
            "--notebook",
            "notebooks/studies/sjuk_2026",
            "--period",
            PERIOD,
            "--all",
            "-p",
            "unknown=1",
            "--out",
            str(out),
            "--warehouse",
            demo_url,
            cwd=project,
        )
    )
    assert "'unknown'" in line and "org_id" in line and "period" in line
    assert not out.exists(), "nothing may be written when the parameters are wrong"


def test_missing_organisation_is_an_error_before_anything_runs(study: Path, demo_url: str, tmp_path: Path):
    project = study.parent.parent.parent
    out = tmp_path / "out"
    line = one_line_error(
        ils(
            "run",
            "--notebook",
            "notebooks/studies/sjuk_2026",
            "--period",
            PERIOD,
            "--out",
            str(out),
            "--warehouse",
            demo_url,
            cwd=project,
        )
    )
    assert "--org" in line and "--all" in line
    line = one_line_error(
        ils(
            "run",
            "--notebook",
            "notebooks/studies/sjuk_2026",
            "--period",
            PERIOD,
            "--all",
            "-p",
            "org_id=ALN",
            "--out",
            str(out),
            "--warehouse",
            demo_url,
            cwd=project,
        )
    )
    assert "org_id" in line
    assert not out.exists()


def test_parameters_of_the_standard_notebooks_are_checked_too(demo_url: str, tmp_path: Path):
    repo = Path(__file__).resolve().parent.parent
    out = tmp_path / "out"
    line = one_line_error(
        ils(
            "run",
            "--period",
            PERIOD,
            "--org",
            "ALN",
            "-p",
            "top_acounts=3",
            "--out",
            str(out),
            "--warehouse",
            demo_url,
            cwd=repo,
        )
    )
    assert "'top_acounts'" in line and "top_accounts" in line  # names the parameters it has
    line = one_line_error(
        ils(
            "run",
            "--notebook",
            "notebooks/explore.ipynb",
            "--period",
            PERIOD,
            "--org",
            "ALN",
            "-p",
            "key_figur=deviation",
            "--out",
            str(out),
            "--warehouse",
            demo_url,
            cwd=repo,
        )
    )
    assert "'key_figur'" in line and "key_figure" in line
    assert not out.exists()


# -- Swedish names and scopes ---------------------------------------------------------------------


def _cells(ipynb: Path) -> list[tuple[str, str, list[str]]]:
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"]), c["metadata"].get("tags", [])) for c in nb["cells"]]


def test_a_swedish_name_gives_a_readable_title_and_an_ascii_folder(project: Path, capsys, monkeypatch):
    proc = ils_here("new-study", "sjukfrånvaro_2026", cwd=project, capsys=capsys, monkeypatch=monkeypatch)
    assert proc.returncode == 0, proc.stderr
    d = project / "notebooks" / "studies" / "sjukfranvaro_2026"
    assert sorted(p.name for p in d.iterdir()) == ["sjukfranvaro_2026.ipynb", "sjukfranvaro_2026.py"]
    assert "the study 'Sjukfrånvaro 2026'" in proc.stdout
    assert "ils run --notebook notebooks/studies/sjukfranvaro_2026 --period latest --all" in proc.stdout
    cells = _cells(d / "sjukfranvaro_2026.ipynb")
    assert cells[0][1] == "# Specialstudie: Sjukfrånvaro 2026"
    assert "TITLE = 'Sjukfrånvaro 2026'" in "\n".join(src for kind, src, _ in cells if kind == "code")
    assert nbs.check_tree([d]) == []
    # the same folder, written without the Swedish letters or in another case: the study exists already
    for other in ("sjukfranvaro_2026", "SJUKFRÅNVARO_2026"):
        line = one_line_error(ils_here("new-study", other, cwd=project, capsys=capsys, monkeypatch=monkeypatch))
        assert "exists already" in line and "sjukfranvaro_2026" in line, line
    assert [p.name for p in d.parent.iterdir()] == ["sjukfranvaro_2026"]


@pytest.mark.parametrize(
    "scope, parameters, next_step",
    [
        ("org", {"org_id", "period"}, "--period latest --org ALN"),
        ("kind", {"kind", "period"}, "--period latest --kind namnd"),
        ("all", {"period"}, "ils run --notebook notebooks/studies/s_1 --period latest\n"),
    ],
)
def test_the_scope_decides_the_parameters(
    project: Path, scope: str, parameters: set[str], next_step: str, capsys, monkeypatch
):
    from ilslib.runner.params import declared_parameters

    proc = ils_here("new-study", "s_1", "--scope", scope, cwd=project, capsys=capsys, monkeypatch=monkeypatch)
    assert proc.returncode == 0, proc.stderr
    d = project / "notebooks" / "studies" / "s_1"
    assert set(declared_parameters(d / "s_1.ipynb")) == parameters
    assert set(declared_parameters(d / "s_1.py")) == parameters
    assert next_step in proc.stdout
    assert nbs.check_tree([d]) == []
    code = "\n".join(src for kind, src, _ in _cells(d / "s_1.ipynb") if kind == "code")
    assert "ilslib.connect()" in code and "SELECT" not in code


def test_an_unknown_scope_is_refused(project: Path, capsys, monkeypatch):
    proc = ils_here("new-study", "s_1", "--scope", "stad", cwd=project, capsys=capsys, monkeypatch=monkeypatch)
    assert proc.returncode == 2 and "--scope" in proc.stderr and "'stad'" in proc.stderr
    assert not (project / "notebooks" / "studies").exists()


def _run(project: Path, study: str, demo_url: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    return ils(
        "run", "--notebook", f"notebooks/studies/{study}", "--period", PERIOD, "--out", str(out),
        "--warehouse", demo_url, "--jobs", "2", *args, cwd=project, timeout=600,
    )  # fmt: skip


def _state(d: Path) -> dict:
    return json.loads((d / ".ils-state.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_kind_study_runs_for_every_kind_and_a_city_study_once(project: Path, demo_url: str, tmp_path: Path):
    """--scope kind: `--all` gives one page per kind that has organisations; --scope all: one page."""
    import ilslib
    import ilslib.figures as f

    with ilslib.connect(demo_url) as wh:
        orgs = f.organisations(wh)
    kinds = list(dict.fromkeys(orgs["kind"]))
    assert {"kommun", "namnd", "bolag"} <= set(kinds)

    for name, scope in (("per_typ", "kind"), ("hela_staden", "all")):
        assert ils("new-study", name, "--scope", scope, cwd=project).returncode == 0
    out = tmp_path / "out"
    proc = _run(project, "per_typ", demo_url, out, "--all")
    assert proc.returncode == 0, proc.stderr[-3000:]
    base = out / "_studier" / "per_typ" / PERIOD / "_grupp"
    assert sorted(p.name for p in base.iterdir() if not p.name.startswith(".")) == sorted(kinds)
    for kind in kinds:
        state = _state(base / kind)
        assert state["status"] == "done", state
        assert state["meta"]["study"] == "per_typ" and state["meta"]["scope"] == "kind"
        assert state["meta"]["kind"] == kind
    html = (base / "namnd" / "report.html").read_text(encoding="utf-8")
    names = orgs.loc[orgs["kind"] == "namnd", "name"].tolist()
    assert all(n in html for n in names)  # the whole kind, in the table and the chart's text alternative
    other = orgs.loc[orgs["kind"] == "bolag", "name"].tolist()
    assert not any(n in html for n in other)
    assert "►" not in html and "egna organisationen" not in html  # nobody singled out
    assert "<caption>Sjukfrånvaro, nämnderna, Tertialrapport 2 2026</caption>" in html
    assert re.search(r"<title>Per typ – nämnderna, Tertialrapport 2 2026</title>", html)

    # --kind picks one; --org makes no sense for a page per kind
    line = one_line_error(_run(project, "per_typ", demo_url, tmp_path / "o2", "--org", "ALN"))
    assert "per kind" in line and "--kind" in line

    proc = _run(project, "hela_staden", demo_url, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    page = out / "_studier" / "hela_staden" / PERIOD
    state = _state(page)
    assert state["status"] == "done" and state["meta"]["scope"] == "all" and state["meta"]["name"] == "Hela staden"
    html = (page / "report.html").read_text(encoding="utf-8")
    assert "Bedömd måluppfyllelse per KF-mål" in html and "Sjukfrånvaro, bolagen" in html
    assert "Sjukfrånvaro, nämnderna" in html
    line = one_line_error(_run(project, "hela_staden", demo_url, tmp_path / "o3", "--kind", "bolag"))
    assert "no org_id or kind parameter" in line

    # the portal lists every page of both studies
    portal = (out / "index.html").read_text(encoding="utf-8")
    for kind in kinds:
        assert f'href="_studier/per_typ/{PERIOD}/_grupp/{kind}/report.html"' in portal, kind
    assert f'href="_studier/hela_staden/{PERIOD}/report.html"' in portal


def test_a_study_module_beside_the_notebook(project: Path, demo_url: str, tmp_path: Path):
    """A one-off computation lives in the study's own module, imported with notebooks.study_module."""
    assert ils("new-study", "lokaler", cwd=project).returncode == 0
    d = project / "notebooks" / "studies" / "lokaler"
    (d / "lokaler_analysis.py").write_text(
        '"""Lokaler: what only this study computes."""\n\n\n'
        "def share_above(values: list[float], limit: float) -> float:\n"
        '    """The share (%) of values above limit."""\n'
        "    return 100.0 * sum(v > limit for v in values) / len(values)\n",
        encoding="utf-8",
    )
    py = d / "lokaler.py"
    py.write_text(
        py.read_text(encoding="utf-8")
        + "\n# %%\nfrom ilslib.notebooks import study_module\n\n"
        + 'calc = study_module("lokaler_analysis")\n'
        + "show(paragraph(f\"Andel över 5 procent: {calc.share_above(list(sick['value'].dropna()), 5.0):.1f}\"))\n",
        encoding="utf-8",
    )
    nbs.sync_from_scripts([py])
    out = tmp_path / "out"
    proc = _run(project, "lokaler", demo_url, out, "--org", "ALN")
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (out / "_studier" / "lokaler" / PERIOD / "ALN" / "report.html").read_text(encoding="utf-8")
    assert re.search(r"Andel över 5 procent: \d+\.\d", html)
    assert nbs.check_tree([d]) == []  # the module is not taken for an unpaired notebook


def test_study_module_errors_are_one_line(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        nbs.study_module("nothing_here", tmp_path)
    with pytest.raises(ConfigError, match="module name"):
        nbs.study_module("../x", tmp_path)


@pytest.mark.parametrize("name", ["ilslib.report.tables", "ilslib.report.charts", "ilslib.cli.new_study"])
def test_the_table_and_chart_examples_run(name: str, demo_wh):
    """The docstring examples of the helpers a study uses run against the demo warehouse."""
    import doctest
    import importlib

    import pandas as pd

    import ilslib
    import ilslib.figures as f
    from ilslib.report import charts
    from ilslib.report import tables as t

    module = importlib.import_module(name)
    extra = {"wh": demo_wh, "f": f, "t": t, "charts": charts, "pd": pd, "ilslib": ilslib}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name, extraglobs=extra)
    assert sum(len(t.examples) for t in tests) >= (1 if name.endswith("new_study") else 10)
    for test in tests:
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
