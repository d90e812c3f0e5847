"""End-to-end: every served Platform API endpoint, through tursotui.platform, validated against
Turso's official spec, on the local Turso running real sqld processes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import jwt as pyjwt
import pytest
from fixtures.contract import ValidatingTransport
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import AuthError, LibsqlError, PermissionDeniedError
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


async def _db(platform: PlatformClient, name: str = "xswarm-users") -> tuple[str, str]:
    groups = {g.name for g in await platform.list_groups()}
    if "default" not in groups:
        await platform.create_group("default", "sjc")
    created = await platform.create_database(name, "default")
    token = (await platform.create_database_token(name)).jwt
    return created.url, token


async def test_organization_locations_plans_subscription(
    platform: PlatformClient, validating_transport: ValidatingTransport
) -> None:
    orgs = await platform.list_organizations()
    assert [o.slug for o in orgs] == ["local"]
    assert (await platform.get_organization()).plan_id == "starter"
    locations = await platform.list_locations()
    assert {"sjc", "iad", "fra", "lhr", "nrt", "syd"} <= set(locations)
    assert all("local" in text for text in locations.values())
    plans = {p.name: p for p in await platform.list_plans()}
    assert plans["starter"].quotas.rows_read == 500_000_000
    assert plans["starter"].quotas.databases == 100
    assert plans["scaler"].quotas.databases is None
    assert (await platform.get_subscription()).plan == "starter"
    assert (await platform.validate_token()).exp in (-1, None)
    assert len(validating_transport.exchanges) == 6


async def test_requests_without_the_api_token_are_refused(local_turso: LocalTurso) -> None:
    async with httpx.AsyncClient(
        transport=local_turso.transport(), base_url=IN_PROCESS_BASE_URL
    ) as http:
        response = await http.get("/v1/organizations/local/databases")
        assert response.status_code == 401
        assert "missing API token" in response.json()["error"]
    wrong = PlatformClient(
        "not-the-token",
        organization="local",
        base_url=IN_PROCESS_BASE_URL,
        transport=local_turso.transport(),
        max_retries=0,
    )
    with pytest.raises(Unauthorized):
        await wrong.list_databases()
    await wrong.aclose()


async def test_groups_lifecycle_and_errors(platform: PlatformClient) -> None:
    group = await platform.create_group("default", "sjc")
    assert group.primary == "sjc" and group.locations == ("sjc",)
    with pytest.raises(Conflict):
        await platform.create_group("default", "sjc")
    with pytest.raises(BadRequest, match="invalid location"):
        await platform.create_group("eu", "mars")
    with pytest.raises(BadRequest, match="invalid group name"):
        await platform.create_group("Bad_Name", "sjc")
    await platform.create_database("in-group", "default")
    with pytest.raises(Conflict, match="still has databases"):
        await platform.delete_group("default")
    await platform.create_group("spare", "fra")
    assert {g.name for g in await platform.list_groups()} == {"default", "spare"}
    assert (await platform.get_group("spare")).primary == "fra"
    await platform.delete_group("spare")
    with pytest.raises(NotFound):
        await platform.get_group("spare")


async def test_databases_crud_configuration_and_name_rules(platform: PlatformClient) -> None:
    url, token = await _db(platform)
    listed = await platform.list_databases()
    assert [d.name for d in listed] == ["xswarm-users"]
    db = await platform.get_database("xswarm-users")
    assert db.group == "default" and db.primary_region == "sjc"
    assert db.url == url and url.startswith("http://127.0.0.1:")
    with pytest.raises(Conflict):
        await platform.create_database("xswarm-users", "default")
    with pytest.raises(BadRequest, match="invalid database name"):
        await platform.create_database("Has Spaces", "default")
    with pytest.raises(NotFound, match="group"):
        await platform.create_database("other", "nogroup")

    config = await platform.update_database_configuration("xswarm-users", block_writes=True)
    assert config.block_writes is True
    async with HranaClient(url, token) as sql:
        with pytest.raises(LibsqlError) as blocked:
            await sql.execute("create table t(x)")
        assert "BLOCKED" in str(blocked.value) or getattr(blocked.value, "code", "") == "BLOCKED"
    await platform.update_database_configuration(
        "xswarm-users", block_writes=False, delete_protection=True
    )
    assert (await platform.get_database_configuration("xswarm-users")).delete_protection is True
    with pytest.raises(Forbidden, match="is delete-protected and cannot be deleted"):
        await platform.delete_database("xswarm-users")
    await platform.update_database_configuration("xswarm-users", delete_protection=False)
    async with HranaClient(url, token) as sql:
        await sql.execute("create table t(x)")
    assert await platform.delete_database("xswarm-users") == "xswarm-users"
    with pytest.raises(NotFound):
        await platform.get_database("xswarm-users")


async def test_tokens_are_real_jwts_that_sqld_enforces(platform: PlatformClient) -> None:
    url, full = await _db(platform)
    read_only = (
        await platform.create_database_token("xswarm-users", authorization="read-only")
    ).jwt
    claims = pyjwt.decode(read_only, options={"verify_signature": False})
    db_id = (await platform.get_database("xswarm-users")).db_id
    assert claims["a"] == "ro" and claims["id"] == db_id
    assert claims["p"] == {"ro": {"ns": ["xswarm-users"]}}
    async with HranaClient(url, full) as sql:
        await sql.execute("create table users(id text primary key)")
    async with HranaClient(url, read_only) as sql:
        assert (await sql.execute("select count(*) from users")).rows == ((0,),)
        with pytest.raises(PermissionDeniedError):
            await sql.execute("insert into users values ('x')")
    async with HranaClient(url) as anonymous:
        with pytest.raises(AuthError):
            await anonymous.execute("select 1")

    expiring = (await platform.create_database_token("xswarm-users", expiration="2w1d30m")).jwt
    exp = pyjwt.decode(expiring, options={"verify_signature": False})["exp"]
    assert abs(exp - (time.time() + 15 * 86_400 + 1800)) < 60
    with pytest.raises(BadRequest, match="invalid expiration"):
        await platform.create_database_token("xswarm-users", expiration="soon")

    group_token = (await platform.create_group_token("default")).jwt
    async with HranaClient(url, group_token) as sql:
        assert (await sql.execute("select 1")).rows == ((1,),)

    await platform.rotate_database_tokens("xswarm-users")
    for old in (full, read_only, group_token):
        async with HranaClient(url, old) as sql:
            with pytest.raises(AuthError):
                await sql.execute("select 1")
    fresh = (await platform.create_database_token("xswarm-users")).jwt
    async with HranaClient(url, fresh) as sql:
        assert (await sql.execute("select count(*) from users")).rows == ((0,),)
    await platform.rotate_group_tokens("default")
    async with HranaClient(url, fresh) as sql:
        with pytest.raises(AuthError):
            await sql.execute("select 1")


async def test_expired_token_is_refused_by_sqld(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    url, _ = await _db(platform)
    expired = local_turso.cp.keys.get("default").mint(
        expires_in=60, now=time.time() - 3600, extra={"id": "xswarm-users"}
    )
    async with HranaClient(url, expired) as sql:
        with pytest.raises(AuthError, match="expired"):
            await sql.execute("select 1")


async def test_a_token_of_one_database_cannot_open_another(platform: PlatformClient) -> None:
    _, token_a = await _db(platform, "alpha")
    url_b, _ = await _db(platform, "beta")
    async with HranaClient(url_b, token_a) as sql:
        with pytest.raises(LibsqlError):
            await sql.execute("select 1")


async def test_replica_locations_instances_and_replication(platform: PlatformClient) -> None:
    url, token = await _db(platform)
    async with HranaClient(url, token) as sql:
        await sql.execute("create table users(id text primary key, email text)")
        await sql.execute("insert into users values ('test-123', 'test@example.com')")
    group = await platform.add_location("default", "iad")
    assert group.locations == ("sjc", "iad")
    instances = await platform.list_instances("xswarm-users")
    assert [(i.type, i.region) for i in instances] == [("primary", "sjc"), ("replica", "iad")]
    replica = instances[1]
    assert replica.hostname != instances[0].hostname
    assert (await platform.get_instance("xswarm-users", "iad")).type == "replica"
    rows: tuple[tuple[object, ...], ...] = ()
    async with HranaClient(replica.url, token) as sql:
        for _ in range(50):
            try:
                rows = (await sql.execute("select email from users")).rows
            except LibsqlError:
                rows = ()
            if rows:
                break
            await asyncio.sleep(0.1)
    assert rows == (("test@example.com",),)
    with pytest.raises(BadRequest, match="primary"):
        await platform.remove_location("default", "sjc")
    group = await platform.remove_location("default", "iad")
    assert group.locations == ("sjc",)
    assert [i.type for i in await platform.list_instances("xswarm-users")] == ["primary"]


async def test_usage_and_stats_come_from_sqld(platform: PlatformClient) -> None:
    url, token = await _db(platform)
    async with HranaClient(url, token) as sql:
        await sql.execute("create table t(x)")
        await sql.batch([("insert into t values (?)", [i]) for i in range(10)])
        await sql.execute("select * from t")
    usage = await platform.database_usage("xswarm-users")
    assert usage.total.rows_written >= 10
    assert usage.total.rows_read >= 10
    assert usage.total.storage_bytes > 0
    stats = await platform.database_stats("xswarm-users")
    assert any("select * from t" in q.query for q in stats.top_queries)
    org = await platform.organization_usage()
    assert org.usage.databases == 1 and org.usage.rows_written >= 10


async def test_dump_on_the_database_url(platform: PlatformClient) -> None:
    url, token = await _db(platform)
    async with HranaClient(url, token) as sql:
        await sql.execute("create table users(id text primary key, email text)")
        await sql.execute("insert into users values ('admin-456', 'admin@xswarm.dev')")
        dump = b"".join([chunk async for chunk in sql.dump()]).decode()
    assert "CREATE TABLE IF NOT EXISTS users" in dump
    assert "admin@xswarm.dev" in dump


async def test_state_survives_a_restart(tmp_path, sqld_binary) -> None:  # type: ignore[no-untyped-def]
    first = LocalTurso(tmp_path / "org", recovery_interval=0, binary=sqld_binary)
    await first.start()
    client = first.platform_client(max_retries=0)
    await client.create_group("default", "sjc")
    created = await client.create_database("keep-me", "default")
    token = (await client.create_database_token("keep-me")).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.execute("create table t(x)")
        await sql.execute("insert into t values (42)")
    api_token = first.api_token
    await client.aclose()
    await first.close()

    second = LocalTurso(tmp_path / "org", recovery_interval=0, binary=sqld_binary)
    await second.start()
    try:
        assert second.api_token == api_token
        client = second.platform_client(max_retries=0)
        db = await client.get_database("keep-me")
        assert db.url == created.url
        async with HranaClient(db.url, token) as sql:
            assert (await sql.execute("select x from t")).rows == ((42,),)
        await client.aclose()
    finally:
        await second.close()


async def test_local_replication_endpoint_reports_lag(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    url, token = await _db(platform)
    await platform.add_location("default", "nrt")
    async with HranaClient(url, token) as sql:
        await sql.execute("create table t(x)")
        await sql.execute("insert into t values (1)")
    async with httpx.AsyncClient(
        transport=local_turso.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    ) as http:
        body: dict[str, object] = {}
        for _ in range(50):
            response = await http.get(
                "/v1/organizations/local/databases/xswarm-users/local-replication"
            )
            body = response.json()
            replica = body["instances"][1]  # type: ignore[index]
            if replica["lag"] == 0:
                break
            await asyncio.sleep(0.1)
    primary, replica = body["instances"]  # type: ignore[misc]
    assert primary["type"] == "primary" and primary["replication_index"] > 0
    assert replica["name"] == "nrt" and replica["lag"] == 0


async def test_storage_is_the_database_size_counted_once_not_per_replica(
    tmp_path: Path, sqld_binary: Path
) -> None:
    """Walkthrough: a 30.8 MB import showed 216 MB (data + WAL, once per instance). Now: pages in use, once."""
    async with started_org(
        tmp_path / "org", sqld_binary, groups={"g": ["sjc", "iad", "fra"]}, databases=[("big", "g")]
    ) as turso:
        client = turso.platform_client(max_retries=0)
        try:
            token = (await client.create_database_token("big", expiration="1h")).jwt
            url = (await client.get_database("big")).url
            async with HranaClient(url, token) as sql:
                await sql.execute("create table t(x blob)")
                for _ in range(4):  # the same pages rewritten: the WAL grows, the database does not
                    await sql.execute("delete from t")
                    await sql.batch([("insert into t values (randomblob(4000))", [])] * 150)
                size = await sql.execute(
                    "select page_count * page_size from pragma_page_count(), pragma_page_size()"
                )
            logical = int(size.rows[0][0])  # type: ignore[arg-type]
            usage = await client.database_usage("big")
            kinds = {i.uuid: i.type for i in await client.list_instances("big")}
            primary = next(i.usage for i in usage.instances if kinds.get(i.uuid) == "primary")
            assert len(usage.instances) == 3
            assert usage.total.storage_bytes == primary.storage_bytes == logical
            org = await client.organization_usage()
            assert org.usage.storage_bytes == logical
        finally:
            await client.aclose()
