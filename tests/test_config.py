"""Where the warehouse URL comes from, redaction of secrets, and bad settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ilslib import config
from ilslib.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def _write_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- resolution order: --warehouse > ILS_WAREHOUSE > config file > demo -----------------------


def test_default_is_the_embedded_demo(isolated_env):
    resolved = config.resolve_warehouse()
    expected = isolated_env / ".local" / "share" / "ils" / "demo.sqlite"
    assert resolved == config.ResolvedUrl("sqlite:///" + str(expected), "embedded demo warehouse")
    assert config.demo_path() == expected


def test_ils_home_moves_the_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("ILS_HOME", str(tmp_path / "ils-hem"))
    assert config.resolve_warehouse().url == "sqlite:///" + str(tmp_path / "ils-hem" / "demo.sqlite")


def test_config_file_beats_the_demo(isolated_env):
    _write_config(isolated_env / ".config" / "ils" / "config.toml", 'warehouse = "odbc:DSN=lis"\n')
    resolved = config.resolve_warehouse()
    assert resolved.url == "odbc:DSN=lis"
    assert resolved.source == str(isolated_env / ".config" / "ils" / "config.toml")


def test_ils_config_names_another_file(tmp_path, monkeypatch, isolated_env):
    _write_config(isolated_env / ".config" / "ils" / "config.toml", 'warehouse = "odbc:DSN=default"\n')
    other = _write_config(tmp_path / "annan.toml", 'warehouse = "sqlite:///annan.sqlite"\n')
    monkeypatch.setenv("ILS_CONFIG", str(other))
    assert config.resolve_warehouse() == config.ResolvedUrl("sqlite:///annan.sqlite", str(other))


def test_environment_beats_the_config_file(isolated_env, monkeypatch):
    _write_config(isolated_env / ".config" / "ils" / "config.toml", 'warehouse = "odbc:DSN=fil"\n')
    monkeypatch.setenv("ILS_WAREHOUSE", "odbc:DSN=miljo")
    assert config.resolve_warehouse() == config.ResolvedUrl("odbc:DSN=miljo", "ILS_WAREHOUSE")


def test_explicit_beats_everything(isolated_env, monkeypatch):
    _write_config(isolated_env / ".config" / "ils" / "config.toml", 'warehouse = "odbc:DSN=fil"\n')
    monkeypatch.setenv("ILS_WAREHOUSE", "odbc:DSN=miljo")
    assert config.resolve_warehouse("odbc:DSN=flagga") == config.ResolvedUrl("odbc:DSN=flagga", "--warehouse")


def test_config_file_without_warehouse_falls_back_to_the_demo(isolated_env):
    _write_config(isolated_env / ".config" / "ils" / "config.toml", "# inget här\n[annat]\nx = 1\n")
    assert config.resolve_warehouse().source == "embedded demo warehouse"


def test_resolution_order_through_the_cli(isolated_env, tmp_path):
    """``ils info`` names the warehouse it opened: flag, then environment, then file, then demo."""
    from ilslib import connect
    from ilslib.schema import init_schema

    urls = {}
    for name in ("flagga", "miljo", "fil"):
        urls[name] = f"sqlite:///{tmp_path / name}.sqlite"
        with connect(urls[name], create=True, check_schema=False) as wh:
            init_schema(wh)
    _write_config(isolated_env / ".config" / "ils" / "config.toml", f'warehouse = "{urls["fil"]}"\n')

    def info(*args: str, **env: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "ilslib", "info", *args],
            capture_output=True,
            text=True,
            env=dict(os.environ, **env),
            cwd=REPO,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()[0]

    assert "fil.sqlite" in info()
    assert "miljo.sqlite" in info(ILS_WAREHOUSE=urls["miljo"])
    assert "flagga.sqlite" in info("--warehouse", urls["flagga"], ILS_WAREHOUSE=urls["miljo"])


# -- bad settings: one line, naming the file or variable ---------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ('warehouse = "odbc:DSN=lis\n', "cannot read the config file"),
        ("warehouse = odbc:DSN=lis\n", "cannot read the config file"),
        ("warehouse = 42\n", "'warehouse' must be a string"),
    ],
)
def test_bad_config_file_is_a_one_line_error(isolated_env, text, expected):
    path = _write_config(isolated_env / ".config" / "ils" / "config.toml", text)
    with pytest.raises(ConfigError) as err:
        config.resolve_warehouse()
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_bad_config_file_through_the_cli(isolated_env):
    path = _write_config(isolated_env / ".config" / "ils" / "config.toml", "warehouse = [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "ilslib", "info"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ils: error: {path}: ")


def test_unreadable_config_path_is_an_error(tmp_path, monkeypatch):
    directory = tmp_path / "en-katalog.toml"
    directory.mkdir()
    monkeypatch.setenv("ILS_CONFIG", str(directory))
    # A directory is not a file: treated as "no config file" rather than a crash.
    assert config.resolve_warehouse().source == "embedded demo warehouse"


@pytest.mark.parametrize("value, ok", [("2", 2.0), ("0.5", 0.5), ("", 15.0), ("noll", None), ("0", None), ("-3", None)])
def test_connect_timeout(monkeypatch, value, ok):
    monkeypatch.setenv("ILS_CONNECT_TIMEOUT", value)
    if ok is None:
        with pytest.raises(ConfigError, match="ILS_CONNECT_TIMEOUT"):
            config.connect_timeout()
    else:
        assert config.connect_timeout() == ok


# -- redaction -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, secret, kept",
    [
        ("DRIVER={PostgreSQL Unicode};SERVER=db;UID=ils;PWD=hemligt;PORT=5432", "hemligt", ["UID=ils", "PORT=5432"]),
        ("SERVER=db;Password=hemligt", "hemligt", ["SERVER=db"]),
        ("SERVER=db;pwd = hemligt ;DATABASE=lis", "hemligt", ["DATABASE=lis"]),
        ("SERVER=db;PWD={hem;ligt};DATABASE=lis", "hem;ligt", ["DATABASE=lis"]),
        ("SERVER=db;PWD={a}}b;c}};UID=ils", "b;c", ["UID=ils"]),
        ("SERVER=db;PASSWORD={}};x}}};DATABASE=lis", "x}", ["SERVER=db;PASSWORD=***;DATABASE=lis"]),
        ("SERVER=db;SSLPassword=nyckel;UID=ils", "nyckel", ["UID=ils"]),
        ("postgres://ils:hemligt@db.stad.local/lis", "hemligt", ["db.stad.local/lis", "ils"]),
    ],
)
def test_redact_hides_passwords(text, secret, kept):
    shown = config.redact(text)
    assert secret not in shown
    assert "***" in shown
    for part in kept:
        assert part in shown


def test_redact_hides_the_environment_password_anywhere(monkeypatch):
    monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", "Sj0sala;}Hemligt")
    assert config.redact("FATAL: fel lösenord Sj0sala;}Hemligt för ils") == "FATAL: fel lösenord *** för ils"


def test_redact_leaves_other_text_alone():
    text = "odbc:DRIVER={ODBC Driver 18 for SQL Server};SERVER=lis;DATABASE=LIS;Trusted_Connection=yes"
    assert config.redact(text) == text
    assert config.redact("UID=pwduser;DATABASE=passwords") == "UID=pwduser;DATABASE=passwords"


def test_redaction_keeps_the_rest_of_a_message_and_never_spells_out_a_short_password(monkeypatch):
    from ilslib.config import redact, redact_url

    msg = "the server for odbc:DRIVER={PostgreSQL Unicode};SERVER=h;UID=u;PWD=x is unreachable: refused"
    assert redact(msg).endswith("PWD=*** is unreachable: refused")
    assert redact_url("odbc:DSN=lis;PWD=two words;X=1") == "odbc:DSN=lis;PWD=***;X=1"
    monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", "e")
    assert redact("load rejected") == "load rejected"  # replacing every 'e' would give it away
    monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", "Hemligt-123")
    assert redact("echo Hemligt-123 here") == "echo *** here"
