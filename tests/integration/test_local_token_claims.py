"""Database and group tokens of the local Turso are shaped like Turso Cloud's (``a``, UUIDs in
``id``/``gid``, ``p`` for read_attach) and real sqld honours them; tokens of the older local shape
(``id: <name>``) keep working until their group is rotated (real sqld, through the proxy)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import jwt as pyjwt
import pytest
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError, PermissionDeniedError
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.platform.errors import BadRequest
from tursotui.platform.models import Seed


@pytest.fixture
async def org(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    async with started_org(
        tmp_path / "local",
        sqld_binary,
        groups={"default": ["aws-us-east-1"]},  # uploads are served under the aws profile
        databases=[("app", "default"), ("ledger", "default"), ("seeded", "default", Seed.upload())],
        profile=ProfileChoice(platform="aws"),
    ) as turso:
        yield turso


def _claims(token: str) -> dict[str, object]:
    claims: dict[str, object] = pyjwt.decode(token, options={"verify_signature": False})
    return claims


async def test_claims_carry_a_and_the_uuids_and_sqld_enforces_them(org: LocalTurso) -> None:
    platform = org.platform_client(max_retries=0)
    async with platform:
        db = await platform.get_database("app")
        group = await platform.get_group("default")
        full = (await platform.create_database_token("app")).jwt
        read_only = (await platform.create_database_token("app", authorization="read-only")).jwt
        group_token = (await platform.create_group_token("default")).jwt
        group_ro = (await platform.create_group_token("default", authorization="read-only")).jwt
    assert db.db_id and group.uuid and db.db_id != group.uuid
    claims = _claims(full)
    assert (claims["a"], claims["id"]) == ("rw", db.db_id) and "gid" not in claims
    assert claims["p"] == {"rw": {"ns": ["app"]}}  # sqld matches namespaces by name, never the UUID
    claims = _claims(read_only)
    assert (claims["a"], claims["id"], claims["p"]) == ("ro", db.db_id, {"ro": {"ns": ["app"]}})
    claims = _claims(group_token)
    assert {k: v for k, v in claims.items() if k != "iat"} == {"a": "rw", "gid": group.uuid}
    assert _claims(group_ro)["a"] == "ro" and "p" not in _claims(group_ro)

    url = f"http://127.0.0.1:{org.cp.database('app').port}"
    async with HranaClient(url, full) as sql:
        await sql.execute("create table t(x)")
    async with HranaClient(url, group_token) as sql:
        await sql.execute("insert into t values (1)")
    for token in (read_only, group_ro):
        async with HranaClient(url, token) as sql:
            assert (await sql.execute("select count(*) from t")).rows == ((1,),)
            with pytest.raises(PermissionDeniedError):
                await sql.execute("insert into t values (2)")
    # A token for app is refused by ledger (same key, another namespace).
    ledger_url = f"http://127.0.0.1:{org.cp.database('ledger').port}"
    async with HranaClient(ledger_url, full) as sql:
        with pytest.raises(LibsqlError):
            await sql.execute("select 1")


async def test_read_attach_becomes_p_and_sqld_attaches_read_only(org: LocalTurso) -> None:
    platform = org.platform_client(max_retries=0)
    async with platform:
        ledger_id = (await platform.get_database("ledger")).db_id
        await platform.update_database_configuration("ledger", allow_attach=True)
        plain = (await platform.create_database_token("app")).jwt
        by_name = (await platform.create_database_token("app", read_attach=["ledger"])).jwt
        by_id = (await platform.create_database_token("app", read_attach=[ledger_id])).jwt
        group_attach = (await platform.create_group_token("default", read_attach=["ledger"])).jwt
        ledger_token = (await platform.create_database_token("ledger")).jwt
        with pytest.raises(BadRequest, match="read_attach: no database named 'nope'"):
            await platform.create_database_token("app", read_attach=["nope"])
    expected = {"rw": {"ns": ["app"]}, "roa": {"ns": ["ledger"]}}
    assert _claims(by_name)["p"] == expected and _claims(by_id)["p"] == expected
    assert _claims(group_attach)["p"] == {
        "rw": {"ns": ["app", "ledger", "seeded"]},
        "roa": {"ns": ["ledger"]},
    }

    ledger_url = f"http://127.0.0.1:{org.cp.database('ledger').port}"
    async with HranaClient(ledger_url, ledger_token) as sql:
        await sql.execute("create table entries(amount integer)")
        await sql.execute("insert into entries values (42)")
    url = f"http://127.0.0.1:{org.cp.database('app').port}"
    async with HranaClient(url, plain) as sql:
        with pytest.raises(LibsqlError, match=r"(?i)permission|attach"):
            await sql.execute('ATTACH "ledger" AS ledger')
    for token in (by_name, group_attach):
        async with HranaClient(url, token) as client, client.stream() as sql:
            await sql.execute('ATTACH "ledger" AS ledger')
            rows = (await sql.execute("select amount from ledger.entries")).rows
            assert rows == ((42,),)
            with pytest.raises(LibsqlError, match=r"(?i)readonly|read-only"):
                await sql.execute("insert into ledger.entries values (1)")
            await sql.execute("create table if not exists mine(x)")  # its own database: rw
    async with HranaClient(ledger_url, ledger_token) as sql:
        assert (await sql.execute("select count(*) from entries")).rows == ((1,),)


async def test_tokens_of_the_older_shape_work_until_the_group_is_rotated(org: LocalTurso) -> None:
    cp = org.cp
    key = cp.keys.get("default")
    old_full = key.mint(extra={"id": "app"})
    old_ro = key.mint(read_only=True, extra={"id": "app"})
    old_group = key.mint(extra={"gid": "default"})
    url = f"http://127.0.0.1:{cp.database('app').port}"
    async with HranaClient(url, old_full) as sql:
        await sql.execute("create table t(x)")
    async with HranaClient(url, old_group) as sql:
        await sql.execute("insert into t values (1)")
    async with HranaClient(url, old_ro) as sql:
        with pytest.raises(PermissionDeniedError):
            await sql.execute("insert into t values (2)")
    # The upload gate reads both shapes as sqld does.
    seeded = cp.database("seeded")
    new_shape = cp.keys.mint_for(
        cp.group("default"), {}, database=seeded, read_only=False, expires_in=60
    )
    for token, status in [
        (key.mint(extra={"id": "seeded"}), 100),
        (key.mint(extra={"gid": "default"}), 100),
        (key.mint(extra={"id": "app"}), 403),
        (key.mint(read_only=True, extra={"id": "seeded"}), 403),
        (new_shape, 100),
        (key.mint(extra={"a": "rw", "gid": cp.group("default").uuid}), 100),
        (key.mint(extra={"a": "rw", "id": "x", "p": {"roa": {"ns": ["seeded"]}}}), 403),
    ]:
        answer = await cp._on_upload("seeded", f"Bearer {token}", None)
        assert answer[0] == status, (_claims(token), answer)
    await cp.rotate_group_key("default")
    async with HranaClient(url, old_full) as sql:
        with pytest.raises(LibsqlError):
            await sql.execute("select 1")
