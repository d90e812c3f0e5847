"""The plan's quotas enforced by the local Turso on real sqld, as Turso Cloud does: without overages a quota
passed for the billing period blocks the organization (``blocked_reads``/``blocked_writes``, the databases'
``block_*``, Hrana ``BLOCKED`` on every database URL, primary and replicas); with overages nothing is blocked
and the excess is billed. Tiny quotas come from the data dir's ``plan-overrides.json``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.local_turso import checked_org

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import BlockedError
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.platform import PlatformClient


def overrides(directory: Path, quotas: dict[str, dict[str, int]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "plan-overrides.json").write_text(json.dumps(quotas))


@asynccontextmanager
async def org(
    directory: Path,
    binary: Path,
    profile: ProfileChoice | None = None,
    *,
    replicas: tuple[str, ...] = (),
    clock: Callable[[], float] = time.time,
    quota_interval: float = 0,
) -> AsyncIterator[tuple[LocalTurso, PlatformClient]]:
    """A local Turso with database ``app`` in group ``default`` (sjc, then ``replicas``) and a spec-checked client."""
    async with checked_org(
        directory, binary, profile=profile, clock=clock, quota_interval=quota_interval
    ) as (turso, client):
        if "default" not in turso.cp.state.groups:
            await client.create_group("default", "sjc")
            for location in replicas:
                await client.add_location("default", location)
            await client.create_database("app", "default")
        yield turso, client


async def sql_of(platform: PlatformClient, name: str = "app") -> tuple[str, str]:
    db = await platform.get_database(name)
    return db.url, (await platform.create_database_token(name)).jwt


async def write_rows(url: str, token: str, rows: int) -> None:
    async with HranaClient(url, token) as sql:
        await sql.execute("create table if not exists t(x)")
        await sql.batch([("insert into t values (?)", [n]) for n in range(rows)])


async def test_rows_written_past_the_quota_block_writes_everywhere(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    overrides(directory, {"starter": {"rowsWritten": 5}})
    async with org(directory, sqld_binary, replicas=("iad",)) as (turso, platform):
        url, token = await sql_of(platform)
        await write_rows(url, token, 10)
        usage = await platform.organization_usage()  # measures, and applies the block it earns
        assert usage.usage.rows_written >= 10
        org_now = await platform.get_organization()
        assert (org_now.blocked_reads, org_now.blocked_writes) == (False, True)
        db = await platform.get_database("app")
        assert (db.block_reads, db.block_writes) == (False, True)
        # The operator's own configuration is unchanged: the block is the plan's.
        assert (await platform.get_database_configuration("app")).block_writes is False
        async with HranaClient(url, token) as sql:
            with pytest.raises(BlockedError) as blocked:
                await sql.execute("insert into t values (99)")
            assert blocked.value.code == "BLOCKED"
            assert "rows written" in str(blocked.value) and "upgrade the plan" in str(blocked.value)
            assert (await sql.execute("select count(*) from t")).rows == ((10,),)  # reads go on
        # The raw Hrana answer: the step's error carries the BLOCKED code the official clients map.
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{url.replace('libsql://', 'http://')}/v2/pipeline",
                json={
                    "requests": [{"type": "execute", "stmt": {"sql": "insert into t values (1)"}}]
                },
                headers={"Authorization": f"Bearer {token}"},
            )
        error = answer.json()["results"][0]["error"]
        assert error["code"] == "BLOCKED" and error["message"].startswith("Operation was blocked: ")
        # The replica's URL refuses writes too (sqld's replica takes the namespace config from the primary).
        replica = turso.cp.hostname(turso.cp.database("app"), "iad")
        async with HranaClient(f"http://{replica}", token) as sql:
            assert (await sql.execute("select count(*) from t")).rows == ((10,),)
        # A database created while the organization is blocked is blocked too; turning the
        # database's own block off does not lift the plan's.
        await platform.create_database("late", "default")
        late_url, late_token = await sql_of(platform, "late")
        async with HranaClient(late_url, late_token) as sql:
            with pytest.raises(BlockedError):
                await sql.execute("create table u(x)")
        await platform.update_database_configuration("app", block_writes=False)
        async with HranaClient(url, token) as sql:
            with pytest.raises(BlockedError):
                await sql.execute("insert into t values (100)")
    # A larger quota at the next start lifts the block before anything is served.
    (directory / "plan-overrides.json").unlink()
    async with org(directory, sqld_binary) as (turso, platform):
        assert turso.cp.quota_block.writes is False
        assert (await platform.get_organization()).blocked_writes is False
        url, token = await sql_of(platform)
        await write_rows(url, token, 1)


async def replica_refusal(url: str, token: str, within: float = 5.0) -> str:
    """The BlockedError a replica's URL answers with, once it has the primary's block (bounded wait)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with HranaClient(url, token) as sql:
            try:
                await sql.execute("select count(*) from t")
            except BlockedError as exc:
                return str(exc)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"{url} still answered {within} s after the organization was blocked"
            )
        await asyncio.sleep(0.05)


async def test_rows_read_past_the_quota_block_reads_and_writes(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    overrides(directory, {"developer": {"rowsRead": 20}})
    async with org(directory, sqld_binary, ProfileChoice(plan="developer"), replicas=("iad",)) as (
        turso,
        platform,
    ):
        url, token = await sql_of(platform)
        await write_rows(url, token, 30)
        async with HranaClient(url, token) as sql:
            await sql.execute("select * from t")  # 30 rows read
        await platform.organization_usage()
        org_now = await platform.get_organization()
        assert (org_now.blocked_reads, org_now.blocked_writes) == (True, True)
        async with HranaClient(url, token) as sql:
            with pytest.raises(BlockedError, match="rows read") as blocked:
                await sql.execute("select count(*) from t")
            assert "enable overages or upgrade the plan" in str(blocked.value)
        # A replica takes the block from the primary's config as sqld replicates it: a moment later.
        replica = f"http://{turso.cp.hostname(turso.cp.database('app'), 'iad')}"
        refused = await replica_refusal(replica, token)
        assert "rows read" in refused and "enable overages or upgrade the plan" in refused


async def test_storage_past_the_quota_blocks_writes(tmp_path: Path, sqld_binary: Path) -> None:
    directory = tmp_path / "org"
    overrides(directory, {"starter": {"storage": 4096}})
    async with org(directory, sqld_binary) as (_, platform):
        url, token = await sql_of(platform)
        await write_rows(url, token, 200)
        usage = await platform.organization_usage()
        assert usage.usage.storage_bytes > 4096
        assert (await platform.get_organization()).blocked_writes is True
        async with HranaClient(url, token) as sql:
            with pytest.raises(BlockedError, match="storage"):
                await sql.execute("insert into t values (1)")


async def test_with_overages_the_excess_is_billed_not_blocked(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    overrides(directory, {"scaler": {"rowsWritten": 5, "rowsRead": 5}})
    async with org(directory, sqld_binary, ProfileChoice(plan="scaler", overages=True)) as (
        _,
        platform,
    ):
        url, token = await sql_of(platform)
        await write_rows(url, token, 10)
        usage = await platform.organization_usage()
        quotas = {p.name: p.quotas for p in await platform.list_plans()}["scaler"]
        assert (
            usage.usage.rows_written > (quotas.rows_written or 0) == 5
        )  # the excess shows as usage
        org_now = await platform.get_organization()
        assert (org_now.overages, org_now.plan_id) == (True, "scaler_overages")
        assert (org_now.blocked_reads, org_now.blocked_writes) == (False, False)
        await write_rows(url, token, 10)  # still served
    # Overages off at the next start: the same usage blocks. The meters were read when the local
    # Turso stopped, so the usage survives sqld's restart (sqld itself saves its counters every 5 s).
    async with org(directory, sqld_binary, ProfileChoice(overages=False)) as (_, platform):
        assert (await platform.get_organization()).blocked_writes is True
        assert (await platform.organization_usage()).usage.rows_written >= 20


async def test_the_quota_resets_with_the_billing_period(tmp_path: Path, sqld_binary: Path) -> None:
    now = datetime.now(UTC)
    next_month = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    offset = {"seconds": next_month.timestamp() - 3600 - time.time()}  # an hour before the 1st

    def clock() -> float:
        return time.time() + offset["seconds"]

    directory = tmp_path / "org"
    overrides(directory, {"starter": {"rowsWritten": 5}})
    async with org(directory, sqld_binary, clock=clock) as (turso, platform):
        url, token = await sql_of(platform)
        await write_rows(url, token, 10)
        assert (await platform.organization_usage()).usage.rows_written >= 10
        assert (await platform.get_organization()).blocked_writes is True
        offset["seconds"] += 7200  # the 1st of next month
        usage = await platform.organization_usage()
        assert (
            usage.usage.rows_written == 0
        )  # a new period: sqld's counters less their value at its start
        assert (await platform.get_organization()).blocked_writes is False
        await write_rows(url, token, 3)
        db_usage = await platform.database_usage("app")
        assert db_usage.total.rows_written == 3
        billing = json.loads((directory / "billing.json").read_text())
        assert billing["period"] == next_month.strftime("%Y-%m")
        assert billing["block"] == {"reads": False, "writes": False, "reason": None}
        assert (directory / "billing.json").stat().st_mode & 0o777 == 0o600
        assert turso.cp.quota_block.writes is False


async def test_the_quotas_are_checked_in_the_background(tmp_path: Path, sqld_binary: Path) -> None:
    directory = tmp_path / "org"
    overrides(directory, {"starter": {"rowsWritten": 5}})
    async with org(directory, sqld_binary, quota_interval=0.2) as (_, platform):
        url, token = await sql_of(platform)
        await write_rows(url, token, 10)
        blocked: Any = False
        deadline = time.monotonic() + 10
        while not blocked and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            blocked = (await platform.get_organization()).blocked_writes  # never asks for the usage
        assert blocked is True


async def test_the_quota_check_never_makes_a_replica_load_a_database(
    tmp_path: Path, sqld_binary: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asking a replica's sqld for a database's stats loads its namespace: a replica that never served
    the database counted nothing of it and is not asked, so the periodic check loads nothing."""
    async with org(tmp_path / "org", sqld_binary, replicas=("iad",)) as (turso, platform):

        async def replica_did_not_answer(db: object) -> None:  # the warm-up after a create missed
            return None

        monkeypatch.setattr(turso.cp, "warm", replica_did_not_answer)
        await platform.create_database("cold", "default")
        url, token = await sql_of(platform, "cold")
        await write_rows(url, token, 3)
        replica_dir = turso.cp.dataplane.nodes["iad"].process.db_path / "dbs" / "cold"
        assert not replica_dir.exists()
        usage = await turso.billing.organization_usage()
        assert not replica_dir.exists()
        cold = next(d for d in usage["databases"] if d["uuid"] == turso.cp.database("cold").uuid)
        assert len(cold["instances"]) == 2  # the replica is still listed, with nothing counted
        assert cold["instances"][1]["usage"]["rows_read"] == 0
        assert cold["instances"][1]["usage"]["rows_written"] == 0
        assert cold["total"]["rows_written"] >= 3

        # The usage is counted in the proxies: no sqld is asked for stats, the primary neither.
        monkeypatch.undo()
        asked: list[str] = []
        stats = turso.cp.stats

        async def counted(db: Any, location: str = "primary") -> dict[str, Any]:
            asked.append(f"{db.name}@{location}")
            return await stats(db, location)

        monkeypatch.setattr(turso.cp, "stats", counted)
        await turso.billing.organization_usage()
        assert asked == []
