"""Archived groups on the local Turso over real sqld, as Turso Cloud archives a Free-plan group after idle days:
once archived (the local-only ``POST …/groups/{g}/local-archive``) every URL of its databases, primary and
replicas, answers HTTP 502, across a restart too; ``POST …/groups/{g}/unarchive`` (the spec's) or turso-cli's
``POST …/databases/{d}/wakeup`` wakes it and the databases answer again. The Platform API shows it
(``archived`` on the group, ``archived``/``sleeping`` on its databases), every answer checked against the spec
where the spec has the path; a 502 read through tursotui's ops is said as "archived — unarchive with …"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fixtures.contract import SpecValidator

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import HttpError
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.ops.access import open_database
from tursotui.ops.archived import DatabaseArchived
from tursotui.platform import PlatformClient


@asynccontextmanager
async def org(directory: Path, binary: Path) -> AsyncIterator[tuple[LocalTurso, PlatformClient]]:
    turso = await LocalTurso(directory, recovery_interval=0, binary=binary).start()
    checked = SpecValidator.default().wrap(turso.transport())
    platform = PlatformClient(
        turso.api_token,
        organization=turso.organization,
        base_url=IN_PROCESS_BASE_URL,
        transport=checked,
        max_retries=0,
    )
    try:
        if "default" not in turso.cp.state.groups:
            await platform.create_group("default", "sjc")
            await platform.add_location("default", "iad")
            await platform.create_database("app", "default")
        yield turso, platform
    finally:
        await platform.aclose()
        await turso.close()


async def local_post(turso: LocalTurso, path: str) -> httpx.Response:
    """A local-only route (not in the spec: sent without the validator)."""
    async with httpx.AsyncClient(
        transport=turso.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {turso.api_token}"},
    ) as http:
        return await http.post(f"/v1/organizations/{turso.organization}{path}")


async def urls(platform: PlatformClient, name: str = "app") -> list[str]:
    return [i.url for i in await platform.list_instances(name)]


async def answers(url: str, token: str) -> int | None:
    """The HTTP status a query gets (None: it ran)."""
    async with HranaClient(url, token) as sql:
        try:
            await sql.execute("select 1")
        except HttpError as exc:
            return exc.status
    return None


async def test_an_archived_group_answers_502_until_it_is_unarchived(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with org(tmp_path / "org", sqld_binary) as (turso, platform):
        token = (await platform.create_database_token("app")).jwt
        everywhere = await urls(platform)
        assert len(everywhere) == 2  # the primary (sjc) and the iad replica
        assert [await answers(u, token) for u in everywhere] == [None, None]

        archived = await local_post(turso, "/groups/default/local-archive")
        assert archived.status_code == 200 and archived.json()["group"]["archived"] is True
        assert [await answers(u, token) for u in everywhere] == [502, 502]
        async with HranaClient(everywhere[0], token) as sql:
            with pytest.raises(HttpError, match="database app is archived: its group default"):
                await sql.execute("select 1")
        assert (await platform.get_group("default")).archived is True
        db = await platform.get_database("app")
        assert db.archived and db.sleeping  # turso-cli shows `sleeping` as "Archived"
        # The Platform API still answers for it: tokens, usage, configuration.
        await platform.create_database_token("app")
        await platform.get_database_configuration("app")

        group = await platform.unarchive_group("default")
        assert group.archived is False
        assert [await answers(u, token) for u in everywhere] == [None, None]
        assert not (await platform.get_database("app")).archived


async def test_archived_survives_a_restart_and_wakeup_wakes_the_group(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    async with org(directory, sqld_binary) as (turso, platform):
        token = (await platform.create_database_token("app")).jwt
        assert (await local_post(turso, "/groups/default/local-archive")).status_code == 200
    async with org(directory, sqld_binary) as (turso, platform):
        everywhere = await urls(platform)
        assert [await answers(u, token) for u in everywhere] == [502, 502]
        unchecked = turso.platform_client(max_retries=0)  # /wakeup is turso-cli's, not in the spec
        await unchecked.wakeup_database("app")  # turso-cli's `db unarchive`
        await unchecked.aclose()
        assert [await answers(u, token) for u in everywhere] == [None, None]
        assert (await platform.get_group("default")).archived is False
        assert (await local_post(turso, "/groups/nosuch/local-archive")).status_code == 404


async def test_what_an_archived_group_gains_answers_502_too(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with org(tmp_path / "org", sqld_binary) as (turso, platform):
        assert (await local_post(turso, "/groups/default/local-archive")).status_code == 200
        await platform.create_database("later", "default")
        token = (await platform.create_database_token("later")).jwt
        await platform.add_location("default", "fra")
        later = await urls(platform, "later")
        assert len(later) == 3
        assert {await answers(u, token) for u in later} == {502}
        await platform.unarchive_group("default")
        assert {await answers(u, token) for u in later} == {None}


async def test_ops_say_archived_and_the_command_that_wakes_it(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with org(tmp_path / "org", sqld_binary) as (turso, platform):
        assert (await local_post(turso, "/groups/default/local-archive")).status_code == 200
        with pytest.raises(DatabaseArchived) as said:
            async with open_database(platform, "app") as access:
                await access.client.execute("select 1")
        assert str(said.value) == (
            "database app is archived — unarchive with `tursotui group unarchive default`"
        )
        assert isinstance(said.value.__cause__, HttpError) and said.value.__cause__.status == 502
        await platform.unarchive_group("default")
        async with open_database(platform, "app") as access:
            assert (await access.client.execute("select 1")).rows == ((1,),)
