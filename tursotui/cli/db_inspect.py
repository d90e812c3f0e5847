"""``tursotui db inspect NAME [--queries]``: this month's usage of a database per instance, with each
instance's location and type (decimal sizes); with ``--queries`` its top queries of the last 24 hours (rows
read and written, count and mean latency where the server gives them), as turso-cli's ``db inspect``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from tursotui.cli.context import OK, Context
from tursotui.ops.archived import archived_message
from tursotui.ops.inspect import inspect_database, inspection_json, instance_rows, query_rows
from tursotui.ops.names import check_name
from tursotui.support.humanize import size


def add_arguments(actions: Any, common: argparse.ArgumentParser) -> None:
    inspect = actions.add_parser(
        "inspect",
        parents=[common],
        help="usage per instance with locations; --queries: top queries",
    )
    inspect.add_argument("name", metavar="NAME")
    inspect.add_argument(
        "--queries", action="store_true", help="the top queries of the last 24 hours"
    )


async def inspect_command(ctx: Context) -> int:
    name = check_name(ctx.args.name)
    async with ctx.backend() as backend:
        found = await inspect_database(
            backend.platform, name, queries=ctx.args.queries, now=datetime.now(UTC)
        )
    ctx.emit(inspection_json(found))
    db, total = found.database, found.total
    ctx.out(f"database {db.name} (group {db.group or '-'}), this month")
    if db.archived or db.sleeping:
        ctx.out(f"  {archived_message(db.name, db.group)}")
    ctx.out(
        f"  rows read {total.rows_read:,}  rows written {total.rows_written:,}  "
        f"storage {size(total.storage_bytes)}  synced {size(total.bytes_synced)}"
    )
    ctx.out("")
    ctx.table(
        ["LOCATION", "TYPE", "INSTANCE", "ROWS READ", "ROWS WRITTEN", "STORAGE", "SYNCED"],
        instance_rows(found),
    )
    if found.queries is None:
        return OK
    ctx.out("")
    if not found.queries:
        ctx.out("top queries: none recorded in the last 24 hours")
        return OK
    ctx.out(f"top queries (last 24 hours, from {found.queries_source})")
    ctx.table(["QUERY", "ROWS READ", "ROWS WRITTEN", "COUNT", "MEAN LATENCY"], query_rows(found))
    return OK
