"""A console run on one stream, end to end on real sqld through the local Turso (D18, D20): transactions,
PRAGMAs, the guard against a transaction the server already rolled back, a 50,000-row result capped through
``/v3/cursor`` instead of RESPONSE_TOO_LARGE, and a dropped stream reopened with a message, never a hang."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.protocol import CLOSE
from tursotui.ops.sql.outcome import ROW_CAP, StatementOutcome
from tursotui.ops.sql.session import ENDED_IN_TRANSACTION, REOPENED, SqlSession

pytestmark = pytest.mark.sqld


@pytest.fixture
async def client(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[HranaClient]:
    """A Hrana client of database ``shop`` of a local Turso, with table ``t`` (empty)."""
    async with started_org(
        tmp_path / "org", sqld_binary, groups={"default": ["sjc"]}, databases=[("shop", "default")]
    ) as turso:
        platform = turso.platform_client(max_retries=0)
        try:
            url = (await platform.get_database("shop")).url
            token = (await platform.create_database_token("shop")).jwt
        finally:
            await platform.aclose()
        async with HranaClient(url, token) as sql:
            await sql.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
            yield sql


async def run_all(session: SqlSession, *statements: str) -> list[StatementOutcome]:
    """Run ``statements`` in order, stopping at the first error (as the console and db shell do)."""
    outcomes = []
    for sql in statements:
        outcome = StatementOutcome(sql)
        outcomes.append(outcome)
        await session.run(outcome)
        if outcome.error is not None:
            break
    return outcomes


async def count(client: HranaClient) -> int:
    """Rows of ``t`` as another connection sees them (committed only)."""
    return int((await client.execute("SELECT count(*) FROM t")).scalar() or 0)


async def test_a_run_is_one_stream_transaction_and_pragmas_hold(client: HranaClient) -> None:
    async with SqlSession(client) as session:
        done = await run_all(session, "BEGIN", "INSERT INTO t(v) VALUES ('a')")
        assert all(o.error is None for o in done) and session.in_transaction
        assert done[1].affected == 1 and (done[1].rows_written or 0) >= 1  # the row and its index
        seen = StatementOutcome("SELECT count(*) FROM t")
        await session.run(seen)
        assert seen.rows == [(1,)], "the run sees its own uncommitted row"
        assert await count(client) == 0, "another connection does not"
        await run_all(session, "ROLLBACK")
        assert not session.in_transaction and await count(client) == 0

        await run_all(session, "BEGIN", "INSERT INTO t(v) VALUES ('b')", "COMMIT")
        assert await count(client) == 1

        pragma = await run_all(session, "PRAGMA foreign_keys = ON", "PRAGMA foreign_keys")
        assert pragma[1].rows == [(1,)], "a PRAGMA holds for the rest of the run"
        # sqld (so Turso Cloud) refuses temporary tables; the refusal is the server's, shown as is.
        temp = await run_all(session, "CREATE TEMP TABLE scratch(x)")
        assert temp[0].error is not None and "unsupported statement" in temp[0].error
    assert session.notes == []


async def test_a_run_ending_inside_a_transaction_is_rolled_back(client: HranaClient) -> None:
    async with SqlSession(client) as session:
        await run_all(session, "BEGIN", "INSERT INTO t(v) VALUES ('x')")
        assert session.in_transaction and session.transaction_seconds() is not None
    assert session.notes == [ENDED_IN_TRANSACTION]
    assert await count(client) == 0


async def test_statements_never_run_outside_a_transaction_the_server_ended(
    client: HranaClient,
) -> None:
    """D20: a conflict with OR ROLLBACK ends the transaction on the server; a statement the session still
    believes to be inside it is skipped by the server (not autocommitted) and says why."""
    async with SqlSession(client) as session:
        await run_all(session, "INSERT INTO t(v) VALUES ('taken')", "BEGIN")
        failed = await run_all(session, "INSERT OR ROLLBACK INTO t(v) VALUES ('taken')")
        assert failed[0].error is not None and "UNIQUE" in failed[0].error
        assert not session.in_transaction, "the session read the server's rollback"
        session.stream.autocommit = False  # as if the rollback happened after the last answer
        skipped = await run_all(session, "INSERT INTO t(v) VALUES ('late')")
        assert skipped[0].code == "TRANSACTION_CLOSED"
        assert "already rolled the transaction back" in (skipped[0].error or "")
    assert await count(client) == 1, "the late insert did not autocommit"


async def test_a_large_result_is_capped_through_the_cursor(client: HranaClient) -> None:
    await client.execute(
        "INSERT INTO t(v) SELECT printf('%0250d', value) FROM generate_series(1, 50000)"
    )
    with pytest.raises(Exception, match="RESPONSE_TOO_LARGE"):
        await client.execute("SELECT * FROM t")  # one pipeline answer cannot carry it
    async with SqlSession(client) as session:
        outcome = (await run_all(session, "SELECT * FROM t ORDER BY id"))[0]
        assert outcome.error is None and outcome.streamed
        assert len(outcome.rows) == ROW_CAP and outcome.total_rows == 50_000 and outcome.capped
        assert outcome.rows[0][0] == 1 and outcome.rows[-1][0] == ROW_CAP
        assert "the first 10,000 of 50,000 rows" in outcome.summary(1)
        after = (await run_all(session, "SELECT count(*) FROM t"))[0]
        assert after.rows == [(50_000,)], "the stream goes on after a streamed result"


async def test_an_invalidated_stream_is_reopened_with_a_note(client: HranaClient) -> None:
    async with SqlSession(client) as session:
        await run_all(session, "PRAGMA foreign_keys = ON")
        await client._pipeline([CLOSE], baton=session.stream._baton)  # the baton is spent elsewhere
        outcome = (await run_all(session, "INSERT INTO t(v) VALUES ('after')"))[0]
        assert outcome.error is None and outcome.affected == 1
        assert session.notes == [REOPENED]

        await run_all(session, "BEGIN", "INSERT INTO t(v) VALUES ('lost')")
        await client._pipeline([CLOSE], baton=session.stream._baton)
        lost = (await run_all(session, "COMMIT"))[0]
        assert lost.error is not None and "rolled back the open transaction" in lost.error
        assert not session.in_transaction
    assert await count(client) == 1


async def test_a_stream_idle_past_the_server_limit_fails_fast(client: HranaClient) -> None:
    """sqld drops a stream after 10 s (rounded up to the next second) without a request: waited for real
    (bounded, 12 s), the next statement fails at once with the message, and the next run works."""
    async with SqlSession(client) as session:
        await run_all(session, "BEGIN", "INSERT INTO t(v) VALUES ('idle')")
        await asyncio.sleep(12)
        started = time.monotonic()
        expired = (await run_all(session, "COMMIT"))[0]
        assert time.monotonic() - started < 5
        assert expired.error is not None and "expired" in expired.error
        again = (await run_all(session, "INSERT INTO t(v) VALUES ('fresh')"))[0]
        assert again.error is None
    assert await count(client) == 1
