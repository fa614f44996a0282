"""``ils run`` on a full disk and on a read-only output directory: one line each, no traceback.

Real file systems, not mocks: a small tmpfs that is filled up, remounted
read-only, or a read-only bind mount of one folder. Mounting needs root (the
suite runs as root in CI); elsewhere each test reruns itself in a user and mount
namespace (``unshare -rm``), where mounting a tmpfs is allowed.

What must happen (README, exit codes): nothing can run -> exit 2 and one line
naming the directory and the cause; a report whose files cannot be written
fails alone (the others are made) and the manifest and portal are written if
at all possible -> exit 1; the next run, with room again, completes the work.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SIZED = REPO / "tests" / "notebooks" / "sized.py"
PERIOD = "2026-T2"
IN_NAMESPACE = "ILS_TEST_IN_MOUNT_NAMESPACE"


def _sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@pytest.fixture
def mounts(request: pytest.FixtureRequest) -> Iterator[Callable[..., None]]:
    """``mount(*args)``: run mount(8) (as root, or inside ``unshare -rm``); everything is unmounted after."""
    if os.geteuid() != 0 and not os.environ.get(IN_NAMESPACE):
        from conftest import unavailable

        if not shutil.which("unshare"):
            unavailable("mounting a tmpfs needs root or unshare(1) (util-linux)")
        proc = subprocess.run(
            ["unshare", "-rm", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", request.node.nodeid],
            cwd=REPO,
            env={**os.environ, IN_NAMESPACE: "1"},
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        pytest.skip("passed in a user and mount namespace (unshare -rm)")
    mounted: list[str] = []

    def mount(*args: str) -> None:
        _sh("mount", *args)
        mounted.append(args[-1])

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", target], capture_output=True)


@pytest.fixture
def tmpfs(mounts, tmp_path: Path) -> Path:
    """A 2 MiB tmpfs at tmp_path/disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounts("-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(disk))
    return disk


def fill(disk: Path, leave_kb: int = 0) -> Path:
    """Fill the file system up to ``leave_kb`` KiB free; returns the filler file (remove it to free the space)."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free - leave_kb * 1024
    with filler.open("ab") as fh:
        try:
            fh.write(b"\0" * max(0, free))
            fh.flush()
        except OSError:
            pass
    if leave_kb == 0:  # the last blocks, whatever the rounding
        try:
            with filler.open("ab") as fh:
                while True:
                    fh.write(b"\0" * 4096)
                    fh.flush()
        except OSError:
            pass
    return filler


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ils: error: "), err
    return lines[0]


def summary(err: str) -> str:
    return [ln for ln in err.splitlines() if " done, " in ln and "unchanged" in ln][-1]


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_nothing_can_run_on_a_full_disk(ils, demo, tmpfs):
    """A new output directory on a full disk: the lock is taken all the same, the run log cannot be written."""
    fill(tmpfs)
    out = tmpfs / "out"
    code, _, err = ils("run", "--period", PERIOD, "--org", "ALN", "--out", out)
    assert code == 2, err
    line = one_line(err)
    assert line.startswith(f"ils: error: cannot write the run log {out}/runs/") and line.endswith(
        "run.log: No space left on device"
    ), line
    assert not (out / PERIOD).exists()
    assert (out / ".ils-run.lock").is_file(), "the lock was taken on the full disk (its holder text did not fit)"
    # Earlier reports on the disk: the same, and they stay as they were.
    (tmpfs / "filler").unlink()
    code, _, err = ils("run", "--notebook", SIZED, "--period", PERIOD, "--org", "IDN", "--out", out)
    assert code == 0, err
    before = files(out / "_studier")
    fill(tmpfs)
    code, _, err = ils("run", "--notebook", SIZED, "--period", PERIOD, "--org", "IDN", "--force", "--out", out)
    assert code == 2 and "No space left on device" in one_line(err), err
    assert files(out / "_studier") == before


def test_a_report_that_does_not_fit_fails_alone(ils, demo, tmpfs):
    out = tmpfs / "out"
    args = ("run", "--notebook", SIZED, "--period", PERIOD, "-p", "kb=700", "--out", out)
    orgs = ("--org", "ALN", "--org", "IDN", "--org", "KS")
    filler = fill(tmpfs, leave_kb=400)
    code, _, err = ils(*args, *orgs, "--jobs", "1")
    assert code == 1, err
    assert "Traceback" not in err
    assert "2 done, 0 unchanged, 1 failed" in summary(err), err
    base = out / "_studier" / "sized" / PERIOD
    reason = f"cannot write {base / 'ALN'}: No space left on device"
    assert f"  failed 2026-T2/ALN: {reason}" in err
    assert not list(base.glob(".*.part")), "no scratch left behind"
    for org in ("IDN", "KS"):
        assert json.loads((base / org / "figures.json").read_text("utf-8"))["bytes"] == 1024
    state = json.loads((base / "ALN" / ".ils-state.json").read_text("utf-8"))
    assert state["status"] == "failed" and state["error"] == reason
    assert sorted(p.name for p in (base / "ALN").iterdir()) == [".ils-state.json"]
    (manifest,) = (out / "runs").glob("*/manifest.json")
    m = json.loads(manifest.read_text("utf-8"))
    assert m["counts"] == {"done": 2, "unchanged": 0, "failed": 1, "not_run": 0}
    portal = (out / "index.html").read_text("utf-8")
    assert "Misslyckades: cannot write" in portal and 'href="_studier/sized/2026-T2/IDN/report.html"' in portal
    # With room again the next run makes it, and only it.
    filler.unlink()
    code, _, err = ils(*args, *orgs)
    assert code == 0 and "1 done, 2 unchanged, 0 failed" in summary(err), err
    assert json.loads((base / "ALN" / "figures.json").read_text("utf-8"))["bytes"] == 700 * 1024


def test_the_disk_fills_up_for_the_run_log(ils, demo, tmpfs, monkeypatch):
    """The run log is written as the run goes: when the disk fills up under it the run goes on, and says so."""
    from ilslib.runner import batch

    out = tmpfs / "out"
    lines: list[str] = []
    real_result = batch.Reporter.result

    def result(self, r):  # the disk fills up (another program) right after the first report ends
        if not lines:
            lines.append(r.label)
            fill(tmpfs)
        real_result(self, r)

    monkeypatch.setattr(batch.Reporter, "result", result)
    code, _, err = ils(
        "run", "--notebook", SIZED, "--period", PERIOD, "--org", "ALN", "--org", "IDN", "--jobs", "1", "--out", out
    )
    assert "Traceback" not in err, err
    assert code == 1, err
    assert f"  failed 2026-T2/IDN: cannot write {out}/_studier/sized/{PERIOD}/IDN: No space left on device" in err
    assert "the manifest was not written: cannot write" in err and "the portal was not written: cannot write" in err
    assert "1 done, 0 unchanged, 1 failed" in summary(err) and summary(err).endswith("Portal: not written")


def test_the_run_log_on_a_full_disk(tmpfs):
    """A run log that can no longer be written: said once, and the lines go on to the terminal."""
    import io

    from ilslib.runner.batch import Reporter

    stream = io.StringIO()
    log = (tmpfs / "run.log").open("w", encoding="utf-8")
    fill(tmpfs)
    rep = Reporter(0, log, stream)
    for i in range(200):  # more than the page the file has already
        rep.line(f"line {i} " + "å" * 100, to_stream=False)
    rep.line("the summary")
    with pytest.raises(OSError):
        log.close()  # what is still buffered does not fit either (ils run closes it quietly)
    text = stream.getvalue()
    assert f"cannot write the run log {tmpfs / 'run.log'}: No space left on device; it ends here" in text
    assert text.count("it ends here") == 1 and "line 199 " in text and text.rstrip().endswith("the summary")


def test_a_read_only_output_directory(ils, demo, mounts, tmpfs):
    out = tmpfs / "out"
    code, _, err = ils("run", "--notebook", SIZED, "--period", PERIOD, "--org", "ALN", "--out", out)
    assert code == 0, err
    before = files(out)
    mounts("-o", "remount,ro", str(tmpfs))
    code, _, err = ils("run", "--notebook", SIZED, "--period", PERIOD, "--org", "ALN", "--force", "--out", out)
    assert code == 2, err
    assert one_line(err) == f"ils: error: cannot write to the output directory {out}: Read-only file system"
    assert files(out) == before


def test_a_read_only_report_folder(ils, demo, mounts, tmpfs):
    """One folder read-only (a bind mount): its reports fail with the reason, the run is recorded, exit 1."""
    out = tmpfs / "out"
    args = ("run", "--notebook", SIZED, "--period", PERIOD, "-p", "kb=2", "--out", out)
    code, _, err = ils(*args, "--org", "ALN", "--org", "IDN")
    assert code == 0, err
    period_dir = out / "_studier" / "sized" / PERIOD
    before = files(period_dir)
    mounts("--bind", str(period_dir), str(period_dir))
    mounts("-o", "remount,bind,ro", str(period_dir))
    code, _, err = ils(*args, "--org", "ALN", "--org", "IDN", "--force")
    assert code == 1, err
    assert "Traceback" not in err
    for org in ("ALN", "IDN"):
        reason = f"cannot write {period_dir / org}: Read-only file system"
        assert f"  failed 2026-T2/{org}: {reason}" in err, err
        assert f"could not record the failure of 2026-T2/{org}: {reason}" in err
    assert files(period_dir) == before, "the previous complete sets stay as they were"
    latest = max((out / "runs").iterdir(), key=lambda p: (p / "manifest.json").stat().st_mtime_ns)
    m = json.loads((latest / "manifest.json").read_text("utf-8"))
    assert m["force"] and m["counts"]["failed"] == 2
    assert "could not record the failure of 2026-T2/ALN" in (latest / "run.log").read_text("utf-8")
