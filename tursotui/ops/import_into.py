"""Import into an EXISTING database: the whole load in ONE interactive transaction (``BEGIN IMMEDIATE``; created
tables, rows in batches, their indexes/views/triggers; row counts checked before ``COMMIT``), so a cancelled or
failed import leaves the target unchanged (:mod:`tursotui.ops.importer` explains why, and plans it)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from tursotui.libsql import HranaClient, quote_identifier
from tursotui.libsql.errors import LibsqlError, TransactionTimeoutError
from tursotui.ops._threads import uninterrupted
from tursotui.ops.backup import compare_counts
from tursotui.ops.errors import OpsError, VerificationError
from tursotui.ops.import_source import ImportSource, connect_read_only
from tursotui.ops.importer import (
    BATCH_BYTES,
    BATCH_ROWS,
    ImportPlan,
    ImportResult,
    ProgressCallback,
    notify,
    require_no_conflicts,
)


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    cols = ", ".join(quote_identifier(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {quote_identifier(table)} ({cols}) VALUES ({marks})"  # noqa: S608


def _size(row: tuple[Any, ...]) -> int:
    return sum(len(v) if isinstance(v, str | bytes) else 8 for v in row)


def _count(table: str) -> str:
    return f"SELECT count(*) FROM {quote_identifier(table)}"  # noqa: S608 (quoted name)


async def import_into(
    client: HranaClient,
    plan: ImportPlan,
    *,
    progress: ProgressCallback | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ImportResult:
    """Load the source into the existing database in one transaction (see the module docs)."""
    require_no_conflicts(plan)
    started = time.monotonic()
    source = plan.source
    creating = {t.name for t in plan.tables if t.action == "create"}
    appending = [t.name for t in plan.tables if t.action == "append"]
    skipped = plan.schema.names if plan.schema is not None else set()
    later = [
        o.sql
        for o in source.objects
        if (o.table in creating or o.type == "view") and o.name not in skipped
    ]
    total = plan.total_rows
    conn = await uninterrupted(asyncio.to_thread(connect_read_only, source.database))
    done = 0
    try:
        async with client.transaction("immediate") as tx:
            first = ["PRAGMA defer_foreign_keys = ON", *map(_count, appending)]
            first += [source.table(name).sql for name in sorted(creating, key=_order(source))]
            results = await uninterrupted(tx.batch(first))
            before = {n: int(r.scalar() or 0) for n, r in zip(appending, results[1:], strict=False)}
            for table in source.tables:
                insert = _insert_sql(table.name, table.columns)
                cols = ", ".join(quote_identifier(c) for c in table.columns)
                cursor = conn.execute(f"SELECT {cols} FROM {quote_identifier(table.name)}")  # noqa: S608
                while True:
                    rows = await uninterrupted(asyncio.to_thread(cursor.fetchmany, batch_rows))
                    if not rows:
                        break
                    batch: list[tuple[str, list[Any]]] = []
                    size = 0
                    for row in rows:
                        batch.append((insert, list(row)))
                        size += _size(row)
                        if size >= BATCH_BYTES:
                            await uninterrupted(tx.batch(batch))
                            done += len(batch)
                            batch, size = [], 0
                    if batch:
                        await uninterrupted(tx.batch(batch))
                        done += len(batch)
                    notify(progress, "loading", done, total)
            if later:
                await uninterrupted(tx.batch(later))
            notify(progress, "checking", done, total)
            names = [t.name for t in source.tables]
            after = await uninterrupted(tx.batch([_count(n) for n in names]))
            got = {
                n: int(r.scalar() or 0) - before.get(n, 0)
                for n, r in zip(names, after, strict=True)
            }
            expected = {t.name: t.rows for t in source.tables}
            differences = compare_counts(expected, got)
            if differences:
                raise VerificationError(
                    f"rolled back: the loaded rows do not match the source ({'; '.join(differences[:3])})"
                )
    except TransactionTimeoutError as exc:
        raise OpsError(
            f"nothing was imported: {exc} — another client wrote to {plan.target} during the "
            "import; retry when it is quiet, or import into a new database"
        ) from None
    except LibsqlError as exc:
        raise OpsError(f"nothing was imported (rolled back): {exc}") from None
    except sqlite3.Error as exc:
        raise OpsError(f"reading {source.path} failed: {exc}; nothing was imported") from None
    finally:
        conn.close()
    return ImportResult(plan.target, "into", "transaction", expected, time.monotonic() - started)


def _order(source: ImportSource) -> Callable[[str], int]:
    positions = {t.name: i for i, t in enumerate(source.tables)}
    return lambda name: positions.get(name, 0)
