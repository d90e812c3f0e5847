"""Top queries on the local Turso over real sqld: ``GET …/databases/{db}/usage/queries`` (turso-cli's ``db inspect
--queries``; not in the spec) answers a bare array whose items are the spec's ``DatabaseStatsOutput``, from
sqld's own statistics, merged over the primary and the replicas, with each query's count and total time, and
kept across restarts (sqld forgets them) for the window asked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jsonschema
import pytest
from fixtures.contract import SpecValidator

from tursotui.libsql import HranaClient
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import BadRequest, NotFound


def stats_output_schema() -> dict[str, object]:
    """The spec's ``DatabaseStatsOutput`` (what ``/stats`` lists), as a JSON schema."""
    schema = SpecValidator.default().raw["components"]["schemas"]["DatabaseStatsOutput"]
    return {**schema, "required": ["query", "rows_read", "rows_written"]}


async def test_top_queries_come_from_sqlds_statistics(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await platform.create_group("default", "sjc")
    await platform.add_location("default", "iad")
    await platform.create_database("app", "default")
    token = (await platform.create_database_token("app")).jwt
    primary, replica = await platform.list_instances("app")
    async with HranaClient(primary.url, token) as sql:
        await sql.execute("create table t(x)")
        await sql.batch([("insert into t values (?)", [n]) for n in range(20)])
        for _ in range(3):
            await sql.execute("select * from t")
    async with HranaClient(replica.url, token) as sql:
        for _ in range(2):
            await sql.execute("select * from t")  # read on the iad replica

    raw = local_turso.platform_client(max_retries=0)  # the path is turso-cli's, not the spec's
    try:
        since = datetime.now(UTC) - timedelta(hours=24)
        queries = {q.query: q for q in await raw.database_queries("app", from_=since)}
        async with httpx.AsyncClient(
            transport=local_turso.transport(),
            base_url=IN_PROCESS_BASE_URL,
            headers={"Authorization": f"Bearer {local_turso.api_token}"},
        ) as http:
            answer = await http.get(
                f"/v1/organizations/{local_turso.organization}/databases/app/usage/queries",
                params={"from": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
        body = json.loads(answer.text)
        assert isinstance(body, list) and body  # a bare array, as turso-cli reads it
        for item in body:
            jsonschema.validate(item, stats_output_schema())
        with pytest.raises(BadRequest, match="invalid timestamp"):
            await raw.database_queries("app", from_="yesterday")
        with pytest.raises(NotFound):
            await raw.database_queries("nosuch")
    finally:
        await raw.aclose()

    scan = queries["select * from t"]
    assert scan.count == 5  # 3 on the primary + 2 on the replica, merged
    assert scan.rows_read >= 5 * 20 and scan.rows_written == 0
    assert scan.elapsed_ms is not None and scan.mean_ms is not None and scan.mean_ms >= 0
    insert = queries["insert into t values (?)"]
    assert (insert.count, insert.rows_written) == (20, 20)
    assert next(iter(queries)) == "select * from t"  # most rows first
    # The spec's /stats still answers (top_queries from the primary's sqld).
    assert any(
        q.query == "select * from t" for q in (await platform.database_stats("app")).top_queries
    )


async def test_top_queries_are_kept_across_restarts_for_the_window_asked(
    tmp_path: Path, sqld_binary: Path
) -> None:
    """sqld keeps them in memory only: the local Turso keeps each run's in queries.json (0600)."""
    directory = tmp_path / "org"
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary) as turso:
        platform = turso.platform_client(max_retries=0)
        await platform.create_group("default", "sjc")
        created = await platform.create_database("app", "default")
        token = (await platform.create_database_token("app")).jwt
        async with HranaClient(created.url, token) as sql:
            await sql.execute("create table t(x)")
            for _ in range(4):
                await sql.execute("select * from t")
        await platform.aclose()
    assert (directory / "queries.json").stat().st_mode & 0o777 == 0o600
    stopped = datetime.now(UTC)
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary) as turso:
        platform = turso.platform_client(max_retries=0)
        async with HranaClient(created.url, token) as sql:
            await sql.execute("select * from t")
        day = await platform.database_queries("app", from_=stopped - timedelta(hours=24))
        assert {q.query: q.count for q in day}["select * from t"] == 5  # 4 kept + 1 now
        later = await platform.database_queries("app", from_=stopped + timedelta(minutes=5))
        assert {q.query: q.count for q in later}["select * from t"] == 1  # this run's only
        await platform.delete_database("app")
        await platform.aclose()
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary):
        pass
    assert json.loads((directory / "queries.json").read_text()) == {"runs": []}  # its db is gone
