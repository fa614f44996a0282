"""``ils load`` with a big CSV file checked in a forked child while the parent writes.

A CSV file of at least ``ilslib.load.PARALLEL_MIN_BYTES`` (4 MiB) is read and
checked in a child process that sends the good rows to the loading process
through a pipe. These tests set the threshold to 0 (every eligible CSV file is
checked in a child) and check that the warehouse gets exactly what the
in-process path stores, with the same checksums and counts, and that a failure
on either side (the child killed, a bug in the child, a full disk while the
parent writes) loses nothing, writes nothing, releases the load lock and leaves
no process behind. ``tests/test_bad_loads_pinned.py`` runs the whole bad-load
corpus both ways (byte-identical rejects files).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_load import BASE, load_ok, snapshot
from test_round_state import logins  # noqa: F401 (a fixture: the round loaded, connections as each person)
from test_runner_disk import mounts  # noqa: F401 (a fixture: a real tmpfs, as root or in unshare -rm)

import ilslib.load as load_mod
from ilslib import connect
from ilslib.errors import LoadError, WarehouseError
from ilslib.load import load_dir
from ilslib.schema import init_schema

ORGS = ["0001", "0100", "0110", "0200", "0210"]  # the organisations of tests/good_loads/base


def _ledger(directory: Path, rows: int) -> Path:
    """A ledger.csv of ``rows`` rows (over two chunks) with the awkward values real exports hold."""
    directory.mkdir(parents=True, exist_ok=True)
    names = ['Konto "särskilt" – åäö', "=SUM(A1:A9)", "<b>Lön</b> & övrigt", "Hyra; lokaler", ""]
    months = [f"{y}-{m:02d}" for y in range(2016, 2027) for m in range(1, 13)]
    out = ["org_id;month;account;account_name;kind;outcome;budget;forecast\n"]
    n = 0
    while n < rows:
        o, m, a = ORGS[n % len(ORGS)], months[(n // len(ORGS)) % len(months)], 3000 + n // (len(ORGS) * len(months))
        name = names[n % len(names)]
        cell = '"' + name.replace('"', '""') + '"' if any(c in name for c in '";') else name
        outcome = "" if n % 97 == 0 else f"{'-' if n % 3 == 0 else ''}1 {n % 1000:03d},{n % 100:02d}"
        forecast = f"{n},5" if n % 4 == 0 else ""
        out.append(f"{o};{m};{a};{cell};{'intakt' if n % 2 else 'kostnad'};{outcome};{n % 5000};{forecast}\n")
        n += 1
    (directory / "ledger.csv").write_text("".join(out), encoding="utf-8")
    return directory


class Forks:
    """The children forked by the loader during a test (their pids) and the files they checked."""

    def __init__(self) -> None:
        self.pids: list[int] = []
        self.files: list[str] = []


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> Forks:
    """Every eligible CSV file checked in a forked child; the children's pids recorded."""
    forks = Forks()
    monkeypatch.setattr(load_mod, "PARALLEL_MIN_BYTES", 0)
    # Earlier tests of the session may have left idle threads (servers of session fixtures): the rule is
    # "no thread but this one", so count only the threads started after this fixture.
    import threading

    before = {t.ident for t in threading.enumerate()}
    monkeypatch.setattr(load_mod, "_single_threaded", lambda: all(t.ident in before for t in threading.enumerate()))
    real_fork, real_child = os.fork, load_mod._Loader._checked_in_child

    def fork() -> int:
        pid = real_fork()
        if pid:
            forks.pids.append(pid)
        return pid

    def checked_in_child(self: Any, file: str, shown: str, *args: Any) -> str:
        forks.files.append(shown)
        return real_child(self, file, shown, *args)

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(load_mod._Loader, "_checked_in_child", checked_in_child)
    return forks


def _gone(pid: int) -> bool:
    """The process was reaped: not our child any more, and no such process."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return not Path(f"/proc/{pid}").exists()
    return False


def test_a_file_checked_in_a_child_is_stored_exactly_as_in_process(wh, tmp_path, forked, monkeypatch):
    load_ok(wh, BASE)  # its CSV files without a tree or a scope are checked in children too
    assert "ledger.csv" in forked.files and "organisations.csv" not in forked.files  # a tree: checked here
    forked.files.clear()
    d = _ledger(tmp_path / "big", 25_000)
    result = load_ok(wh, d)
    assert forked.files == ["ledger.csv"] and all(_gone(p) for p in forked.pids)
    ledger = next(f for f in result.files if f.name == "ledger.csv")
    assert ledger.rows_read == ledger.inserted + ledger.replaced == 25_000
    sha = hashlib.sha256((d / "ledger.csv").read_bytes()).hexdigest()
    recorded = wh.rows(
        "SELECT sha256, rows_read FROM v_load_file WHERE load_id = ? AND file_name = ?", (result.load_id, "ledger.csv")
    )
    assert recorded == [(sha, 25_000)]  # the checksum of the bytes the child read
    rows = {r[:3]: r[3:] for r in wh.rows("SELECT * FROM ils_ledger")}
    assert len(rows) == 25_000 + 5 - ledger.replaced  # the base's 5 ledger rows
    assert rows[("0001", "2016-01", "3000")] == ('Konto "särskilt" – åäö', "kostnad", None, 0.0, 0.5)  # no outcome
    assert rows[("0100", "2016-01", "3000")] == ("=SUM(A1:A9)", "intakt", 1001.01, 1.0, None)
    assert rows[("0110", "2016-01", "3000")] == ("<b>Lön</b> & övrigt", "kostnad", 1002.02, 2.0, None)
    assert rows[("0200", "2016-01", "3000")] == ("Hyra; lokaler", "intakt", -1003.03, 3.0, None)
    assert rows[("0210", "2016-01", "3000")] == (None, "kostnad", 1004.04, 4.0, 4.5)  # an empty name
    # Row 24 427 (n = 24 425), in the second chunk.
    assert rows[("0001", "2016-02", "3037")] == ('Konto "särskilt" – åäö', "intakt", 1425.25, 4425.0, None)
    forked_state = snapshot(wh)
    # The same directories again, checked in this process: every row replaced by the same values.
    monkeypatch.setattr(load_mod, "PARALLEL_MIN_BYTES", 1 << 62)
    load_ok(wh, BASE)
    again = load_ok(wh, d)
    assert forked.files == ["ledger.csv"]
    assert next(f for f in again.files if f.name == "ledger.csv").replaced == 25_000
    assert snapshot(wh) == forked_state


def test_rejects_found_by_the_child_write_nothing(wh, tmp_path, forked):
    load_ok(wh, BASE)
    forked.files.clear()
    before = snapshot(wh)
    d = _ledger(tmp_path / "bad", 25_000)
    text = (d / "ledger.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    text[3] = text[3].replace(";kostnad;", ";ränta;")  # a bad code in the first chunk (row 4) ...
    text[22_000] = "9999" + text[22_000][4:]  # ... and an unknown organisation in the second (row 22 001)
    (d / "ledger.csv").write_text("".join(text), encoding="utf-8")
    result = load_dir(wh, d)
    assert forked.files == ["ledger.csv"] and all(_gone(p) for p in forked.pids)
    assert [(r.row, r.column, r.value) for r in result.rejects] == [(4, "kind", "ränta"), (22_001, "org_id", "9999")]
    assert snapshot(wh) == before
    assert wh.rows("SELECT outcome FROM v_load WHERE load_id = ?", (result.load_id,)) == [("rejected",)]


def test_the_child_killed_while_checking_fails_the_load_in_one_line_and_writes_nothing(
    wh, wh_url, tmp_path, forked, monkeypatch
):
    load_ok(wh, BASE)
    forked.files.clear()
    before = snapshot(wh)
    parent = os.getpid()
    real_check = load_mod._FileCheck.check
    calls = [0]

    def check(self: Any, rownums: list[int], cells: list[list[Any]]) -> Any:
        if os.getpid() != parent:
            calls[0] += 1
            if calls[0] == 2:  # the first chunk was sent (and written): now the child dies
                os.kill(os.getpid(), signal.SIGKILL)
        return real_check(self, rownums, cells)

    monkeypatch.setattr(load_mod._FileCheck, "check", check)
    with pytest.raises(LoadError) as failed:
        load_dir(wh, _ledger(tmp_path / "big", 25_000))
    assert str(failed.value) == (
        "ledger.csv: the process checking the file ended unexpectedly, killed by SIGKILL (out of memory?): "
        "nothing was loaded"
    )
    assert forked.pids and all(_gone(p) for p in forked.pids)
    assert snapshot(wh) == before
    last = wh.rows("SELECT outcome, message FROM v_load ORDER BY started_at DESC")[0]
    assert last[0] == "failed" and "ended unexpectedly" in last[1]
    monkeypatch.setattr(load_mod._FileCheck, "check", real_check)
    with connect(wh_url) as other:  # the load lock was released with the rollback
        done = load_ok(other, tmp_path / "big")
        assert done.inserted + done.replaced == 25_000 and other.scalar("SELECT COUNT(*) FROM ils_ledger") >= 25_000


def test_an_error_in_the_child_is_raised_in_the_parent(wh, tmp_path, forked, monkeypatch):
    load_ok(wh, BASE)
    forked.files.clear()
    before = snapshot(wh)
    parent = os.getpid()
    real_check = load_mod._FileCheck.check

    def check(self: Any, rownums: list[int], cells: list[list[Any]]) -> Any:
        if os.getpid() != parent and rownums[0] > 2:
            raise ZeroDivisionError("a bug in the second chunk")
        return real_check(self, rownums, cells)

    monkeypatch.setattr(load_mod._FileCheck, "check", check)
    with pytest.raises(ZeroDivisionError, match="a bug in the second chunk"):
        load_dir(wh, _ledger(tmp_path / "big", 25_000))
    assert forked.pids and all(_gone(p) for p in forked.pids)
    assert snapshot(wh) == before


def test_a_failure_while_the_parent_writes_kills_and_reaps_the_child(wh, tmp_path, forked, monkeypatch):
    load_ok(wh, BASE)
    forked.files.clear()
    before = snapshot(wh)
    real_add = load_mod.TableWriter.add
    calls = [0]

    def add(self: Any, rows: Any) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise WarehouseError("writing to the warehouse failed: database or disk is full")
        real_add(self, rows)

    monkeypatch.setattr(load_mod.TableWriter, "add", add)
    with pytest.raises(WarehouseError, match="disk is full"):
        load_dir(wh, _ledger(tmp_path / "big", 45_000))
    assert forked.pids and all(_gone(p) for p in forked.pids)
    assert snapshot(wh) == before


def test_a_full_disk_under_a_big_load_is_one_line_and_leaves_no_process(mounts, tmp_path):  # noqa: F811
    # Through the command, with a file over the threshold (no test setting): the real path of a big load.
    disk = tmp_path / "disk"
    disk.mkdir()
    mounts("-t", "tmpfs", "-o", "size=6m,mode=0755", "tmpfs", str(disk))
    url = f"sqlite:///{disk / 'wh.sqlite'}"
    with connect(url, create=True, check_schema=False) as wh:
        init_schema(wh)
    with connect(url) as wh:
        load_ok(wh, BASE)
        before = snapshot(wh, records=True)
    d = _ledger(tmp_path / "big", 120_000)
    assert (d / "ledger.csv").stat().st_size >= load_mod.PARALLEL_MIN_BYTES
    proc = subprocess.run(
        [sys.executable, "-m", "ilslib", "load", str(d), "--warehouse", url, "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr  # a warehouse error
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("ils: error: ") and "full" in proc.stderr
    # No checker left behind: no process still has the load directory on its command line.
    left = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and str(d).encode() in cmdline:
            left.append(entry.name)
    assert left == []
    with connect(url) as wh:
        after = snapshot(wh, records=True)
    assert {k: v for k, v in after.items() if k not in ("load", "load_file")} == {
        k: v for k, v in before.items() if k not in ("load", "load_file")
    }


def test_without_a_process_to_fork_the_file_is_checked_in_the_loading_process(wh, tmp_path, forked, monkeypatch):
    import errno

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    load_ok(wh, BASE)
    result = load_ok(wh, _ledger(tmp_path / "big", 25_000))
    assert "ledger.csv" in forked.files and forked.pids == []  # tried, and done here instead
    ledger = next(f for f in result.files if f.name == "ledger.csv")
    assert ledger.rows_read == ledger.inserted + ledger.replaced == 25_000
    assert wh.rows(
        "SELECT account_name, outcome FROM ils_ledger WHERE org_id = ? AND month = ? AND account = ?",
        ("0200", "2016-01", "3000"),
    ) == [("Hyra; lokaler", -1003.03)]


def test_rows_the_login_may_not_load_are_refused_while_the_child_checks(logins, tmp_path, forked):  # noqa: F811
    from round_support import PEOPLE, PERIOD
    from test_round_state import outcome_dir

    from ilslib.errors import AccessDeniedError

    with logins.as_("reporter") as wh:
        before = wh.scalar("SELECT COUNT(*) FROM v_outcome")
        with pytest.raises(AccessDeniedError, match=r"outcomes.csv: 'STAD\\anna' may not load reporting data "
                           r"for organisation NAMN_B: that needs the role reporter or controller"):  # fmt: skip
            load_dir(wh, outcome_dir(tmp_path, "NAMN_B"))
        assert forked.files == ["outcomes.csv"] and forked.pids and all(_gone(p) for p in forked.pids)
        rec = wh.rows("SELECT outcome, user_name FROM v_load ORDER BY started_at DESC")[0]
        assert rec == ("refused", PEOPLE["reporter"])
        assert wh.scalar("SELECT COUNT(*) FROM v_outcome") == before
        assert wh.scalar("SELECT COUNT(*) FROM v_outcome WHERE period = ?", (PERIOD,)) == 1


def test_a_process_with_other_threads_checks_in_itself(wh, tmp_path, forked):
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a notebook kernel's thread", daemon=True)
    other.start()
    try:
        load_ok(wh, BASE)
        result = load_ok(wh, _ledger(tmp_path / "big", 25_000))
    finally:
        stop.set()
        other.join()
    assert forked.files == [] and forked.pids == []  # a fork would copy only this thread
    assert next(f for f in result.files if f.name == "ledger.csv").rows_read == 25_000


def test_an_error_that_cannot_be_sent_as_it_is_arrives_by_its_name_and_message(wh, tmp_path, forked, monkeypatch):
    class Odd(Exception):
        def __init__(self, what: str, where: int):  # pickles, but cannot be loaded from its args
            super().__init__(f"{what} at {where}")

    parent = os.getpid()
    real_check = load_mod._FileCheck.check

    def check(self: Any, rownums: list[int], cells: list[list[Any]]) -> Any:
        if os.getpid() != parent:
            raise Odd("a bug", rownums[0])
        return real_check(self, rownums, cells)

    load_ok(wh, BASE)
    before = snapshot(wh)
    monkeypatch.setattr(load_mod._FileCheck, "check", check)
    with pytest.raises(RuntimeError, match=r"^Odd: a bug at 2$"):
        load_dir(wh, _ledger(tmp_path / "big", 25_000))
    assert forked.pids and all(_gone(p) for p in forked.pids)
    assert snapshot(wh) == before
