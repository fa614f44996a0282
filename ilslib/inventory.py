"""What is in a warehouse: row counts, organisations per kind, periods and months with data."""

from __future__ import annotations

from typing import Any

from .contract import FILES, LOAD_ORDER
from .warehouse import Warehouse


def summary(wh: Warehouse) -> dict[str, Any]:
    """Counts and ranges that describe the warehouse's content."""
    rows = {name: int(wh.scalar(f"SELECT COUNT(*) FROM {FILES[name].table}") or 0) for name in LOAD_ORDER}
    kinds = dict(wh.rows("SELECT kind, COUNT(*) FROM v_organisation GROUP BY kind ORDER BY kind"))
    periods = [r[0] for r in wh.rows("SELECT DISTINCT period FROM v_outcome ORDER BY period")]
    ledger = wh.rows("SELECT MIN(month), MAX(month) FROM v_ledger")[0]
    personnel = wh.rows("SELECT MIN(month), MAX(month) FROM v_personnel")[0]
    loads = wh.rows("SELECT COUNT(*), MAX(finished_at) FROM v_load WHERE outcome = ?", ("ok",))[0]
    return {
        "warehouse": wh.url,
        "dialect": wh.dialect,
        "rows": rows,
        "organisations_by_kind": {k: int(v) for k, v in kinds.items()},
        "outcome_periods": periods,
        "ledger_months": list(ledger) if ledger[0] else [],
        "personnel_months": list(personnel) if personnel[0] else [],
        "loads": int(loads[0] or 0),
        "last_load": loads[1],
    }


def format_summary(info: dict[str, Any]) -> str:
    """The summary as lines for the terminal."""
    out = [f"Warehouse {info['warehouse']} ({info['dialect']})"]
    kinds = ", ".join(f"{n} {k}" for k, n in info["organisations_by_kind"].items()) or "none"
    out.append(f"  organisations: {kinds}")
    width = max(len(n) for n in info["rows"])
    for name, n in info["rows"].items():
        out.append(f"  {name:<{width}}  {n:>12,d} rows".replace(",", " "))
    if info["outcome_periods"]:
        out.append(f"  periods with outcomes: {', '.join(info['outcome_periods'])}")
    if info["ledger_months"]:
        out.append(f"  ledger months: {info['ledger_months'][0]} to {info['ledger_months'][1]}")
    if info["personnel_months"]:
        out.append(f"  personnel months: {info['personnel_months'][0]} to {info['personnel_months'][1]}")
    out.append(f"  loads recorded: {info['loads']}" + (f", last {info['last_load']}" if info["last_load"] else ""))
    return "\n".join(out)
