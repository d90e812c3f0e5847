"""Point-in-time restore on the local Turso: real recovery points of real sqld databases."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import checked_org

from tursotui.libsql import HranaClient
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient, Seed
from tursotui.platform.errors import BadRequest, Conflict


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _seeded(platform: PlatformClient) -> tuple[str, str]:
    await platform.create_group("default", "sjc")
    created = await platform.create_database("xswarm-users", "default")
    token = (await platform.create_database_token("xswarm-users")).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.execute("create table users(id text primary key, email text not null unique)")
        await sql.batch(
            [("insert into users values (?, ?)", [f"u{i}", f"u{i}@example.com"]) for i in range(50)]
        )
    return created.url, token


async def test_restore_to_a_timestamp_creates_a_new_database(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    url, token = await _seeded(platform)
    point = await local_turso.pitr.take("xswarm-users")
    await asyncio.sleep(0.05)
    good_moment = datetime.now(UTC)
    await asyncio.sleep(0.05)
    async with HranaClient(url, token) as sql:
        await sql.execute("delete from users where id != 'u0'")  # the accident

    restored = await platform.create_database(
        "xswarm-users-restored", "default", seed=Seed.restore("xswarm-users", rfc3339(good_moment))
    )
    new_token = (await platform.create_database_token("xswarm-users-restored")).jwt
    async with HranaClient(restored.url, new_token) as sql:
        assert (await sql.execute("select count(*) from users")).rows == ((50,),)
    async with HranaClient(url, token) as sql:  # the source is untouched
        assert (await sql.execute("select count(*) from users")).rows == ((1,),)
    db = await platform.get_database("xswarm-users-restored")
    assert db.parent is not None and db.parent.name == "xswarm-users"
    points = local_turso.pitr.list("xswarm-users")
    assert point.id in [p.id for p in points]
    check = sqlite3.connect(local_turso.cp.namespace_file("xswarm-users-restored"))
    assert check.execute("pragma integrity_check").fetchone() == ("ok",)
    check.close()


async def test_restore_response_names_the_recovery_point(local_turso: LocalTurso) -> None:
    client = local_turso.platform_client(max_retries=0)
    await _seeded(client)
    point = await local_turso.pitr.take("xswarm-users")
    await asyncio.sleep(0.05)
    raw = httpx.AsyncClient(
        transport=local_turso.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    )
    response = await raw.post(  # raw call: the body has the local extra field
        "/v1/organizations/local/databases",
        json={
            "name": "restored-2",
            "group": "default",
            "seed": {
                "type": "database",
                "name": "xswarm-users",
                "timestamp": rfc3339(datetime.now(UTC)),
            },
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["database"]["recovery_point"]["id"] == point.id
    await raw.aclose()
    await client.aclose()


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (lambda: datetime.now(UTC) + timedelta(hours=1), "in the future"),
        (lambda: datetime.now(UTC) - timedelta(hours=1), "before database xswarm-users existed"),
    ],
)
async def test_bad_timestamps_are_refused(
    platform: PlatformClient, moment: object, message: str
) -> None:
    await _seeded(platform)
    with pytest.raises(BadRequest, match=message):
        await platform.create_database(
            "nope",
            "default",
            seed=Seed.restore("xswarm-users", rfc3339(moment())),  # type: ignore[operator]
        )
    assert "nope" not in [d.name for d in await platform.list_databases()]


async def test_timestamp_outside_retention_is_refused(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await _seeded(platform)
    local_turso.cp.state.databases["xswarm-users"].created_at -= 40 * 86_400
    with pytest.raises(BadRequest, match="30-day recovery window"):
        await platform.create_database(
            "nope",
            "default",
            seed=Seed.restore("xswarm-users", rfc3339(datetime.now(UTC) - timedelta(days=31))),
        )


async def test_malformed_timestamp_and_taken_name(platform: PlatformClient) -> None:
    await _seeded(platform)
    with pytest.raises(BadRequest, match="RFC 3339"):
        await platform.create_database(
            "nope",
            "default",
            seed=Seed(type="database", name="xswarm-users", timestamp="yesterday"),
        )
    with pytest.raises(Conflict):
        await platform.create_database(
            "xswarm-users", "default", seed=Seed.restore("xswarm-users", rfc3339(datetime.now(UTC)))
        )


async def test_points_are_taken_when_the_database_changed(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    url, token = await _seeded(platform)
    before = len(local_turso.pitr.list("xswarm-users"))
    local_turso.pitr.interval = 0.0
    await local_turso.pitr.take_if_changed()
    after_change = len(local_turso.pitr.list("xswarm-users"))
    assert after_change == before + 1
    await local_turso.pitr.take_if_changed()  # nothing changed since
    assert len(local_turso.pitr.list("xswarm-users")) == after_change
    async with HranaClient(url, token) as sql:
        await sql.execute("insert into users values ('new', 'new@example.com')")
    await local_turso.pitr.take_if_changed()
    assert len(local_turso.pitr.list("xswarm-users")) == after_change + 1


async def test_old_points_are_pruned_but_the_newest_is_kept(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await _seeded(platform)
    for point in local_turso.cp.state.recovery_points["xswarm-users"]:
        point.taken_at -= 60 * 86_400
    old_files = [
        local_turso.pitr.points.directory / p.file for p in local_turso.pitr.list("xswarm-users")
    ]
    await local_turso.pitr.take("xswarm-users")
    remaining = local_turso.pitr.list("xswarm-users")
    assert len(remaining) == 1
    assert not any(path.exists() for path in old_files)


async def test_restore_at_a_listed_taken_at_works(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await _seeded(platform)
    await local_turso.pitr.take("xswarm-users")
    async with httpx.AsyncClient(
        transport=local_turso.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    ) as api:
        listed = await api.get(
            "/v1/organizations/local/databases/xswarm-users/local-recovery-points"
        )
        newest = listed.json()["recovery_points"][-1]
        restored = await api.post(
            "/v1/organizations/local/databases",
            json={
                "name": "at-listed",
                "seed": {
                    "type": "database",
                    "name": "xswarm-users",
                    "timestamp": newest["taken_at"],
                },
            },
        )
        assert restored.status_code == 200, restored.text
        assert restored.json()["database"]["recovery_point"]["id"] == newest["id"]


async def test_a_database_seeded_by_upload_gets_a_recovery_point(
    tmp_path: Path, sqld_binary: Path
) -> None:
    """Uploads are served under the aws profile (under fly a file is imported as a dump)."""
    aws = ProfileChoice(platform="aws")
    async with checked_org(tmp_path / "org", sqld_binary, profile=aws) as (local_turso, platform):
        await platform.create_group("default", "aws-us-east-1")
        created = await platform.create_database("uploaded", "default", seed=Seed.upload())
        assert local_turso.pitr.list("uploaded") == []
        token = (await platform.create_database_token("uploaded")).jwt
        source = tmp_path / "up.db"
        conn = sqlite3.connect(source)
        conn.execute("create table t(x)")
        conn.execute("insert into t values (42)")
        conn.commit()
        conn.close()
        async with httpx.AsyncClient(base_url=created.url) as http:
            done = await http.post(
                "/v1/upload",
                content=source.read_bytes(),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert done.status_code == 200, done.text
        for _ in range(100):
            if local_turso.pitr.list("uploaded"):
                break
            await asyncio.sleep(0.05)
        [point] = local_turso.pitr.list("uploaded")
        assert point.reason == "seeded by upload"
        restored = await platform.create_database(
            "uploaded-again", "default", seed=Seed.restore("uploaded", rfc3339(datetime.now(UTC)))
        )
        async with HranaClient(
            restored.url, (await platform.create_database_token("uploaded-again")).jwt
        ) as sql:
            assert (await sql.execute("select x from t")).rows == ((42,),)
