"""Starting ``ils run``: the fork server started before the heavy imports, warmed up for the run's formats only.

Each run here is a fresh ``ils`` process (a fresh fork server: one started by
an earlier test in this process would have warmed up for that test's formats).
A small notebook (tests/notebooks/loaded.py) writes into its report which of
WeasyPrint and openpyxl its report process had loaded before its first cell
ran: what the fork server (or the run process) warmed up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ilslib.runner.server import formats_in_argv

REPO = Path(__file__).resolve().parents[1]
LOADED = REPO / "tests" / "notebooks" / "loaded.py"
PERIOD = "2026-T2"


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}, timeout=300, cwd=tmp_path
    )


def _loaded(out: Path) -> str:
    """What the report says was loaded (from its executed notebook: every run writes one, whatever the formats)."""
    text = (out / "_studier" / "loaded" / PERIOD / "ALN" / "report.ipynb").read_text(encoding="utf-8")
    return text.split("Inlästa: ", 1)[1].split(".", 1)[0]


@pytest.mark.parametrize(
    ("formats", "loaded"),
    [("html", "inga"), ("html,pdf", "weasyprint"), ("html,pdf,xlsx", "openpyxl, weasyprint"), ("xlsx", "openpyxl")],
)
def test_the_fork_server_warms_up_only_for_the_formats_asked(demo, tmp_path, formats, loaded):
    """An HTML run never loads WeasyPrint (about 0.3 s of CPU before the first report); a PDF run has it warm."""
    out = tmp_path / "out"
    code = (
        "import sys\nfrom ilslib.cli import main\n"
        f"sys.exit(main(['run', '--notebook', {str(LOADED)!r}, '--period', '{PERIOD}', '--org', 'ALN', "
        f"'--format', {formats!r}, '--out', {str(out)!r}]))\n"
    )
    proc = _python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _loaded(out) == loaded
    for fmt in formats.split(","):
        assert (out / "_studier" / "loaded" / PERIOD / "ALN" / f"report.{fmt}").stat().st_size > 0


def test_a_run_warms_up_what_the_server_was_not_told(demo, tmp_path):
    """A fork server warmed up for HTML only (a run set's first run, a library caller) still serves a PDF run:
    its run process warms WeasyPrint up once, before its first report process, and the PDF is written."""
    out = tmp_path / "out"
    code = (
        "import sys\nfrom ilslib.runner.server import start_server\nfrom ilslib.cli import main\n"
        "assert start_server(['html'])\n"
        f"rc = main(['run', '--notebook', {str(LOADED)!r}, '--period', '{PERIOD}', '--org', 'ALN', "
        f"'--format', 'html,pdf', '--out', {str(out)!r}])\n"
        "sys.exit(rc)\n"
    )
    proc = _python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _loaded(out) == "weasyprint"
    assert (out / "_studier" / "loaded" / PERIOD / "ALN" / "report.pdf").read_bytes().startswith(b"%PDF-")


def test_ils_run_starts_the_fork_server_before_importing_pandas(demo, tmp_path):
    """The server's warm-up overlaps the command's own imports (pandas: half a second) and its plan."""
    out = tmp_path / "out"
    code = (
        "import sys\nimport ilslib\n"
        "assert 'pandas' not in sys.modules, 'import ilslib imported pandas'\n"
        "from ilslib.runner import server\n"
        "original = server.start_server\n"
        "def spy(formats=None):\n"
        "    print('START', formats, 'pandas' in sys.modules, flush=True)\n"
        "    return original(formats)\n"
        "server.start_server = spy\n"
        "from ilslib.cli import main\n"
        f"rc = main(['run', '--period', '{PERIOD}', '--org', 'ALN', '--format', 'html,xlsx', '--out', {str(out)!r}])\n"
        "print('PANDAS', 'pandas' in sys.modules, rc)\n"
    )
    proc = _python(code, tmp_path)
    lines = proc.stdout.splitlines()
    assert lines[0] == "START ['html', 'xlsx'] False", proc.stdout + proc.stderr
    assert lines[-1] == "PANDAS True 0", proc.stdout + proc.stderr
    assert (out / PERIOD / "ALN" / "report.xlsx").is_file()


def test_import_ilslib_is_light_and_its_names_still_work(demo):
    """``import ilslib`` no longer imports pandas, yet ``ilslib.connect`` and ``ilslib.figures`` work as before."""
    code = (
        "import sys, ilslib\n"
        "light = 'pandas' not in sys.modules\n"
        "from ilslib import connect, figures\n"
        "with ilslib.connect() as wh:\n"
        "    orgs = ilslib.figures.organisations(wh)\n"
        "print(light, 'ALN' in set(orgs['org_id']), ilslib.Warehouse.__name__, ilslib.fmt.__name__)\n"
        "try:\n"
        "    ilslib.nope\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == [
        "True True Warehouse ilslib.fmt",
        "module 'ilslib' has no attribute 'nope'",
    ], proc.stderr


@pytest.mark.parametrize(
    ("argv", "formats"),
    [
        (["--period", "latest", "--all"], ["html"]),
        (["--period", "latest", "--all", "--format", "html,PDF"], ["html", "pdf"]),
        (["--format=xlsx", "--org", "ALN", "--period", "2026-T2"], ["xlsx"]),
        (["--org", "--format", "--period", "2026-T2"], ["html"]),  # an option's value is not an option
        (["parameters/standard.yaml"], None),  # a run set: its runs name their own formats
        (["parameters/standard.yaml", "--format", "html"], None),
        (["--notebook", "group_report", "--kind", "bolag"], ["html"]),
    ],
)
def test_formats_in_argv(argv, formats):
    assert formats_in_argv(argv) == formats
