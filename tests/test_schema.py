"""Schema version 2: the new tables and views, and ``ils init`` upgrading a version-1 warehouse in place.

A version-1 warehouse is made from the DDL that version 1 printed
(``tests/data/schema_v1_*.sql``, frozen), filled with rows on every backend,
and upgraded with ``ils init``: every row stays as it was, the ledger's
``outcome`` accepts NULL (not booked), and the library accepts the warehouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_load import BASE, load_ok

from ilslib import connect
from ilslib.contract import FILES, ROUND_STATES
from ilslib.errors import SchemaMissingError
from ilslib.schema import SCHEMA_VERSION, init_schema, table_names, view_names

DATA = Path(__file__).parent / "data"

V1_TABLES = [
    "ils_meta",
    "ils_load",
    "ils_load_file",
    "ils_organisation",
    "ils_goal",
    "ils_indicator",
    "ils_target",
    "ils_outcome",
    "ils_activity",
    "ils_activity_status",
    "ils_assessment",
    "ils_comment",
    "ils_ledger",
    "ils_personnel",
]


def _v1_warehouse(url: str) -> None:
    """A database with schema version 1 (its own DDL) and rows in it, written without the v2 library."""
    with connect(url, create=True, check_schema=False) as wh:
        dialect = wh.dialect
        script = (DATA / f"schema_v1_{dialect}.sql").read_text(encoding="utf-8")
        with wh.transaction():
            for stmt in script.split(";\n"):
                if stmt.strip():
                    wh.execute(stmt)
            wh.execute("INSERT INTO ils_meta (name, value) VALUES (?, ?)", ("schema_version", "1"))
            wh.executemany(
                "INSERT INTO ils_organisation (org_id, name, kind, parent_id, controller) VALUES (?, ?, ?, ?, ?)",
                [("0001", "Staden", "kommun", None, None), ("0200", 'Östra <nämnd> & "co"', "namnd", "0001", "Åsa")],
            )
            wh.executemany(
                "INSERT INTO ils_ledger (org_id, month, account, account_name, kind, outcome, budget, forecast) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    ("0200", "2026-01", "3010", "Intäkter", "intakt", 100000.5, 95000.0, 1200000.0),
                    ("0200", "2026-01", "4010", None, "kostnad", -1.25, 0.0, None),
                ],
            )
            wh.execute(
                "INSERT INTO ils_personnel (org_id, month, headcount, fte, scheduled_hours, sick_hours) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                ("0200", "2026-01", 12, 11.5, 1600.0, 80.25),
            )
            wh.execute(
                "INSERT INTO ils_load (load_id, started_at, finished_at, user_name, host_name, source, outcome, "
                "rows_inserted, rows_replaced, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ("20260101T000000000000-abcdef", "2026-01-01T00:00:00Z", None, "anna", "h", "/x", "ok", 5, 0, "v1"),
            )


def _dump(wh) -> dict[str, list[tuple]]:
    return {t: sorted(wh.rows(f"SELECT * FROM {t}"), key=repr) for t in V1_TABLES}


def test_init_upgrades_a_version_1_warehouse_in_place(empty_url, ils):
    _v1_warehouse(empty_url)
    with pytest.raises(SchemaMissingError, match=r"schema version 1, this ilslib needs 2: upgrade it with 'ils init"):
        connect(empty_url)
    with connect(empty_url, check_schema=False) as wh:
        before = _dump(wh)
    code, out, err = ils("init", "--warehouse", empty_url)
    assert code == 0, err
    assert "ILS schema ready" in out and "upgraded from schema version 1" in out
    with connect(empty_url) as wh:  # require_schema accepts it now
        after = _dump(wh)
        meta_before = {r for r in before.pop("ils_meta") if r[0] != "schema_version"}
        meta_after = {r for r in after.pop("ils_meta") if r[0] not in ("schema_version", "load_lock")}
        assert meta_after == meta_before
        assert after == before  # every row as it was
        assert wh.scalar("SELECT value FROM ils_meta WHERE name = ?", ("schema_version",)) == str(SCHEMA_VERSION)
        for name in view_names() + table_names():
            assert wh.has_table(name), name
        # outcome is nullable now: a ledger row not booked yet
        wh.execute(
            "INSERT INTO ils_ledger (org_id, month, account, kind, outcome, budget) VALUES (?, ?, ?, ?, ?, ?)",
            ("0200", "2026-02", "3010", "intakt", None, 5.0),
        )
        assert wh.rows("SELECT outcome, budget FROM v_ledger WHERE month = ?", ("2026-02",)) == [(None, 5.0)]
        # the covering index is there again
        assert wh.rows("SELECT COUNT(*) FROM v_ledger WHERE month >= ?", ("2026-01",)) == [(3,)]
        load_ok(wh, BASE)  # loads work (the load lock is in place)
    code, out, _ = ils("init", "--warehouse", empty_url)  # and again: nothing to upgrade
    assert code == 0 and "upgraded" not in out


def test_the_round_and_event_tables_take_what_the_reporting_round_needs(wh):
    with wh.transaction():
        for i, state in enumerate(ROUND_STATES):
            wh.execute(
                "INSERT INTO ils_round_state (org_id, period, state, changed_at, changed_by) VALUES (?, ?, ?, ?, ?)",
                (f"O{i}", "2026-T2", state, "2026-09-01T10:00:00Z", "anna.a"),
            )
        wh.execute(
            "INSERT INTO ils_event (event_id, at, user_name, action, org_id, period, from_state, to_state, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("e1", "2026-09-01T10:00:00Z", "anna.a", "access_apply_revoke_all", None, None, None, None, "x" * 5000),
        )
    assert [r[0] for r in wh.rows("SELECT state FROM v_round_state ORDER BY org_id")] == list(ROUND_STATES)
    assert wh.rows("SELECT action, org_id, detail FROM v_event") == [("access_apply_revoke_all", None, "x" * 5000)]
    assert [c for c in wh.query("SELECT * FROM v_user WHERE 1 = 0").columns] == list(FILES["users"].column_names)
    assert [c for c in wh.query("SELECT * FROM v_deadline WHERE 1 = 0").columns] == list(
        FILES["deadlines"].column_names
    )


def test_a_newer_schema_is_refused(wh_url):
    with connect(wh_url) as wh:
        wh.execute("UPDATE ils_meta SET value = ? WHERE name = ?", ("3", "schema_version"))
        with pytest.raises(SchemaMissingError, match="made by a newer ilslib"):
            init_schema(wh)
