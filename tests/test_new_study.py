"""``ils new-study`` and running a study for every organisation with ``ils run --notebook``.

The study is created in a scratch project directory (``tmp/notebooks/studies``),
run through the real batch runner on the demo warehouse, and must appear in the
portal. Parameters given to ``ils run`` are checked against the notebook's
``parameters`` cell before anything runs.
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
        "å_studie",
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
        assert check_name(name) == name


def test_name_and_title_helpers():
    assert check_name("lokaler-2026") == "lokaler-2026"
    assert check_name("  lokaler-2026 ") == "lokaler-2026"  # trimmed, like every identifier
    with pytest.raises(ConfigError):
        check_name("lokaler 2026")
    assert default_title("sjukfranvaro_per-namnd") == "Sjukfranvaro per namnd"
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
