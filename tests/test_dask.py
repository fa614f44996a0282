"""``ils run --executor dask``: the same jobs on a Dask cluster give the same outputs as a local run.

Tested with a ``LocalCluster`` (started by ``ils run`` itself, and one started
here and given with ``--scheduler``), on this machine only.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from ilslib.cli import main

NB = Path(__file__).resolve().parent / "notebooks"
PERIOD = "2026-T2"
ORGS = ["--org", "ALN", "--org", "TEATER"]


@pytest.fixture(autouse=True)
def _distributed() -> None:
    """Dask distributed is a dependency: missing, it is a failure under CI=true."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        from conftest import unavailable

        unavailable(f"dask.distributed cannot be imported ({exc}); pip install -e '.[dev]'")


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ILS_WAREHOUSE", demo_url)
    return demo_url


def _files(out: Path) -> set[str]:
    """The report files (not the run logs, the lock or the portal, which differ by run)."""
    return {
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.relative_to(out).parts[0] != "runs" and p.name not in (".ils-run.lock",)
    }


def _figures(out: Path) -> dict[str, dict]:
    docs = {}
    for p in sorted(out.rglob("figures.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        doc.get("provenance", {}).pop("generated_at", None)
        docs[p.relative_to(out).as_posix()] = doc
    return docs


def _state(out: Path, rel: str) -> dict:
    return json.loads((out / rel / ".ils-state.json").read_text(encoding="utf-8"))


def test_dask_local_cluster_gives_the_same_outputs(demo, tmp_path, capsys):
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert main(["run", "--period", PERIOD, *ORGS, "--out", str(local)]) == 0
    capsys.readouterr()
    assert main(["run", "--period", PERIOD, *ORGS, "--executor", "dask", "--jobs", "2", "--out", str(dask)]) == 0
    err = capsys.readouterr().err
    assert "2 done, 0 unchanged, 0 failed" in err, err
    assert _files(dask) == _files(local)
    assert _figures(dask) == _figures(local)
    for rel in ("2026-T2/ALN", "2026-T2/TEATER"):
        a, b = _state(local, rel), _state(dask, rel)
        assert a["input_hash"] == b["input_hash"] and b["status"] == "done"
    m = json.loads(next((dask / "runs").glob("*/manifest.json")).read_text(encoding="utf-8"))
    assert m["executor"] == "dask" and m["counts"]["done"] == 2
    # Incremental on Dask too: nothing to do starts no cluster.
    t0 = time.monotonic()
    assert main(["run", "--period", PERIOD, *ORGS, "--executor", "dask", "--out", str(dask)]) == 0
    assert "0 done, 2 unchanged" in capsys.readouterr().err
    assert time.monotonic() - t0 < 5


def test_dask_with_a_scheduler_address(demo, tmp_path, capsys):
    import dask
    from distributed import LocalCluster

    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["run", "--period", PERIOD, "--org", "IDN", "--out", str(local)]) == 0
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1", silence_logs=40
        )
    try:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        capsys.readouterr()
        code = main(
            [
                "run",
                "--period",
                PERIOD,
                "--org",
                "IDN",
                "--executor",
                "dask",
                "--scheduler",
                address,
                "--out",
                str(remote),
            ]
        )
        err = capsys.readouterr().err
        assert code == 0, err
        assert "daemonic" not in err  # a worker that may fork: no warning
        # Each report in a fresh process on the worker too: global state does not travel.
        code = main(
            [
                "run",
                "--notebook",
                str(NB / "global_state.ipynb"),
                "--period",
                PERIOD,
                "--org",
                "ALN",
                "--org",
                "IDN",
                "--executor",
                "dask",
                "--scheduler",
                address,
                "--out",
                str(remote),
            ]
        )
        assert code == 0, capsys.readouterr().err
    finally:
        cluster.close()
    for org in ("ALN", "IDN"):
        doc = json.loads((remote / "_studier" / "global_state" / PERIOD / org / "figures.json").read_text("utf-8"))
        assert doc["seen"]["band"] == 10.0 and doc["seen"]["linewidth"] == 1.5 and doc["seen"]["env"] is None
    assert {f for f in _files(remote) if "_studier" not in f} == _files(local)
    assert {k: v for k, v in _figures(remote).items() if "_studier" not in k} == _figures(local)
    m = json.loads(next((remote / "runs").glob("*/manifest.json")).read_text(encoding="utf-8"))
    assert m["scheduler"] == address


def test_dask_scheduler_that_does_not_answer(demo, tmp_path, capsys, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("ILS_CONNECT_TIMEOUT", "2")
    t0 = time.monotonic()
    code = main(
        [
            "run",
            "--period",
            PERIOD,
            "--org",
            "ALN",
            "--executor",
            "dask",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"cannot reach the Dask scheduler tcp://127.0.0.1:{port} within 2 s" in err
    assert "Traceback" not in err and time.monotonic() - t0 < 30
    log = next((tmp_path / "out" / "runs").glob("*/run.log")).read_text(encoding="utf-8")
    assert "stopped: cannot reach the Dask scheduler" in log


def test_dask_daemonic_worker_still_isolates(demo, tmp_path, capsys):
    """A worker started the default way (a daemon, which may not fork) runs each report in a new process."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1", silence_logs=40
    )
    try:
        code = main(
            [
                "run",
                "--notebook",
                str(NB / "global_state.ipynb"),
                "--period",
                PERIOD,
                "--org",
                "ALN",
                "--org",
                "IDN",
                "--executor",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--out",
                str(tmp_path / "out"),
            ]
        )
        err = capsys.readouterr().err
        assert code == 0, err
    finally:
        cluster.close()
    # Said once, in the run log and on the terminal: how to start workers the fast way.
    warning = "warning: 1 Dask worker(s) are daemonic: each report starts a fresh Python there"
    log = next((tmp_path / "out" / "runs").glob("*/run.log")).read_text(encoding="utf-8")
    assert log.count(warning) == 1 and "DASK_DISTRIBUTED__WORKER__DAEMON=False" in log
    assert warning in err
    pids = set()
    for org in ("ALN", "IDN"):
        doc = json.loads(
            (tmp_path / "out" / "_studier" / "global_state" / PERIOD / org / "figures.json").read_text("utf-8")
        )
        assert doc["seen"]["band"] == 10.0 and doc["seen"]["env"] is None and doc["seen"]["module"] is False
        pids.add(doc["seen"]["pid"])
    assert len(pids) == 2
