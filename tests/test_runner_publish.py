"""A report's files change together: a reader sees the old complete set or the new one, never a mix.

:func:`ilslib.fsutil.publish_set` builds the directory's new content aside and
swaps it in at once. Here publishers are killed (``kill -9``, through the
test-only ``ILS_TEST_PUBLISH`` variable) at every step of the switch, a reader
reads the directory while sets are switched hundreds of times, a second set
shares the directory, and a whole ``ils run`` has its report process killed in
the middle of publishing; ``ils serve`` and the portal still work, and the
next run cleans up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ilslib.fsutil import publish_set, remove_scratch

REPO = Path(__file__).resolve().parents[1]
SIZED = REPO / "tests" / "notebooks" / "sized.py"
ILS = str(Path(sys.executable).with_name("ils"))
PERIOD = "2026-T2"
SET = ("report.html", "figures.json", "report.ipynb", ".ils-state.json")


def version(v: str, names=SET) -> dict[str, bytes]:
    """A set whose every file says which version it belongs to (and is big enough to be written in parts)."""
    return {n: f"{v}|{n}|".encode() + b"x" * 50_000 for n in names}


def read_set(d: Path) -> dict[str, bytes] | None:
    """What a reader that opened the directory once sees; None if the name no longer leads to what was read."""
    try:
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return {}
    try:
        out = {}
        for name in os.listdir(fd):
            try:
                f = os.open(name, os.O_RDONLY, dir_fd=fd)
            except (FileNotFoundError, IsADirectoryError):
                return None
            with os.fdopen(f, "rb") as fh:
                out[name] = fh.read()
        try:
            current = os.stat(d).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        return out if current else None  # a reader that held a replaced directory opens the name again
    finally:
        os.close(fd)


def versions(files: dict[str, bytes], names=SET) -> set[str]:
    return {files[n].split(b"|", 1)[0].decode() for n in names if n in files}


def test_a_set_replaces_its_own_files_only(tmp_path):
    d = tmp_path / "2026-T2" / "ALN"
    publish_set(d, {**version("v1"), "report.pdf": b"%PDF-v1"})
    publish_set(d, {"report-kort.html": b"kort v1"})  # another set in the same directory
    kort = os.stat(d / "report-kort.html")
    publish_set(d, version("v2"), remove=["report.pdf"])
    files = read_set(d)
    assert files is not None and versions(files) == {"v2"} and "report.pdf" not in files
    assert files["report-kort.html"] == b"kort v1"
    assert os.stat(d / "report-kort.html").st_ino == kort.st_ino, "the other set's file is the same file"
    assert sorted(p.name for p in d.parent.iterdir()) == [".ils-publish.lock", "ALN"], "nothing left aside"
    # Mode of a new directory follows the umask; a file name that is a path is refused.
    assert oct(os.stat(d).st_mode & 0o777) == oct(0o777 & ~_umask())
    with pytest.raises(Exception, match="not a file name"):
        publish_set(d, {"../evil": b"x"})
    with pytest.raises(Exception, match="not a file name"):
        publish_set(d, {}, remove=[".."])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


PUBLISH = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_runner_publish import version
from ilslib.fsutil import publish_set
publish_set(Path({d!r}), version("v2"), remove=["report.pdf"])
"""


@pytest.mark.parametrize(
    ("directives", "expected"),
    [
        ("kill:written", "v1"),
        ("kill:linked", "v1"),
        ("kill:exchanged", "v2"),
        ("no-exchange,kill:linked", "v1"),
        ("no-exchange,kill:moved-aside", None),  # the fallback's window: the name is missing for an instant
        ("no-exchange,kill:renamed", "v2"),
    ],
)
def test_killed_at_every_step_of_the_switch(tmp_path, directives, expected):
    d = tmp_path / "2026-T2" / "ALN"
    publish_set(d, {**version("v1"), "report.pdf": b"v1|report.pdf|"})
    publish_set(d, {"report-kort.html": b"kort"})
    env = {**os.environ, "ILS_TEST_PUBLISH": directives}
    code = PUBLISH.format(tests=str(REPO / "tests"), d=str(d))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    seen = read_set(d)
    if expected is None:
        assert seen == {}
    else:
        assert seen is not None and versions(seen) == {expected} and set(SET) <= set(seen)
        assert seen["report-kort.html"] == b"kort" and ("report.pdf" in seen) == (expected == "v1")
    # The next run's clean-up: scratch removed, a directory moved aside put back; one complete set.
    assert remove_scratch(tmp_path) >= 1
    after = read_set(d)
    assert after is not None and versions(after) == {expected or "v1"} and after["report-kort.html"] == b"kort"
    assert not list(tmp_path.rglob("*.part"))
    # And publishing works again.
    publish_set(d, version("v3"), remove=["report.pdf"])
    assert versions(read_set(d) or {}) == {"v3"}


@pytest.mark.parametrize("directives", ["", "no-exchange"])
def test_a_reader_never_sees_a_mix(tmp_path, directives):
    d = tmp_path / "ALN"
    publish_set(d, version("v0"))
    stop = threading.Event()
    mixed, incomplete, missing, seen = [], [], [], set()

    def reader() -> None:
        while not stop.is_set():
            files = read_set(d)
            if files is None:
                continue
            if not files:
                missing.append(1)
                continue
            vs = versions(files)
            seen.update(vs)
            if len(vs) != 1:
                mixed.append(vs)
            if not set(SET) <= set(files):
                incomplete.append(sorted(files))

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    env = {**os.environ, "ILS_TEST_PUBLISH": directives}
    code = (
        f"import sys; sys.path.insert(0, {str(REPO / 'tests')!r})\n"
        "from pathlib import Path\nfrom test_runner_publish import version\n"
        "from ilslib.fsutil import publish_set\n"
        f"for i in range(1, 151): publish_set(Path({str(d)!r}), version(f'v{{i}}'))\n"
    )
    try:
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    finally:
        stop.set()
        t.join()
    assert not mixed and not incomplete, (mixed[:3], incomplete[:3])
    assert len(seen) > 5, "the reader saw the sets change"
    if not directives:
        assert not missing, "with the atomic swap the directory is never missing"


# -- a whole run ----------------------------------------------------------------------------------


def ils(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([ILS, *map(str, args)], capture_output=True, text=True, env=env, timeout=300)


def test_a_report_killed_while_publishing(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    out = tmp_path / "out"
    args = ("run", "--notebook", SIZED, "--period", PERIOD, "--format", "html,pdf", "-p", "kb=1", "--out", out)
    first = ils(*args, "--org", "ALN", "--org", "IDN", "-p", "tag=v1")
    assert first.returncode == 0, first.stderr
    d = out / "_studier" / "sized" / PERIOD / "ALN"
    assert sorted(os.listdir(d)) == [".ils-state.json", "figures.json", "report.html", "report.ipynb", "report.pdf"]

    stop = threading.Event()
    mixed: list[object] = []

    def watch() -> None:  # the HTML and figures.json of what a reader finds always belong together
        while not stop.is_set():
            files = read_set(d)
            if not files or "figures.json" not in files or "report.html" not in files:
                continue
            tag = json.loads(files["figures.json"])["tag"]
            if f"tag={tag};".encode() not in files["report.html"]:
                mixed.append(tag)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    flag = tmp_path / "killed-once"
    env = {**os.environ, "ILS_TEST_PUBLISH": f"kill-once:linked:{flag}"}
    try:
        killed = ils(*args, "--org", "ALN", "--org", "IDN", "-p", "tag=v2", "--jobs", "1", env=env)
    finally:
        stop.set()
        t.join()
    assert not mixed, mixed
    assert flag.exists() and killed.returncode == 1, killed.stderr
    assert "failed 2026-T2/ALN: the report process was killed (signal 9)" in killed.stderr, killed.stderr
    # The failure replaced the old set as a whole (nothing stale published as current); IDN was made.
    assert sorted(os.listdir(d)) == [".ils-state.json"]
    assert json.loads((d / ".ils-state.json").read_text("utf-8"))["status"] == "failed"
    assert json.loads((d.parent / "IDN" / "figures.json").read_text("utf-8"))["tag"] == "v2"
    assert list(d.parent.glob(".ALN.*.part")), "the killed publisher left its scratch directory"

    # The next run removes it and completes the work; the portal and ils serve show the report.
    again = ils(*args, "--org", "ALN", "--org", "IDN", "-p", "tag=v2")
    assert again.returncode == 0 and "1 done, 1 unchanged, 0 failed" in again.stderr, again.stderr
    assert any("removed 1 partial file" in p.read_text("utf-8") for p in (out / "runs").glob("*/run.log"))
    assert not list(out.rglob("*.part"))
    assert json.loads((d / "figures.json").read_text("utf-8"))["tag"] == "v2"
    assert (d / "report.pdf").read_bytes().startswith(b"%PDF-")
    portal = (out / "index.html").read_text("utf-8")
    assert 'href="_studier/sized/2026-T2/ALN/report.pdf"' in portal
    _check_served(out, "_studier/sized/2026-T2/ALN/report.html", b"tag=v2;")


def _check_served(out: Path, path: str, expected: bytes) -> None:
    from ilslib.cli.serve import make_server

    server = make_server(str(out), "127.0.0.1", 0)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=10) as resp:
            assert resp.status == 200 and expected in resp.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as resp:
            assert resp.status == 200
        for hidden in ("_studier/sized/2026-T2/.ils-publish.lock", "_studier/sized/2026-T2/ALN/.ils-state.json"):
            with pytest.raises(urllib.error.HTTPError) as exc:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{hidden}", timeout=10)
            assert exc.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
        time.sleep(0.05)
