"""``ils init``: create the warehouse schema."""

from __future__ import annotations

import argparse

from .. import connect
from ..schema import SCHEMA_VERSION, ddl_script, init_schema, stored_version
from ..warehouse import DIALECTS
from . import add_warehouse_option, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init",
        help="create the warehouse schema (tables and views) in a database",
        description="Create the ILS tables and views in an empty database, or add what is missing. "
        "Existing data is kept; views are recreated. A warehouse of an older schema version is "
        "upgraded in place, in one transaction (schema 1 -> 2: the tables for users, deadlines and "
        "the reporting round, and a nullable ledger outcome). See docs/warehouse.md.",
        epilog="examples:\n"
        "  ils init --warehouse sqlite:///lis.sqlite\n"
        "  ILS_WAREHOUSE_PASSWORD=... ils init --warehouse "
        "'odbc:DRIVER={PostgreSQL Unicode};SERVER=db;DATABASE=lis;UID=ils'\n"
        "  ils init --sql --dialect mssql > schema.sql   (print the DDL for a DBA)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--sql", action="store_true", help="print the DDL instead of running it")
    p.add_argument("--dialect", choices=DIALECTS, default="sqlite", help="dialect for --sql (default sqlite)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.sql:
        print(ddl_script(args.dialect), end="")
        return 0
    with connect(args.warehouse, create=True, check_schema=False, tracer=tracer_for(args)) as wh:
        before = stored_version(wh)
        created = init_schema(wh)
        upgraded = f"; upgraded from schema version {before}" if before is not None and before < SCHEMA_VERSION else ""
        print(f"ILS schema ready in {wh.url} ({wh.dialect}); created {len(created)} objects{upgraded}")
    return 0
