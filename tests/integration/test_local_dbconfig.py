"""A database's configuration honoured by the local Turso on real sqld, through the Platform API (every exchange
checked against Turso's spec): delete protection refuses DELETE with the cloud's 403 and text, a size limit
refuses writes past it on the database URL with sqld's SQLITE_FULL, block_reads/block_writes give Hrana's
BLOCKED, allowed IPs are checked, kept and shown (not enforced on 127.0.0.1); restore seeds name their
source under ``seed.name`` or ``seed.value``."""

from __future__ import annotations

import httpx
import pytest
from fixtures.contract import SpecValidator

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import BlockedError, HranaError
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import BadRequest, Forbidden, NotFound


async def _app(platform: PlatformClient) -> tuple[str, str]:
    await platform.create_group("default", "sjc")
    created = await platform.create_database("app", "default")
    token = (await platform.create_database_token("app")).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.execute("create table t(x)")
    return created.url, token


async def test_delete_protection_refuses_delete_as_the_cloud_does(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await _app(platform)
    config = await platform.update_database_configuration("app", delete_protection=True)
    assert config.delete_protection is True
    assert (await platform.get_database("app")).delete_protection is True
    with pytest.raises(Forbidden) as refused:
        await platform.delete_database("app")
    # turso-cli PR #958 quotes the cloud: "database test-db-2 is delete-protected and cannot be deleted".
    assert refused.value.status == 403
    assert "database app is delete-protected and cannot be deleted" in str(refused.value)
    assert (await platform.get_database("app")).name == "app"  # nothing was deleted
    await platform.update_database_configuration("app", delete_protection=False)
    assert await platform.delete_database("app") == "app"
    with pytest.raises(NotFound):
        await platform.get_database("app")


async def test_a_size_limit_refuses_writes_past_it_with_sqlds_error(
    platform: PlatformClient,
) -> None:
    url, token = await _app(platform)
    config = await platform.update_database_configuration("app", size_limit="100kb")
    assert config.size_limit == "100kb"
    async with HranaClient(url, token) as sql:
        with pytest.raises(HranaError) as full:
            for _ in range(100):
                await sql.execute("insert into t values (?)", [b"x" * 5000])
        assert full.value.code == "SQLITE_FULL"
        assert "database or disk is full" in str(full.value)
        kept = (await sql.execute("select count(*) from t")).rows[0][0]
        assert isinstance(kept, int) and 0 < kept < 100  # what fitted stays; reads still work
    await platform.update_database_configuration("app", size_limit="0")  # no limit again
    assert (await platform.get_database_configuration("app")).size_limit == "0"
    async with HranaClient(url, token) as sql:
        await sql.batch([("insert into t values (?)", [b"x" * 5000]) for _ in range(40)])


async def test_block_reads_and_writes_are_hranas_blocked(platform: PlatformClient) -> None:
    url, token = await _app(platform)
    await platform.update_database_configuration("app", block_writes=True)
    async with HranaClient(url, token) as sql:
        assert (await sql.execute("select count(*) from t")).rows == ((0,),)
        with pytest.raises(BlockedError, match="Operation was blocked"):
            await sql.execute("insert into t values (1)")
    await platform.update_database_configuration("app", block_writes=False, block_reads=True)
    assert (await platform.get_database("app")).block_reads is True
    async with HranaClient(url, token) as sql:
        with pytest.raises(BlockedError):
            await sql.execute("select * from t")
    await platform.update_database_configuration("app", block_reads=False)
    async with HranaClient(url, token) as sql:
        await sql.execute("insert into t values (1)")


async def test_allowed_ips_are_checked_kept_and_shown(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    url, token = await _app(platform)
    config = await platform.update_database_configuration(
        "app", allowed_ips=[" 203.0.113.7", "10.0.0.0/8", "203.0.113.7", "2001:db8::/32"]
    )
    assert config.allowed_ips == ("203.0.113.7", "10.0.0.0/8", "2001:db8::/32")  # trimmed, once
    assert (await platform.get_database_configuration("app")).allowed_ips == config.allowed_ips
    config = await platform.update_database_configuration(
        "app", allowed_aws_vpc_ids=["vpce-0fe6c8807461bba49"]
    )
    assert config.allowed_aws_vpc_ids == ("vpce-0fe6c8807461bba49",)
    assert config.allowed_ips == ("203.0.113.7", "10.0.0.0/8", "2001:db8::/32")  # left as it was
    with pytest.raises(BadRequest, match=r"invalid IP address '300\.1\.1\.1'"):
        await platform.update_database_configuration("app", allowed_ips=["300.1.1.1"])
    with pytest.raises(BadRequest, match=r"invalid CIDR block '10\.0\.0\.0/99'"):
        await platform.update_database_configuration("app", allowed_ips=["10.0.0.0/99"])
    with pytest.raises(BadRequest, match="vpce-"):
        await platform.update_database_configuration("app", allowed_aws_vpc_ids=["vpc-1"])
    # Not enforced: every client of the local Turso is on 127.0.0.1 (README: what it cannot check).
    async with HranaClient(url, token) as sql:
        await sql.execute("select 1")
    config = await platform.update_database_configuration("app", allowed_ips=[])
    assert config.allowed_ips == () and config.allowed_aws_vpc_ids == ("vpce-0fe6c8807461bba49",)


async def test_the_configuration_survives_a_restart(tmp_path, sqld_binary) -> None:  # type: ignore[no-untyped-def]
    directory = tmp_path / "org"
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary) as turso:
        platform = turso.platform_client(max_retries=0)
        await _app(platform)
        await platform.update_database_configuration(
            "app", delete_protection=True, allowed_ips=["10.0.0.0/8"], size_limit="1gb"
        )
        await platform.aclose()
    async with LocalTurso(directory, recovery_interval=0, binary=sqld_binary) as turso:
        platform = turso.platform_client(max_retries=0)
        config = await platform.get_database_configuration("app")
        assert (config.delete_protection, config.allowed_ips, config.size_limit) == (
            True,
            ("10.0.0.0/8",),
            "1gb",
        )
        with pytest.raises(Forbidden):
            await platform.delete_database("app")
        await platform.aclose()


@pytest.mark.parametrize("field", ["name", "value"])
async def test_a_restore_seed_names_its_source_under_name_or_value(
    platform: PlatformClient, local_turso: LocalTurso, field: str
) -> None:
    """@tursodatabase/api and the spec send ``seed.name``; turso-cli sends ``seed.value`` (D12)."""
    url, token = await _app(platform)
    async with HranaClient(url, token) as sql:
        await sql.execute("insert into t values ('kept')")
    body = {"name": "copy", "group": "default", "seed": {"type": "database", field: "app"}}
    async with httpx.AsyncClient(
        transport=SpecValidator.default().wrap(local_turso.transport()),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    ) as http:
        answer = await http.post(
            f"/v1/organizations/{local_turso.organization}/databases", json=body
        )
        assert answer.status_code == 200, answer.text
        missing = await http.post(
            f"/v1/organizations/{local_turso.organization}/databases",
            json={"name": "none", "group": "default", "seed": {"type": "database"}},
        )
    assert missing.status_code == 400
    assert missing.json()["error"] == "seed.name (or seed.value) must name the source database"
    copy = await platform.get_database("copy")
    assert copy.parent is not None and copy.parent.name == "app"
    copy_token = (await platform.create_database_token("copy")).jwt
    async with HranaClient(copy.url, copy_token) as sql:
        assert (await sql.execute("select x from t")).rows == (("kept",),)
