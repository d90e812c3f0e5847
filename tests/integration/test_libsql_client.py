"""HranaClient against the real sqld (no auth): values, args, batches, streams, transactions."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tursotui.libsql import (
    HranaClient,
    HranaError,
    Statement,
    StreamExpiredError,
)
from tursotui.libsql.jsonenc import sqld_reads_exactly
from tursotui.libsql.values import INT64_MAX, INT64_MIN
from tursotui.local.engine.sqld import SqldProcess

# One server for the property tests of this module (hypothesis runs many examples per test).


@pytest.fixture(scope="module")
def shared_sqld(
    tmp_path_factory: pytest.TempPathFactory, sqld_binary: Path
) -> Iterator[SqldProcess]:
    proc = SqldProcess(tmp_path_factory.mktemp("sqld-shared") / "data.sqld", binary=sqld_binary)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


values = st.one_of(
    st.none(),
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.binary(),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(values, min_size=1, max_size=8))
async def test_values_round_trip_through_a_table(
    shared_sqld: SqldProcess, batch: list[object]
) -> None:
    async with HranaClient(shared_sqld.http_url) as client:
        await client.execute("CREATE TABLE IF NOT EXISTS vals (id INTEGER PRIMARY KEY, v)")
        await client.execute("DELETE FROM vals")
        await client.batch(
            [("INSERT INTO vals (id, v) VALUES (?, ?)", [i, v]) for i, v in enumerate(batch)]
        )
        result = await client.execute("SELECT v, typeof(v) FROM vals ORDER BY id")
        back = [row[0] for row in result.rows]
        assert [type(v) for v in back] == [type(v) for v in batch]
        for sent, got in zip(batch, back, strict=True):
            assert_same_value(sent, got)
        kinds = {type(None): "null", int: "integer", float: "real", str: "text", bytes: "blob"}
        assert [row[1] for row in result.rows] == [kinds[type(v)] for v in batch]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=values)
async def test_values_round_trip_as_named_parameter(
    shared_sqld: SqldProcess, value: object
) -> None:
    async with HranaClient(shared_sqld.http_url) as client:
        result = await client.execute("SELECT @v", {"v": value})
    assert len(result.rows) == 1
    assert_same_value(value, result.rows[0][0])


def assert_same_value(sent: object, got: object) -> None:
    """Exact, except the rare floats sqld 0.24.32 cannot parse exactly from JSON (≤ 1 ULP)."""
    if isinstance(sent, float) and isinstance(got, float) and not sqld_reads_exactly(sent):
        assert abs(got - sent) <= math.ulp(sent)
    else:
        assert got == sent
        assert type(got) is type(sent)


async def test_float_spelling_matches_what_sqld_parses(sqld: SqldProcess) -> None:
    """The model of sqld's float parser predicts the server's answer for every value."""
    rnd = random.Random(7)
    samples = [rnd.uniform(-1e6, 1e6) for _ in range(1500)]
    samples += [rnd.uniform(-1, 1) * 10 ** rnd.uniform(-300, 300) for _ in range(1500)]
    samples += [0.1, 1 / 3, 5e-324, -0.0, 1.7976931348623157e308, 2.661755747055721e84]
    exact = 0
    async with HranaClient(sqld.http_url) as client:
        for start in range(0, len(samples), 250):
            chunk = samples[start : start + 250]
            placeholders = ", ".join("?" for _ in chunk)
            row = (await client.execute(f"SELECT {placeholders}", chunk)).rows[0]
            for sent, got in zip(chunk, row, strict=True):
                assert_same_value(sent, got)
                exact += got == sent
    assert exact >= len(samples) * 0.99  # repr() alone: ~11 % of these arrive 1-2 ULP off


async def test_edge_values(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        result = await client.execute(
            "SELECT ?, ?, ?, ?, ?, ?, ?",
            [INT64_MAX, INT64_MIN, -1e308, "a\x00b", b"", True, False],
        )
        assert result.rows == ((INT64_MAX, INT64_MIN, -1e308, "a\x00b", b"", 1, 0),)
        text = await client.execute("SELECT length(?), hex(?)", ["a\x00b", "é"])
        assert text.rows == ((1, "C3A9"),)  # SQLite's length() stops at NUL; the text survives
        inf = await client.execute("SELECT 1e999, -1e999")
        assert all(math.isnan(v) for v in inf.rows[0] if isinstance(v, float))  # sign lost by sqld


async def test_result_metadata(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
        inserted = await client.execute("INSERT INTO t (name, score) VALUES ('a', 1.5), ('b', 2)")
        assert inserted.affected_row_count == 2
        assert inserted.last_insert_rowid == 2
        assert inserted.rows_written == 2
        assert inserted.columns == ()
        selected = await client.execute("SELECT id, name, score, score * 2 AS double FROM t")
        assert selected.columns == ("id", "name", "score", "double")
        assert selected.decltypes == ("INTEGER", "TEXT", "REAL", None)
        assert selected.rows == ((1, "a", 1.5, 3.0), (2, "b", 2.0, 4.0))
        assert selected.rows_read == 2
        assert selected.rows_written == 0
        assert selected.last_insert_rowid is None
        assert isinstance(selected.query_duration_ms, float)
        assert isinstance(selected.replication_index, int)
        assert selected.as_dicts()[0] == {"id": 1, "name": "a", "score": 1.5, "double": 3.0}
        assert len(selected) == 2
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 2


async def test_positional_and_named_args(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        assert (await client.execute("SELECT ?, ?", (1, "x"))).rows == ((1, "x"),)
        assert (await client.execute("SELECT ?2, ?1", [1, 2])).rows == ((2, 1),)
        # Names with or without their prefix, for each of SQLite's three prefixes.
        named = await client.execute(
            "SELECT :a, @b, $c, :d", {"a": 1, "@b": 2, "c": 3, ":d": "four"}
        )
        assert named.rows == ((1, 2, 3, "four"),)
        # One name bound where it appears under two prefixes.
        assert (await client.execute("SELECT :x, @x", {"x": 7})).rows == ((7, 7),)
        # A parameter name inside a string literal is not a parameter.
        assert (await client.execute("SELECT ':y', :y", {"y": 1})).rows == ((":y", 1),)
        with pytest.raises(HranaError) as missing:
            await client.execute("SELECT ?, ?", [1])
        assert missing.value.code == "ARGS_INVALID"
        with pytest.raises(TypeError, match="sequence or a mapping"):
            await client.execute("SELECT ?", "x")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="datetime"):
            import datetime

            await client.execute("SELECT ?", [datetime.datetime.now()])


async def test_sql_errors_carry_message_and_code(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        with pytest.raises(HranaError) as no_table:
            await client.execute("SELECT * FROM missing_table")
        assert no_table.value.code == "SQLITE_UNKNOWN"
        assert "no such table: missing_table" in no_table.value.message
        assert "[SQLITE_UNKNOWN]" in str(no_table.value)
        with pytest.raises(HranaError) as parse:
            await client.execute("SELEC 1")
        assert parse.value.code == "SQL_PARSE_ERROR"
        with pytest.raises(HranaError) as many:
            await client.execute("SELECT 1; SELECT 2")
        assert many.value.code == "SQL_MANY_STATEMENTS"
        # The client is still fine after errors.
        assert (await client.execute("SELECT 1")).scalar() == 1


async def test_batch_results_and_conditions(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        await client.execute("CREATE TABLE t (a INTEGER)")
        results = await client.batch(
            [
                "INSERT INTO t VALUES (1)",
                ("INSERT INTO t VALUES (?)", [2]),
                Statement("INSERT INTO t VALUES (:a)", {"a": 3}),
                "SELECT a FROM t ORDER BY a",
            ]
        )
        assert [r.affected_row_count for r in results[:3]] == [1, 1, 1]
        assert results[3].rows == ((1,), (2,), (3,))
        assert all(r.replication_index is not None for r in results)

        # A failing middle step: the rest is skipped and everything is rolled back.
        with pytest.raises(HranaError) as failed:
            await client.batch(
                [
                    "INSERT INTO t VALUES (10)",
                    "INSERT INTO no_such_table VALUES (1)",
                    "INSERT INTO t VALUES (11)",
                ]
            )
        assert failed.value.step == 1
        assert failed.value.code == "SQLITE_UNKNOWN"
        assert str(failed.value).startswith("statement 2:")
        count = await client.execute("SELECT count(*) FROM t")
        assert count.scalar() == 3

        # Not transactional: the steps before the failure stay, the ones after never run.
        with pytest.raises(HranaError) as failed_plain:
            await client.batch(
                [
                    "INSERT INTO t VALUES (20)",
                    "INSERT INTO no_such_table VALUES (1)",
                    "INSERT INTO t VALUES (21)",
                ],
                transactional=False,
            )
        assert failed_plain.value.step == 1
        rows = await client.execute("SELECT a FROM t WHERE a >= 20")
        assert rows.rows == ((20,),)
        assert await client.batch([]) == []
        with pytest.raises(TypeError):
            await client.batch("SELECT 1")


async def test_executescript_and_describe(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        await client.executescript("CREATE TABLE s (x INTEGER); INSERT INTO s VALUES (1), (2);")
        assert (await client.execute("SELECT sum(x) FROM s")).scalar() == 3
        desc = await client.describe("SELECT x FROM s WHERE x = :x")
        assert desc.params == (":x",)
        assert desc.columns == ("x",)
        assert desc.decltypes == ("INTEGER",)
        assert desc.is_readonly
        with pytest.raises(HranaError):
            await client.executescript("CREATE TABLE s (x); ")


async def test_transaction_isolation_and_commit(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client, HranaClient(sqld.http_url) as other:
        await client.execute("CREATE TABLE t (a INTEGER)")
        async with client.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1)")
            await tx.execute("INSERT INTO t VALUES (?)", [2])
            # Inside the transaction its own rows are visible...
            assert (await tx.execute("SELECT count(*) FROM t")).scalar() == 2
            # ...but not to another client (another stream) until COMMIT.
            assert (await other.execute("SELECT count(*) FROM t")).scalar() == 0
        assert tx.finished
        assert (await other.execute("SELECT count(*) FROM t")).scalar() == 2


async def test_transaction_rolls_back_on_exception(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        await client.execute("CREATE TABLE t (a INTEGER)")
        with pytest.raises(RuntimeError, match="boom"):
            async with client.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (1)")
                raise RuntimeError("boom")
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 0

        # A SQL error inside the block rolls back the earlier statements too.
        with pytest.raises(HranaError):
            async with client.transaction("immediate") as tx:
                await tx.execute("INSERT INTO t VALUES (1)")
                await tx.execute("INSERT INTO nope VALUES (1)")
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 0

        # Explicit rollback, then the transaction refuses more work.
        async with client.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1)")
            await tx.rollback()
            with pytest.raises(HranaError, match="already committed or rolled back"):
                await tx.execute("SELECT 1")
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 0

        # A batch inside a transaction, explicit commit.
        async with client.transaction() as tx:
            results = await tx.batch(["INSERT INTO t VALUES (5)", "SELECT count(*) FROM t"])
            assert results[1].scalar() == 1
            await tx.commit()
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 1
        # An empty transaction sends nothing.
        async with client.transaction():
            pass
        with pytest.raises(ValueError, match="transaction mode"):
            client.transaction("sometimes")  # type: ignore[arg-type]


async def test_streams_and_transactions_are_always_closed(sqld: SqldProcess) -> None:
    """sqld stalls after ~128 unclosed streams (429 DbCreateTimeout): 400 of them must pass."""
    async with HranaClient(sqld.http_url, timeout=5.0) as client:
        await client.execute("CREATE TABLE t (a INTEGER)")
        for i in range(200):
            assert (await client.execute("SELECT ?", [i])).scalar() == i
        for i in range(100):
            async with client.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (?)", [i])
        for _ in range(100):
            with pytest.raises(KeyError):
                async with client.transaction() as tx:
                    await tx.execute("INSERT INTO t VALUES (-1)")
                    raise KeyError("rollback")
        for _ in range(50):
            async with client.stream() as stream:
                await stream.execute("SELECT 1")
        for _ in range(50):
            with pytest.raises(HranaError):
                await client.batch(["SELECT 1", "SELECT * FROM nope"])
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 100


async def test_concurrent_one_shot_requests_share_one_client(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        results = await asyncio.gather(*(client.execute("SELECT ?", [i]) for i in range(50)))
        assert [r.scalar() for r in results] == list(range(50))


async def test_stream_keeps_state_and_reports_autocommit(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        await client.execute("CREATE TABLE t (a INTEGER)")
        async with client.stream() as stream:
            assert await stream.is_autocommit()
            await stream.execute("BEGIN")
            await stream.execute("INSERT INTO t VALUES (1)")
            assert not await stream.is_autocommit()
            assert (await client.execute("SELECT count(*) FROM t")).scalar() == 0
            results = await stream.batch(["INSERT INTO t VALUES (2)", "COMMIT"])
            assert len(results) == 2
        assert stream.closed
        with pytest.raises(HranaError, match="closed"):
            await stream.execute("SELECT 1")
        assert (await client.execute("SELECT count(*) FROM t")).scalar() == 2


async def test_reused_baton_is_a_stream_expired_error(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        stream = client.stream()
        await stream.execute("SELECT 1")
        stale = stream._baton
        await stream.execute("SELECT 2")
        stream._baton = stale  # as if an answer had been lost
        with pytest.raises(StreamExpiredError) as expired:
            await stream.execute("SELECT 3")
        assert expired.value.status == 400
        assert "10 s" in str(expired.value)
        assert stream.closed  # a broken stream is not reused


async def test_dump_streams_sql_text(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        await client.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
        await client.batch(
            [("INSERT INTO people (name) VALUES (?)", [f"p{i}"]) for i in range(500)]
        )
        chunks = [chunk async for chunk in client.dump()]
        text = b"".join(chunks).decode()
        assert "CREATE TABLE IF NOT EXISTS people" in text
        assert "INSERT INTO people VALUES(500,'p499');" in text
        assert text.rstrip().endswith("COMMIT;")


async def test_health_and_version(sqld: SqldProcess) -> None:
    async with HranaClient(sqld.http_url) as client:
        assert await client.health()
        assert (await client.version()).startswith("sqld 0.24.32")
        await client.execute("SELECT 1")
        assert client.pipeline_version == 3


async def test_injected_http_client_is_shared_and_not_closed(sqld: SqldProcess) -> None:
    async with httpx.AsyncClient() as http:
        async with HranaClient(sqld.http_url, http=http) as one:
            assert (await one.execute("SELECT 1")).scalar() == 1
        async with HranaClient(sqld.http_url, http=http) as two:
            assert (await two.execute("SELECT 2")).scalar() == 2
        assert not http.is_closed
    own = HranaClient(sqld.http_url)
    await own.aclose()
    assert own._http.is_closed
