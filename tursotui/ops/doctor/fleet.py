"""``doctor --all``: every check across the organization's databases, summarised per check.

Platform API requests do not grow with the number of databases: the token, the organization, the plan, the
database list and the group list are asked once; archived groups and blocked databases are read from those two
lists. Per database only what must be: ``GET /health`` for the latency (no token), and the index check over SQL
with ONE read-only token per group (minted for this run, recorded in the ledger as a session token), at most
``concurrency`` databases at a time. The configured URL, token, replica and files are checked once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

import httpx

from tursotui.libsql.errors import LibsqlError
from tursotui.ops.doctor import connection, files, indexes, platform_checks, replica_check
from tursotui.ops.doctor.inputs import DoctorInputs
from tursotui.ops.doctor.model import CHECKS, Check, CheckSummary, FleetReport, fail, skip
from tursotui.ops.doctor.run import NEEDS_API
from tursotui.ops.group_tokens import GroupTokens, sql_pool
from tursotui.ops.plan import fetch_plan_view
from tursotui.ops.session_tokens import sql_client
from tursotui.platform import Database, Group, PlatformError

DEFAULT_CONCURRENCY = 8
GROUP_TOKEN_EXPIRATION = "1h"  # noqa: S105 (a lifetime, not a secret)
T = TypeVar("T")
Progress = Callable[[int, int], None]
"""``progress(done, total)`` after each database."""


async def bounded(
    items: Sequence[Database],
    work: Callable[[Database], Awaitable[T]],
    concurrency: int,
    progress: Progress | None = None,
) -> list[tuple[str, T]]:
    """``work(db)`` for every database, at most ``concurrency`` at once, in the order given."""
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(db: Database) -> tuple[str, T]:
        nonlocal done
        async with gate:
            result = await work(db)
        done += 1
        if progress is not None:
            progress(done, len(items))
        return db.name, result

    return list(await asyncio.gather(*(one(db) for db in items)))


async def run_fleet(
    inputs: DoctorInputs,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
) -> FleetReport:
    now = inputs.clock()
    platform = inputs.platform
    api = await platform_checks.api_token(platform, now, local=inputs.local)
    org_wide = [CheckSummary.of(api, "organization")]
    if api.state == "fail":
        org_wide += [
            CheckSummary.of(skip(c, NEEDS_API), "organization") for c in ("organization", "quota")
        ]
        return FleetReport(inputs.organization, inputs.target, 0, tuple(org_wide))
    (org, organization), view, databases, groups = await asyncio.gather(
        platform_checks.organization(platform),
        fetch_plan_view(platform, now),
        platform.list_databases(),
        _groups(inputs),
    )
    org_wide += [
        CheckSummary.of(org, "organization"),
        CheckSummary.of(platform_checks.quota(view), "organization"),
    ]
    states = [
        (db.name, platform_checks.group_state(db, groups.get(db.group), organization))
        for db in databases
    ]
    tokens = GroupTokens(
        inputs.platform, "read-only", inputs.ledger, inputs.target, GROUP_TOKEN_EXPIRATION
    )
    archived = {
        name for name, check in states if check.state == "fail" and "archived" in check.detail
    }

    async with sql_pool() as http:  # one pool for every database's SQL

        async def check(db: Database) -> tuple[Check, Check]:
            reach = connection.reachable(inputs.probe, db.url, configured=False)
            if db.name in archived:
                lookup: Check = skip("indexes", f"not checked: group {db.group} is archived")
                return await reach, lookup
            return await asyncio.gather(reach, _indexes(inputs, tokens, db, http))

        found = await bounded(databases, check, concurrency, progress)
    reach = [(name, pair[0]) for name, pair in found]
    lookups = [(name, pair[1]) for name, pair in found]
    per_db = [
        CheckSummary(
            "database",
            {"ok": len(databases), "warn": 0, "fail": 0, "skip": 0},
            (),
            "",
            "database",
            f"{len(databases)} database{'s' if len(databases) != 1 else ''} listed",
        ),
        CheckSummary.per_database("group", states),
        CheckSummary.per_database("reachable", reach),
        CheckSummary.per_database("indexes", lookups),
    ]
    configured = await _configured(inputs, databases, groups, now)
    rank = {cid: n for n, (cid, _) in enumerate(CHECKS)}
    checks = sorted([*org_wide, *per_db, *configured], key=lambda s: rank.get(s.id, len(rank)))
    return FleetReport(inputs.organization, inputs.target, len(databases), tuple(checks))


async def _groups(inputs: DoctorInputs) -> dict[str, Group]:
    try:
        return {g.name: g for g in await inputs.platform.list_groups()}
    except PlatformError:
        return {}  # the databases' own flags still say archived/blocked


async def _indexes(
    inputs: DoctorInputs, tokens: GroupTokens, db: Database, http: httpx.AsyncClient
) -> Check:
    try:
        token = await tokens.token(db.group)
        async with sql_client(inputs.platform, db, token, http=http) as client:
            return await indexes.check(client, db.name)
    except (PlatformError, LibsqlError) as exc:
        return fail("indexes", f"could not be read: {exc}", "see the URL reachable check")


async def _configured(
    inputs: DoctorInputs, databases: Sequence[Database], groups: dict[str, Group], now: datetime
) -> list[CheckSummary]:
    """The configured database's token, replica and files: checked once, as ``doctor`` alone does."""
    env = files.env_mode(inputs.env_path)
    replica = await replica_check.check(inputs.replica, now, local=inputs.local)
    db = next((d for d in databases if d.name == inputs.database_name), None)
    if db is None:
        why = (
            f"not checked: [turso] database_name ({inputs.database_name}) is not in the organization"
            if inputs.database_name
            else "not checked: [turso] database_name is not set"
        )
        token, match = skip("db-token", why), skip("config-match", why)
    else:
        group = groups.get(db.group)
        uuid = group.uuid if group is not None else ""
        token, match = await asyncio.gather(
            connection.db_token(inputs.platform, db, inputs.auth_token, now, uuid),
            files.config_match(
                inputs.platform,
                db,
                inputs.database_url,
                inputs.auth_token,
                inputs.config_path,
                uuid,
            ),
        )
    return [CheckSummary.of(c, "configuration") for c in (token, replica, env, match)]
