"""Fault injection for ``ils run``: a failing report, killed processes, two runs at once,
an unreachable warehouse, a report that changes global state, a report that takes too long.

Runs that must be killed or must overlap are real ``ils`` processes; the
others run the command in this process. The notebooks are in tests/notebooks/.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NB = REPO / "tests" / "notebooks"
PERIOD = "2026-T2"
ILS = str(Path(sys.executable).with_name("ils"))


@pytest.fixture
def shared_mpl(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """One matplotlib cache for the ``ils`` processes of this module (no font scan per process)."""
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path_factory.getbasetemp() / "mplconfig"))


def start(*args: object, **kw) -> subprocess.Popen:
    """An ``ils`` process, in a session of its own, output captured."""
    return subprocess.Popen(
        [ILS, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kw
    )


def wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def run_log(out: Path) -> str:
    logs = sorted((out / "runs").glob("*/run.log")) if (out / "runs").is_dir() else []
    return "".join(p.read_text(encoding="utf-8") for p in logs)


def started_pids(out: Path) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"started +(\S+) \(pid (\d+)\)", run_log(out))}


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def library_changed(out: Path) -> bool:
    """Whether ilslib's code changed between the runs in OUT (then every report reruns, rightly)."""
    return len(set(re.findall(r", ilslib (\S+)$", run_log(out), re.M))) > 1


def summary_line(err: str) -> str:
    return [ln for ln in err.splitlines() if " done, " in ln and "unchanged" in ln][-1]


# -- a notebook that raises ---------------------------------------------------------------------


def test_failing_report_does_not_stop_the_others(ils, demo, tmp_path):
    out = tmp_path / "out"
    args = (
        "run",
        "--notebook",
        NB / "raises.ipynb",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "--org",
        "IDN",
        "--org",
        "KS",
        "--out",
        out,
    )
    code, _, err = ils(*args)
    assert code == 1, err
    assert "2 done, 0 unchanged, 1 failed" in summary_line(err)
    assert re.search(r"failed 2026-T2/IDN: ValueError: avsiktligt fel för IDN \(see .*IDN/report.ipynb\)", err)
    base = out / "_studier" / "raises" / PERIOD
    for org in ("ALN", "KS"):
        assert (base / org / "report.html").is_file()
    failed = base / "IDN"
    assert sorted(p.name for p in failed.iterdir()) == [".ils-state.json", "report.ipynb"]
    nb = json.loads((failed / "report.ipynb").read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert first["metadata"]["tags"] == ["papermill-error-cell-tag"] and "An Exception was encountered" in "".join(
        first["source"]
    )
    assert any(o.get("ename") == "ValueError" for c in nb["cells"] for o in c.get("outputs", []))
    st = json.loads((failed / ".ils-state.json").read_text(encoding="utf-8"))
    assert st["status"] == "failed" and st["input_hash"] is None and "avsiktligt fel" in st["error"]
    (manifest,) = (out / "runs").glob("*/manifest.json")
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m["counts"] == {"done": 2, "unchanged": 0, "failed": 1, "not_run": 0}
    assert [r["error"] for r in m["reports"] if r["status"] == "failed"] == ["ValueError: avsiktligt fel för IDN"]
    portal = (out / "index.html").read_text(encoding="utf-8")
    assert "Misslyckades: ValueError: avsiktligt fel för IDN" in portal
    # The next run retries the failed report only.
    code, _, err = ils(*args)
    assert code == 1 and "0 done, 2 unchanged, 1 failed" in summary_line(err)
    # A report that failed once and then works is done, and its error is gone.
    code, _, err = ils(*args, "-p", "fail_for=nobody")
    assert code == 0, err
    assert (failed / "report.html").is_file()


def test_report_that_takes_too_long_is_stopped(ils, demo, tmp_path):
    out = tmp_path / "out"
    t0 = time.monotonic()
    code, _, err = ils(
        "run",
        "--notebook",
        NB / "sleeps.ipynb",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "-p",
        "seconds=60",
        "--timeout",
        "2",
        "--out",
        out,
    )
    assert code == 1 and "failed 2026-T2/ALN: timed out after 2 s" in err, err
    assert time.monotonic() - t0 < 30
    assert not list((out / "_studier").rglob("report.html"))


def test_a_report_that_times_out_leaves_no_stale_files_published(ils, demo, tmp_path):
    """The previous run's files do not stay beside a failure (here: a timeout, no new notebook)."""
    out = tmp_path / "out"
    code, _, err = ils(
        "run", "--notebook", NB / "sleeps.ipynb", "--period", PERIOD, "--org", "ALN", "-p", "seconds=0", "--out", out
    )
    assert code == 0, err
    report_dir = next((out / "_studier").rglob("ALN"))
    assert (report_dir / "report.html").is_file() and (report_dir / "report.ipynb").is_file()
    code, _, err = ils(
        "run",
        "--notebook",
        NB / "sleeps.ipynb",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "-p",
        "seconds=60",
        "--timeout",
        "2",
        "--force",
        "--out",
        out,
    )
    assert code == 1 and "timed out" in err, err
    assert sorted(p.name for p in report_dir.iterdir()) == [".ils-state.json"]
    assert "(see " not in err  # no pointer to a notebook that is not there
    assert "Misslyckades" in (out / "index.html").read_text(encoding="utf-8")


# -- isolation ---------------------------------------------------------------------------------------


def test_each_report_starts_from_clean_state(ils, demo, tmp_path):
    """A report that changes module globals, matplotlib settings, pandas options, the environment,
    sys.modules and builtins leaves no trace in the next report of the same batch (one at a time)."""
    out = tmp_path / "out"
    code, _, err = ils(
        "run",
        "--notebook",
        NB / "global_state.ipynb",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "--org",
        "IDN",
        "--org",
        "KS",
        "--jobs",
        "1",
        "--out",
        out,
    )
    assert code == 0, err
    seen = {}
    for org in ("ALN", "IDN", "KS"):
        doc = json.loads((out / "_studier" / "global_state" / PERIOD / org / "figures.json").read_text("utf-8"))
        seen[org] = doc["seen"]
    for org, s in seen.items():
        assert s["band"] == 10.0, org
        assert s["linewidth"] == 1.5, org
        assert s["max_rows"] == 60, org
        assert s["env"] is None and s["module"] is False and s["builtin"] is False, org
    assert len({s["pid"] for s in seen.values()}) == 3, "each report runs in a process of its own"
    # Nor does it reach the process that ran the batch.
    import matplotlib as mpl
    import pandas as pd

    import ilslib.settings

    assert ilslib.settings.PARTIAL_BAND_PCT == 10.0 and "ILS_TEST_LEAK" not in os.environ
    assert pd.get_option("display.max_rows") == 60 and mpl.rcParams["lines.linewidth"] == 1.5


# -- killed half-way -------------------------------------------------------------------------------


class Watcher(threading.Thread):
    """Reads every file under OUT over and over; records any visible file that is not whole."""

    def __init__(self, root: Path):
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.bad: list[str] = []
        self.checked = 0

    @staticmethod
    def whole(p: Path, data: bytes) -> bool:
        if p.suffix in (".json", ".ipynb"):
            json.loads(data.decode("utf-8"))
            return True
        if p.suffix == ".html":
            return data.rstrip().endswith(b"</html>")
        if p.suffix == ".pdf":
            return data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        return True

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                found = list(self.root.rglob("*"))
            except FileNotFoundError:  # a scratch folder removed while it was listed
                continue
            for p in found:
                rel = p.relative_to(self.root).parts
                hidden = any(part.startswith(".") for part in rel[:-1]) or (
                    rel[-1].startswith(".") and rel[-1] != ".ils-state.json"
                )
                if hidden or "runs" in rel or not p.is_file():  # scratch, never under a real name
                    continue
                try:
                    data = p.read_bytes()
                except (FileNotFoundError, IsADirectoryError):
                    continue
                try:
                    ok = self.whole(p, data)
                except ValueError:
                    ok = False
                self.checked += 1
                if not ok:
                    self.bad.append(f"{p} ({len(data)} bytes)")


def test_killed_report_process_fails_alone_and_next_run_completes(demo, shared_mpl, tmp_path):
    out = tmp_path / "out"
    args = (
        "run",
        "--notebook",
        NB / "sleeps.ipynb",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "--org",
        "IDN",
        "--org",
        "KS",
        "-p",
        "seconds=1.5",
        "--jobs",
        "1",
        "--out",
        out,
    )
    proc = start(*args)
    wait_for(lambda: "2026-T2/ALN" in started_pids(out), what="the first report to start")
    os.kill(started_pids(out)["2026-T2/ALN"], signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    assert re.search(r"failed +2026-T2/ALN .*: the report process was killed \(signal 9\)", stderr), stderr
    assert "2 done, 0 unchanged, 1 failed" in summary_line(stderr)
    done = subprocess.run([ILS, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "0 failed" in summary_line(done.stderr), done.stderr
    if not library_changed(out):
        assert "1 done, 2 unchanged, 0 failed" in summary_line(done.stderr)
    assert (out / "_studier" / "sleeps" / PERIOD / "ALN" / "report.html").is_file()


@pytest.mark.parametrize("how", ["main process", "process group"])
def test_run_killed_with_kill_9_leaves_no_partial_file(demo, shared_mpl, tmp_path, how):
    out = tmp_path / "out"
    orgs = ["ALN", "IDN", "KS", "AMN"]
    args = [
        "run",
        "--notebook",
        NB / "sleeps.ipynb",
        "--period",
        PERIOD,
        "--jobs",
        "2",
        "-p",
        "seconds=0.6",
        "--out",
        out,
    ]
    for o in orgs:
        args += ["--org", o]
    out.mkdir()
    watcher = Watcher(out)
    watcher.start()
    try:
        proc = start(*args)
        wait_for(lambda: re.search(r"done +2026-T2/", run_log(out)) is not None, what="a first report")
        wait_for(lambda: len(started_pids(out)) >= 3, what="a report in progress")
        pids = started_pids(out)
        if how == "main process":
            os.kill(proc.pid, signal.SIGKILL)
        else:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        # Nothing of the run goes on writing: its report processes stop too.
        wait_for(lambda: not any(alive(p) for p in pids.values()), timeout=15, what="the report processes to exit")
        time.sleep(0.3)
    finally:
        watcher.stop.set()
        watcher.join()
    assert watcher.checked > 0
    assert not watcher.bad, f"partial files were visible: {watcher.bad}"
    base = out / "_studier" / "sleeps" / PERIOD
    finished = {d.name for d in base.iterdir() if (d / ".ils-state.json").is_file()} if base.is_dir() else set()
    assert finished < set(orgs), "the run was killed before the end"
    # The next run removes the scratch files and completes the work.
    rerun = subprocess.run([ILS, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "0 failed" in summary_line(rerun.stderr)
    if not library_changed(out):
        assert f"{len(orgs) - len(finished)} done, {len(finished)} unchanged" in summary_line(rerun.stderr)
    assert not list(out.rglob("*.part"))
    for o in orgs:
        assert Watcher.whole(base / o / "report.html", (base / o / "report.html").read_bytes())


# -- two runs at once ---------------------------------------------------------------------------------


def test_second_run_says_one_is_running_or_waits(ils, demo, shared_mpl, tmp_path):
    out = tmp_path / "out"
    args = (
        "run",
        "--notebook",
        NB / "sleeps.ipynb",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "--org",
        "IDN",
        "-p",
        "seconds=2",
        "--jobs",
        "1",
        "--out",
        out,
    )
    first = start(*args)
    wait_for(lambda: "2026-T2/ALN" in started_pids(out), what="the first run to start")
    code, _, err = ils(*args)
    assert code == 3, err
    assert re.match(rf"ils: error: another ils run is writing to {re.escape(str(out))} \(pid {first.pid} by ", err)
    assert "pass --wait" in err
    waiting = start(*args, "--wait")
    first_out, first_err = first.communicate(timeout=120)
    w_out, w_err = waiting.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert waiting.returncode == 0, w_err
    assert "waiting for the run writing to" in w_err
    # The waiting run found the work done by the first.
    assert "0 failed" in summary_line(w_err)
    if not library_changed(out):
        assert "0 done, 2 unchanged, 0 failed" in summary_line(w_err)


# -- the warehouse cannot be reached -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_warehouse_refusing_connections(demo, shared_mpl, tmp_path):
    from conftest import POSTGRES_ODBC_DRIVER, require_odbc_driver

    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    port = _free_port()  # nothing listens there
    url = f"odbc:DRIVER={{{POSTGRES_ODBC_DRIVER}}};Server=127.0.0.1;Port={port};Database=ils;Uid=ils"
    env = {**os.environ, "ILS_WAREHOUSE": url, "ILS_CONNECT_TIMEOUT": "5"}
    t0 = time.monotonic()
    proc = subprocess.run(
        [ILS, "run", "--period", PERIOD, "--org", "ALN", "--out", tmp_path / "out"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert time.monotonic() - t0 < 20
    assert proc.stderr.startswith("ils: error: ") and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and str(port) in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_warehouse_that_never_answers(demo, shared_mpl, tmp_path):
    """A server that accepts the connection and then says nothing: a clear error after the timeout."""
    from conftest import POSTGRES_ODBC_DRIVER, require_odbc_driver

    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # connections complete in the kernel; nobody ever answers
        port = listener.getsockname()[1]
        url = f"odbc:DRIVER={{{POSTGRES_ODBC_DRIVER}}};Server=127.0.0.1;Port={port};Database=ils;Uid=ils"
        env = {**os.environ, "ILS_WAREHOUSE": url, "ILS_CONNECT_TIMEOUT": "2"}
        t0 = time.monotonic()
        proc = subprocess.run(
            [ILS, "run", "--period", PERIOD, "--all", "--out", tmp_path / "out"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        elapsed = time.monotonic() - t0
    assert proc.returncode == 2, proc.stderr
    # The driver's own login timeout, or ilslib's bound around it, whichever comes first.
    assert re.search(r"did not answer within 2 s|unreachable: .*timeout expired", proc.stderr), proc.stderr
    assert f"Port={port}" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert not (tmp_path / "out").exists()


def test_warehouse_gone_during_the_run(demo_url, tmp_path, monkeypatch, capsys):
    """The warehouse file disappears between planning and running: every report fails with the reason."""
    import shutil

    from ilslib.runner import batch

    db = tmp_path / "w.sqlite"
    shutil.copyfile(demo_url.removeprefix("sqlite:///"), db)
    monkeypatch.setenv("ILS_WAREHOUSE", f"sqlite:///{db}")
    req = batch.RunRequest(period=PERIOD, orgs=["ALN", "IDN"], out=str(tmp_path / "out"))
    plan = batch.plan(req)
    db.unlink()
    t0 = time.monotonic()
    code = batch.run(req, plan_=plan)
    assert code == 1 and time.monotonic() - t0 < 30
    err = capsys.readouterr().err
    assert "0 done, 0 unchanged, 2 failed" in summary_line(err)
    assert re.search(r"failed 2026-T2/ALN: the embedded warehouse .* does not exist", err), err


def test_sigterm_stops_the_run_and_records_it(demo, shared_mpl, tmp_path):
    """systemd stops a job with SIGTERM: the run stops its reports, writes its manifest and exits 130."""
    out = tmp_path / "out"
    args = (
        "run",
        "--notebook",
        NB / "sleeps.ipynb",
        "--period",
        PERIOD,
        "--org",
        "ALN",
        "--org",
        "IDN",
        "--org",
        "KS",
        "-p",
        "seconds=1",
        "--jobs",
        "1",
        "--out",
        out,
    )
    proc = start(*args)
    wait_for(lambda: re.search(r"done +2026-T2/ALN", run_log(out)) is not None, what="the first report")
    wait_for(lambda: "2026-T2/IDN" in started_pids(out), what="the second report to start")
    pids = started_pids(out)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    wait_for(lambda: not any(alive(p) for p in pids.values()), timeout=15, what="the report processes to exit")
    (manifest,) = (out / "runs").glob("*/manifest.json")
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m["interrupted"] is True and m["counts"]["done"] >= 1 and m["counts"]["not_run"] >= 1
    rerun = subprocess.run([ILS, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0 and "0 failed" in summary_line(rerun.stderr), rerun.stderr
