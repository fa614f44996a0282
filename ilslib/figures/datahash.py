"""``data_hash``: a digest of the warehouse data an organisation's figures were computed from.

Nothing here lists what a figure reads. Every query passes through
:mod:`ilslib.warehouse`, which can record, while :func:`ilslib.warehouse.reading`
is active, each statement, its parameters and a digest of the rows it
returned. The data hash is one SHA-256 over those reads: computing the
figures (:func:`~ilslib.figures.figures_json`) records what they read, so a
figure added tomorrow is covered without being registered anywhere.

It changes when any row that the figures read changes (at the precision of the
queries' own filters: a row of another organisation that no query of this one
selects leaves it as it was), and not otherwise. Load records (``v_load``)
are not part of it: they are the data's provenance, not its content. Numbers
are compared to 15 significant digits and rows in any order, so the hash is the
same on every backend for the same data.

``ils run`` records the same value: a report's ``.ils-state.json`` and the
run's ``manifest.json`` carry as ``data_hash`` the ``provenance.data_hash`` of
the figures the report published (:func:`report_data_hash`), so the manifest,
the state file and ``figures.json`` never disagree. (To decide whether a
report must run again, the runner also keeps every read the whole notebook
made and their digest, ``data_digest``, in the state file: ``docs/batch.md``.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..periods import Period
from ..warehouse import ReadLog, Warehouse


def data_hash(wh: Warehouse, org_id: str, period: str | Period) -> str:
    """A SHA-256 (hex) of the data the organisation's figures for the period are computed from.

    The same value as ``provenance.data_hash`` in the organisation's
    ``figures.json``: it is the digest of every read ``figures_json`` makes
    (computing it costs as much as computing the figures).

    >>> h = f.data_hash(wh, "ALN", "2026-T2")
    >>> len(h), h == f.data_hash(wh, "ALN", "2026-T2")
    (64, True)
    >>> h == f.figures_json(wh, "ALN", "2026-T2")["provenance"]["data_hash"]
    True
    """
    from .export import figures_json

    return figures_json(wh, org_id, period, generated_at="-")["provenance"]["data_hash"]


def data_hashes(wh: Warehouse, period: str | Period, org_ids: Sequence[str] | None = None) -> dict[str, str]:
    """:func:`data_hash` of several organisations (``org_ids`` None: every organisation): ``{org_id: hash}``."""
    from .latest import as_period

    p = as_period(wh, period)
    if org_ids is None:
        org_ids = [r[0] for r in wh.rows("SELECT org_id FROM v_organisation ORDER BY org_id")]
    return {o: data_hash(wh, o, p) for o in org_ids}


def report_data_hash(figures: Mapping[str, Any] | None, reads: ReadLog) -> str:
    """The ``data_hash`` a report set records in its state and the run's manifest.

    For a report that published figures (the report, its short version, the
    group report): their ``provenance.data_hash``, the value :func:`data_hash`
    gives and ``figures.json`` carries. For one without figures (a study): the
    digest of every read it made (``reads``), by the same function
    (:meth:`ilslib.warehouse.ReadLog.digest`).
    """
    value = ((figures or {}).get("provenance") or {}).get("data_hash")
    return value if isinstance(value, str) and value else reads.digest()
