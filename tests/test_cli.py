"""The ``ils`` command: every subcommand is listed, and has help with examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ilslib.cli import COMMANDS, build_parser, main

REPO = Path(__file__).resolve().parent.parent


def run_ils(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ilslib", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
        timeout=60,
    )


def test_help_lists_every_subcommand():
    proc = run_ils("--help")
    assert proc.returncode == 0, proc.stderr
    for name in COMMANDS:
        assert f"    {name}" in proc.stdout, f"'ils --help' does not list {name}"
    assert "examples:" in proc.stdout


def test_console_script_is_installed():
    ils = Path(sys.executable).parent / "ils"
    assert ils.exists(), "the ils console script is not installed (pip install -e .)"
    proc = subprocess.run([str(ils), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("ils ")


def test_every_command_module_registers_its_name():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_subcommand_help_has_examples(name, capsys):
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ils {name}")
    assert "examples:" in out, f"'ils {name} --help' has no examples section"
    examples = out.split("examples:", 1)[1]
    assert f"ils {name}" in examples, f"the examples of 'ils {name}' do not show it"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_subcommand_has_a_one_line_summary(name):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert helps.get(name), f"'ils {name}' has no help text in 'ils --help'"


def test_no_command_prints_help_and_fails():
    proc = run_ils()
    assert proc.returncode == 2
    assert "usage: ils" in proc.stdout


def test_unknown_command_is_a_one_line_error():
    proc = run_ils("finns-inte")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ils: error: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mssql"])
def test_init_prints_the_ddl(dialect, capsys):
    assert main(["init", "--sql", "--dialect", dialect]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE ils_outcome" in out and "CREATE VIEW v_outcome" in out
    assert ("NVARCHAR" in out) == (dialect == "mssql")
    for word in (" LIMIT ", " TOP "):
        assert word not in out


def test_one_command_parses_with_its_own_module_only() -> None:
    """``ils run`` builds the parser of ``run`` alone (no loader or demo module, so no pandas for an unchanged run)."""
    import subprocess
    import sys

    code = (
        "import sys; from ilslib.cli import build_parser; "
        "p = build_parser('run'); a = p.parse_args(['run', '--period', '2026-T2', '--all', '-v']); "
        "print(a.command, a.verbose, 'pandas' in sys.modules, 'ilslib.load' in sys.modules, 'ilslib.demo' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["run", "True", "False", "False", "False"], out
    full = subprocess.run([sys.executable, "-m", "ilslib", "--help"], capture_output=True, text=True, check=True)
    assert "new-study" in full.stdout and "publish" in full.stdout  # ils --help still lists every command
