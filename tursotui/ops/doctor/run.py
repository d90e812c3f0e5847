"""The doctor of one database: every check of :data:`~tursotui.ops.doctor.model.CHECKS`, independent ones side
by side. A check that cannot run because an earlier one failed (no valid API token, no such database) is
skipped and says which."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tursotui.libsql.errors import LibsqlError
from tursotui.ops.access import open_database
from tursotui.ops.doctor import connection, files, indexes, platform_checks, replica_check
from tursotui.ops.doctor.inputs import DoctorInputs
from tursotui.ops.doctor.model import Check, DoctorReport, fail, ordered, skip
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.plan import fetch_plan_view
from tursotui.platform import Database, Group, PlatformError

NEEDS_API = "not checked: needs a valid Platform API token"
PLATFORM_CHECKS = (
    "organization",
    "database",
    "group",
    "quota",
    "db-token",
    "indexes",
    "config-match",
)


def database_name(inputs: DoctorInputs, given: str | None) -> str:
    name = given or inputs.database_name
    if not name:
        where = inputs.config_path or "config.toml"
        raise InputError(f"no database given and [turso] database_name is not set in {where}")
    return name


async def run_doctor(inputs: DoctorInputs, database: str | None = None) -> DoctorReport:
    name = database_name(inputs, database)
    now = inputs.clock()
    configured = inputs.is_configured(name)
    first = await asyncio.gather(
        platform_checks.api_token(inputs.platform, now, local=inputs.local),
        _replica(inputs, configured, now),
        _reachable_configured(inputs, configured),
    )
    api, replica, reach = first
    checks: list[Check] = [api, replica, files.env_mode(inputs.env_path)]
    if api.state == "fail":
        checks += [skip(c, NEEDS_API) for c in PLATFORM_CHECKS]
        checks.append(reach or skip("reachable", NEEDS_API))
        return _report(inputs, name, checks)
    checks += await _with_platform(inputs, name, configured, now, reach)
    return _report(inputs, name, checks)


def _report(inputs: DoctorInputs, name: str, checks: list[Check]) -> DoctorReport:
    return DoctorReport(name, inputs.organization, inputs.target, ordered(checks))


async def _with_platform(
    inputs: DoctorInputs, name: str, configured: bool, now: datetime, reach: Check | None
) -> list[Check]:
    platform = inputs.platform
    (org, organization), (found, db), view = await asyncio.gather(
        platform_checks.organization(platform),
        platform_checks.database(platform, name),
        _plan(inputs, now),
    )
    if org.state == "fail":
        found, db = skip("database", f"not checked: {org.detail}"), None
    checks = [org, found, view]
    if db is None:
        why = f"not checked: {found.detail}"
        checks += [skip(c, why) for c in ("group", "db-token", "indexes", "config-match")]
        checks.append(reach or skip("reachable", why))
        return checks
    group = await _group(inputs, db)
    state = platform_checks.group_state(db, group, organization)
    uuid = group.uuid if group is not None else ""
    checks.append(state)
    checks += await asyncio.gather(
        _reachable(inputs, db, reach),
        _token(inputs, db, configured, now, uuid),
        _indexes(inputs, db, state),
        _config(inputs, db, configured, uuid),
    )
    return checks


async def _plan(inputs: DoctorInputs, now: datetime) -> Check:
    return platform_checks.quota(await fetch_plan_view(inputs.platform, now))


async def _group(inputs: DoctorInputs, db: Database) -> Group | None:
    if not db.group:
        return None
    try:
        return await inputs.platform.get_group(db.group)
    except PlatformError:
        return None  # the database's own flags still say archived/blocked


def _not_configured(inputs: DoctorInputs, name: str) -> str:
    if not inputs.database_name:
        return "not checked: [turso] database_name is not set, so the configured URL and token are nobody's"
    return f"not checked: the configured URL, token and replica are {inputs.database_name}'s, not {name}'s"


async def _replica(inputs: DoctorInputs, configured: bool, now: datetime) -> Check:
    if not configured:
        return skip("replica", _not_configured(inputs, "this database"))
    return await replica_check.check(inputs.replica, now, local=inputs.local)


async def _reachable_configured(inputs: DoctorInputs, configured: bool) -> Check | None:
    """The configured URL, probed before the Platform API is asked anything (None: not the configured one)."""
    if not configured or not inputs.database_url:
        return None
    return await connection.reachable(inputs.probe, inputs.database_url, configured=True)


async def _reachable(inputs: DoctorInputs, db: Database, done: Check | None) -> Check:
    if done is not None:
        return done
    return await connection.reachable(inputs.probe, db.url, configured=False)


async def _token(
    inputs: DoctorInputs, db: Database, configured: bool, now: datetime, uuid: str
) -> Check:
    if not configured:
        return skip("db-token", _not_configured(inputs, db.name))
    return await connection.db_token(inputs.platform, db, inputs.auth_token, now, uuid)


async def _config(inputs: DoctorInputs, db: Database, configured: bool, uuid: str) -> Check:
    if not configured:
        return skip("config-match", _not_configured(inputs, db.name))
    return await files.config_match(
        inputs.platform, db, inputs.database_url, inputs.auth_token, inputs.config_path, uuid
    )


async def _indexes(inputs: DoctorInputs, db: Database, group: Check) -> Check:
    """Over SQL, with the session's token for ``db`` (the configured one when it is this database's, else one
    minted read-only for the session, :mod:`tursotui.ops.access`)."""
    if group.state == "fail" and "archived" in group.detail:
        return skip("indexes", f"not checked: {group.detail}")
    try:
        if inputs.open_sql is not None:
            async with inputs.open_sql(db.name) as client:
                return await indexes.check(client, db.name)
        async with open_database(
            inputs.platform, db.name, read_only=True, ledger=inputs.ledger, target=inputs.target
        ) as access:
            return await indexes.check(access.client, db.name)
    except (OpsError, PlatformError, LibsqlError) as exc:
        return fail("indexes", f"could not be read: {exc}", "see the Database and URL checks")
