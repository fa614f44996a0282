"""What is unchanged since the last run: every report's recorded reads, run again.

A report's state (``.ils-state.json``) keeps the hash of its inputs (the
notebook, the parameters, the library) and every warehouse read it made with a
digest of the rows it got. A report is unchanged when its inputs are the same
and each of those reads, run again now, returns the same rows
(:func:`split_unchanged`): what a report read is recorded as it runs, so no
list of what each figure reads is kept anywhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..version import __version__
from .sets import Job


def input_hash(obj: Any) -> str:
    """A SHA-256 of a job's inputs (the notebook's hash, the parameters, the library) as canonical JSON."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def file_hash(path: Path) -> str:
    """A SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def library_fingerprint() -> str:
    """ilslib's version and a hash of its code and templates: a changed library reruns every report."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".j2", ".css", ".json", ".toml") and "__pycache__" not in p.parts:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def read_state(out_dir: Path, name: str) -> dict[str, Any]:
    """A set's state file (``name`` in ``out_dir``) as a mapping; {} when missing or damaged."""
    try:
        state = json.loads((out_dir / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _recorded_reads(state: dict[str, Any]) -> list[tuple[str, list[Any], str]] | None:
    """The reads a state file records, or None when it has none usable (an older or damaged file)."""
    reads = state.get("reads")
    if not isinstance(reads, list) or not isinstance(state.get("data_digest"), str):
        return None  # no record: the report runs (a notebook that reads nothing has an empty one)
    out = []
    for r in reads:
        if not (isinstance(r, list) and len(r) == 3 and isinstance(r[0], str) and isinstance(r[1], list)):
            return None
        out.append((r[0], r[1], str(r[2])))
    return out


def _read_key(sql: str, params: list[Any]) -> tuple[str, str]:
    return sql, json.dumps(params, ensure_ascii=False, sort_keys=True)


def _same_inputs(job: Job, state: dict[str, Any]) -> bool:
    """The last run of the job succeeded with the same notebook, parameters and library, and its files are there."""
    if state.get("status") != "done" or state.get("input_hash") != job.input_hash:
        return False
    out_dir = Path(job.out_dir)
    needed = [f"{job.stem}.ipynb"] + [f"{job.stem}.{f}" for f in job.formats]
    return all((out_dir / n).is_file() for n in needed)


def _fresh_digests(distinct: dict[Any, tuple[str, list[Any]]], wh: Any, url: str | None) -> dict[Any, str]:
    """Run each read again, on ``wh`` or a connection to ``url``: key -> digest of its rows.

    (Measured: spreading the reads over several connections saves little, the
    client's own work being most of the time; so one connection.)
    """
    from .. import connect

    with contextlib.ExitStack() as stack:
        if wh is None:
            wh = stack.enter_context(connect(url))
        return {key: wh.read_digest(sql, params) for key, (sql, params) in distinct.items()}


def split_unchanged(
    jobs: list[Job], *, force: bool, wh: Any = None, url: str | None = None
) -> tuple[list[Job], list[Job]]:
    """``(to run, unchanged)``: with ``force`` nothing is unchanged.

    A job is unchanged when its last run succeeded with the same inputs, its
    files are there, and every warehouse read that run recorded returns the
    same rows now. Each distinct read is run once for all the jobs (the reads
    of a kind's comparisons are shared by every report of the kind), on
    ``wh`` or on a connection to ``url``. A job with no record of its reads runs.
    """
    if force:
        return list(jobs), []
    candidates: list[tuple[Job, dict[str, Any], list[tuple[str, list[Any], str]]]] = []
    for j in jobs:
        state = read_state(Path(j.out_dir), j.state_file) if j.out_dir else {}
        reads = _recorded_reads(state) if _same_inputs(j, state) else None
        if reads is not None:
            candidates.append((j, state, reads))
    same: set[int] = set()
    if candidates:
        distinct: dict[tuple[str, str], tuple[str, list[Any]]] = {}
        for _, _, reads in candidates:
            for sql, params, _ in reads:
                distinct.setdefault(_read_key(sql, params), (sql, params))
        fresh = _fresh_digests(distinct, wh, url)
        for j, state, reads in candidates:
            if all(fresh[_read_key(sql, params)] == digest for sql, params, digest in reads):
                same.add(id(j))
                j.meta["data_hash"] = (state.get("meta") or {}).get("data_hash")
    return [j for j in jobs if id(j) not in same], [j for j in jobs if id(j) in same]
