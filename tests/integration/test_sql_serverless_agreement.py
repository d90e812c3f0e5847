"""A second, official client agrees with ours: turso-serverless (Turso's own Python SQL-over-HTTP driver,
which uses ``/v3/cursor`` for every statement) runs the same statements as tursotui against the local Turso on
real sqld, and the results match: values and their types (integer, real, text, blob, null), rows affected and
the last insert rowid; each client reads what the other wrote; a transaction on one stream is one transaction
for both."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import turso_serverless
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.ops.sql.outcome import StatementOutcome
from tursotui.ops.sql.session import SqlSession

pytestmark = pytest.mark.sqld

SCHEMA = "CREATE TABLE {t} (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, n)"
ROWS: list[tuple[Any, ...]] = [
    (2**62, 1.5, "plain", b"\x00\xff\x10", None),
    (-(2**63), -0.25, "ünïcødé ✓ 'quoted'", b"", None),
    (0, 1e308, "", bytes(range(256)), None),
    (None, None, None, None, None),
]
INSERT = "INSERT INTO {t} (i, r, s, b, n) VALUES (?, ?, ?, ?, ?)"
SELECT = "SELECT id, i, r, s, b, n, typeof(i), typeof(r), typeof(s), typeof(b) FROM {t} ORDER BY id"
UPDATE = "UPDATE {t} SET s = s || '!' WHERE i IS NOT NULL"


@pytest.fixture
async def database(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[tuple[str, str]]:
    """(HTTP URL, token) of database ``shop`` on a local Turso."""
    async with started_org(
        tmp_path / "org", sqld_binary, groups={"default": ["sjc"]}, databases=[("shop", "default")]
    ) as turso:
        platform = turso.platform_client(max_retries=0)
        try:
            url = (await platform.get_database("shop")).url
            token = (await platform.create_database_token("shop")).jwt
        finally:
            await platform.aclose()
        yield url, token


def theirs(url: str, token: str, table: str) -> dict[str, Any]:
    """turso-serverless, in autocommit mode (no implicit BEGIN): the same steps as :func:`ours`."""
    conn = turso_serverless.connect(url, auth_token=token, isolation_level=None)
    try:
        conn.execute(SCHEMA.format(t=table))
        inserted = []
        for row in ROWS:
            cur = conn.execute(INSERT.format(t=table), row)
            inserted.append((cur.rowcount, cur.lastrowid))
        updated = conn.execute(UPDATE.format(t=table)).rowcount
        rows = conn.execute(SELECT.format(t=table)).fetchall()
        return {"inserted": inserted, "updated": updated, "rows": [tuple(r) for r in rows]}
    finally:
        conn.close()


async def ours(client: HranaClient, table: str) -> dict[str, Any]:
    await client.execute(SCHEMA.format(t=table))
    inserted = []
    for row in ROWS:
        result = await client.execute(INSERT.format(t=table), list(row))
        inserted.append((result.affected_row_count, result.last_insert_rowid))
    updated = (await client.execute(UPDATE.format(t=table))).affected_row_count
    rows = (await client.execute(SELECT.format(t=table))).rows
    return {"inserted": inserted, "updated": updated, "rows": list(rows)}


def typed(rows: list[tuple[Any, ...]]) -> list[tuple[tuple[str, Any], ...]]:
    """Each value with its Python type, so 1 and 1.0 (or b"" and "") never compare equal."""
    return [tuple((type(v).__name__, v) for v in row) for row in rows]


async def test_both_clients_agree_on_values_types_counts_and_rowids(
    database: tuple[str, str],
) -> None:
    url, token = database
    async with HranaClient(url, token) as client:
        mine = await ours(client, "ours")
        other = await asyncio.to_thread(theirs, url, token, "theirs")
        assert mine["inserted"] == other["inserted"] == [(1, 1), (1, 2), (1, 3), (1, 4)]
        assert mine["updated"] == other["updated"] == 3
        assert typed(mine["rows"]) == typed(other["rows"])
        assert mine["rows"][0][1] == 2**62 and isinstance(mine["rows"][0][4], bytes)
        assert math.isclose(mine["rows"][2][2], 1e308)
        assert mine["rows"][0][6:] == ("integer", "real", "text", "blob")

        # Each reads what the other wrote, and both read it the same way.
        cross = (await client.execute(SELECT.format(t="theirs"))).rows
        assert typed(list(cross)) == typed(other["rows"])
        theirs_reading_ours = await asyncio.to_thread(_select, url, token, "ours")
        assert typed(theirs_reading_ours) == typed(mine["rows"])


def _select(url: str, token: str, table: str) -> list[tuple[Any, ...]]:
    conn = turso_serverless.connect(url, auth_token=token, isolation_level=None)
    try:
        return [tuple(r) for r in conn.execute(SELECT.format(t=table)).fetchall()]
    finally:
        conn.close()


async def test_a_console_run_and_the_official_client_see_one_transaction(
    database: tuple[str, str],
) -> None:
    """Rows written inside a console run's open transaction are invisible to turso-serverless until COMMIT,
    and the console run's outcome counts match the official client's for the same statements."""
    url, token = database
    async with HranaClient(url, token) as client:
        await client.execute(SCHEMA.format(t="shared"))
        async with SqlSession(client) as session:
            for sql in ("BEGIN", "INSERT INTO shared (i, s) VALUES (7, 'in tx')"):
                outcome = StatementOutcome(sql)
                await session.run(outcome)
                assert outcome.error is None
            assert session.in_transaction
            assert await asyncio.to_thread(_select, url, token, "shared") == []
            commit = StatementOutcome("COMMIT")
            await session.run(commit)
            assert commit.error is None and not session.in_transaction
            seen = await asyncio.to_thread(_select, url, token, "shared")
            assert [r[1:4] for r in seen] == [(7, None, "in tx")]

            mine = StatementOutcome("INSERT INTO shared (i) VALUES (8), (9)")
            await session.run(mine)
        other = await asyncio.to_thread(_insert_two, url, token)
        assert (mine.affected, mine.last_insert_rowid) == (2, 3)
        assert other == (2, 5)


def _insert_two(url: str, token: str) -> tuple[int, int | None]:
    conn = turso_serverless.connect(url, auth_token=token, isolation_level=None)
    try:
        cur = conn.execute("INSERT INTO shared (i) VALUES (10), (11)")
        return cur.rowcount, cur.lastrowid
    finally:
        conn.close()
