"""``ils template``: the reporting workbook of an organisation and period, pre-filled from the warehouse.

The rows are the items of :func:`ilslib.round.expected.items` (one home: the
workbook asks for exactly what completeness counts, plus the optional items),
each with what helps the reporter fill it in, read-only beside the cells to
fill in:

- ``outcomes``: every indicator followed up in the period that the
  organisation has a target for, a row for the total and, when the indicator
  is split by gender (:func:`ilslib.round.expected.split_by_gender`), one for
  women and one for men; its name, unit, direction, the target that applies
  (:func:`ilslib.figures.indicators`), the previous outcome and its period;
- ``assessments``: every own goal it judges in the year, with its level, the KF
  goal it concretises and the previous judgement;
- ``activity_status``: every activity it runs in the year, with its dates and
  the previous status;
- ``comments``: the period's comment kinds
  (:data:`ilslib.round.expected.PERIOD_COMMENT_KINDS`).

What is already in the warehouse for the period is filled in, so a workbook
made again after a load shows what was loaded. "Previous" is the latest earlier
period (BU < T1 < T2 < BO, year by year) with a value for the same item. A budget
period has outcomes, statuses and judgements for no one: its workbook has the
comments only. The layout is :mod:`ilslib.round.workbook`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import fmt, settings
from ..errors import ConfigError
from ..figures import indicators, organisation
from ..figures._common import num, text
from ..figures.orgs import goal_map
from ..fmt import ACTIVITY_STATUS, STATUS
from ..fsutil import atomic_write_bytes
from ..periods import Period, is_period, period_order
from ..warehouse import Warehouse
from . import workbook as wbk
from .deadlines import deadline
from .expected import Item, items

DIRECTION_WORDS = {"higher": "Högre är bättre", "lower": "Lägre är bättre"}
LEVEL_WORDS = {"namndmal": "Nämndmål", "bolagsmal": "Bolagsmål"}


def _previous(rows: Sequence[tuple[Any, ...]], period: Period) -> dict[Any, tuple[str, Any]]:
    """``{key: (period, value)}``: the latest period before ``period`` per key, from rows (key, period, value)."""
    best: dict[Any, tuple[str, Any]] = {}
    for key, per, value in rows:
        per = str(per)
        if not is_period(per) or Period.parse(per) >= period:
            continue
        if key not in best or period_order(per) > period_order(best[key][0]):
            best[key] = (per, value)
    return best


def _outcome_sheet(wh: Warehouse, org_id: str, p: Period, found: list[Item]) -> wbk.SheetData:
    sheet = wbk.SheetData("outcomes")
    wanted = [i for i in found if i.kind == "outcome"]
    if not wanted:
        return sheet
    table = {r["indicator_id"]: r for r in indicators(wh, org_id, p).to_dict("records")}
    info = {str(r[0]): r[1:] for r in wh.rows("SELECT indicator_id, name, unit, direction, decimals FROM v_indicator")}
    rows = wh.rows("SELECT indicator_id, gender, period, value, comment FROM v_outcome WHERE org_id = ?", (org_id,))
    current = {(str(i), str(g)): (v, c) for i, g, per, v, c in rows if str(per) == str(p)}
    previous = _previous([((str(i), str(g)), per, v) for i, g, per, v, _ in rows if v is not None], p)
    for item in wanted:
        key = (item.ref, item.gender or "T")
        name, unit, direction, decimals = info.get(item.ref, (item.title, None, None, 1))
        value, comment = current.get(key, (None, None))
        prev_period, prev_value = previous.get(key, (None, None))
        sheet.rows.append(
            {
                "org_id": org_id,
                "period": str(p),
                "indicator_id": item.ref,
                "name": text(name),
                "gender": item.gender or "T",
                "unit": text(unit),
                "direction": DIRECTION_WORDS.get(str(direction), text(direction)),
                "target": num(table.get(item.ref, {}).get("target")),
                "previous": num(prev_value),
                "previous_period": prev_period,
                "value": num(value),
                "comment": text(comment),
            }
        )
        sheet.decimals.append(int(decimals) if num(decimals) is not None else 1)
    return sheet


def _assessment_sheet(wh: Warehouse, org_id: str, p: Period, found: list[Item]) -> wbk.SheetData:
    sheet = wbk.SheetData("assessments")
    wanted = [i for i in found if i.kind == "judgement"]
    if not wanted:
        return sheet
    goals = goal_map(wh, None)
    titles = dict(zip(goals["goal_id"], goals["title"], strict=True))
    levels = dict(zip(goals["goal_id"], goals["level"], strict=True))
    kf = dict(zip(goals["goal_id"], goals["kf_goal_id"], strict=True))
    rows = wh.rows("SELECT goal_id, period, assessment, comment FROM v_assessment WHERE org_id = ?", (org_id,))
    current = {str(g): (a, c) for g, per, a, c in rows if str(per) == str(p)}
    previous = _previous([(str(g), per, a) for g, per, a, _ in rows if a is not None], p)
    for item in wanted:
        assessment, comment = current.get(item.ref, (None, None))
        prev = previous.get(item.ref)
        kf_goal = text(kf.get(item.ref))
        sheet.rows.append(
            {
                "org_id": org_id,
                "period": str(p),
                "goal_id": item.ref,
                "title": item.title,
                "level": LEVEL_WORDS.get(str(levels.get(item.ref)), text(levels.get(item.ref))),
                "kf_goal": text(titles.get(kf_goal)) if kf_goal else None,
                "previous": f"{STATUS[prev[1]][1]} ({prev[0]})" if prev and prev[1] in STATUS else None,
                "assessment": text(assessment),
                "comment": text(comment),
            }
        )
        sheet.decimals.append(0)
    return sheet


def _activity_sheet(wh: Warehouse, org_id: str, p: Period, found: list[Item]) -> wbk.SheetData:
    sheet = wbk.SheetData("activity_status")
    wanted = [i for i in found if i.kind == "status"]
    if not wanted:
        return sheet
    acts = {
        str(r[0]): r[1:]
        for r in wh.rows("SELECT activity_id, start_date, end_date FROM v_activity WHERE org_id = ?", (org_id,))
    }
    rows = wh.rows(
        "SELECT s.activity_id, s.period, s.status, s.comment FROM v_activity_status s "
        "JOIN v_activity a ON a.activity_id = s.activity_id WHERE a.org_id = ?",
        (org_id,),
    )
    current = {str(a): (s, c) for a, per, s, c in rows if str(per) == str(p)}
    previous = _previous([(str(a), per, s) for a, per, s, _ in rows if s is not None], p)
    for item in wanted:
        start, end = acts.get(item.ref, (None, None))
        status, comment = current.get(item.ref, (None, None))
        prev = previous.get(item.ref)
        sheet.rows.append(
            {
                "activity_id": item.ref,
                "period": str(p),
                "title": item.title,
                "start_date": s[:10] if (s := text(start)) else None,
                "end_date": e[:10] if (e := text(end)) else None,
                "previous": f"{ACTIVITY_STATUS[prev[1]]} ({prev[0]})" if prev and prev[1] in ACTIVITY_STATUS else None,
                "status": text(status),
                "comment": text(comment),
            }
        )
        sheet.decimals.append(0)
    return sheet


def _comment_sheet(wh: Warehouse, org_id: str, p: Period, found: list[Item]) -> wbk.SheetData:
    sheet = wbk.SheetData("comments")
    current = {
        str(k): t
        for k, t in wh.rows("SELECT kind, text FROM v_comment WHERE org_id = ? AND period = ?", (org_id, str(p)))
    }
    for item in found:
        if item.kind != "comment":
            continue
        sheet.rows.append(
            {
                "org_id": org_id,
                "period": str(p),
                "kind": item.ref,
                "label": item.title,  # the heading the report gives it (a board's is the förvaltningschef's)
                "text": text(current.get(item.ref)),
            }
        )
        sheet.decimals.append(0)
    return sheet


def _required_summary(found: list[Item]) -> list[str]:
    """What counts for completeness, in Swedish (``utfall (totalt) för 5 indikatorer`` ...)."""
    req = [i for i in found if i.required]
    n = {k: sum(1 for i in req if i.kind == k) for k in ("outcome", "status", "judgement", "target")}
    out = []
    if n["outcome"]:
        out.append(f"utfall (totalt) för {n['outcome']} {'indikator' if n['outcome'] == 1 else 'indikatorer'}")
    if n["status"]:
        out.append(f"status för {n['status']} {'aktivitet' if n['status'] == 1 else 'aktiviteter'}")
    if n["judgement"]:
        out.append(f"bedömning av {n['judgement']} mål")
    if n["target"]:
        out.append(
            f"målvärden för {n['target']} {'indikator' if n['target'] == 1 else 'indikatorer'} "
            "(läses in av controllern, inte i den här arbetsboken)"
        )
    out += [i.title for i in req if i.kind == "comment"]
    return out


def build(wh: Warehouse, org_id: str, period: str | Period, *, now: dt.datetime | None = None) -> wbk.WorkbookData:
    """Everything the workbook of ``org_id`` for ``period`` shows (see the module docstring)."""
    p = period if isinstance(period, Period) else Period.parse(str(period))
    org = organisation(wh, org_id)
    found = items(wh, p, [org.org_id])[org.org_id]
    sheets = [
        _outcome_sheet(wh, org.org_id, p, found),
        _assessment_sheet(wh, org.org_id, p, found),
        _activity_sheet(wh, org.org_id, p, found),
        _comment_sheet(wh, org.org_id, p, found),
    ]
    created = fmt.local_time(now or dt.datetime.now(dt.UTC))
    return wbk.WorkbookData(
        org_id=org.org_id,
        org_name=org.name,
        kind=org.kind,
        period=str(p),
        period_title=p.title,
        deadline=deadline(wh, p, org.kind),
        controller=org.controller,
        sheets=[s for s in sheets if s.rows],
        required=_required_summary(found),
        created_at=created,
    )


def write_template(
    wh: Warehouse, org_id: str, period: str | Period, out: str | Path | None = None, *, directory: bool = False
) -> Path:
    """Write the workbook of ``org_id`` for ``period``; return its path.

    ``out`` is the file (default ``./inrapportering_ID_P.xlsx``), or with
    ``directory=True`` the directory it goes into under its standard name. The
    file appears whole or not at all.
    """
    data = build(wh, org_id, period)
    name = wbk.file_name(data.org_id, data.period)
    if out is None:
        target = Path.cwd() / name
    elif directory:
        target = Path(out) / name
    else:
        target = Path(out)
        if target.suffix.lower() != ".xlsx":
            raise ConfigError(f"--out {target}: a reporting workbook is written as .xlsx (e.g. {name})")
    try:
        atomic_write_bytes(target, wbk.write(data))
    except OSError as exc:
        raise ConfigError(f"cannot write the workbook {target}: {exc.strerror or exc}") from None
    return target


def template_orgs(wh: Warehouse, *, kind: str | None = None) -> list[str]:
    """The organisations ``--kind K`` (those of the kind) or ``--all`` (those of the reporting kinds) writes for."""
    from ..figures import check_kind

    kinds = [check_kind(kind)] if kind else list(settings.REPORTING_KINDS)
    marks = ", ".join("?" for _ in kinds)
    return sorted(str(r[0]) for r in wh.rows(f"SELECT org_id FROM v_organisation WHERE kind IN ({marks})", kinds))
