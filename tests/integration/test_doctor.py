"""The doctor's checks end to end on the local Turso over real sqld, each made to fail for real and then to pass:
a revoked or expiring Platform API token, an organization or database that does not exist, an archived group
(the local Turso's archive route) and blocked writes, a quota used up, a dead database URL, a database token
that expired, was rotated or is another database's, the URL of another database, a missing hot-lookup index,
a replica never synced, .env mode 0644 (``tursotui.ops.doctor``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from fixtures.cli import fill
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql import replica as replica_files
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.ops.doctor import CHECKS, DoctorInputs, DoctorReport
from tursotui.ops.doctor.indexes import create_index_sql
from tursotui.ops.doctor.run import run_doctor
from tursotui.ops.latency import HttpLatencyProbe
from tursotui.ops.replica import ReplicaTarget
from tursotui.platform import PlatformClient
from tursotui.support.xswarm import INSERT_USER, SCHEMA, TEST_USERS


@dataclass
class Org:
    turso: LocalTurso
    platform: PlatformClient
    inputs: DoctorInputs
    """The configured database ``app``: its URL, a fresh token, .env 0600, the replica off."""
    home: Path

    async def doctor(self, database: str | None = None, **changes: object) -> DoctorReport:
        inputs = replace(self.inputs, **changes)  # type: ignore[arg-type]
        return await run_doctor(inputs, database)

    def client(self, token: str, organization: str | None = None) -> PlatformClient:
        return PlatformClient(
            token,
            organization=organization or self.turso.organization,
            base_url=IN_PROCESS_BASE_URL,
            transport=self.turso.transport(),
            max_retries=0,
        )

    async def local_post(self, path: str) -> None:
        async with httpx.AsyncClient(
            transport=self.turso.transport(),
            base_url=IN_PROCESS_BASE_URL,
            headers={"Authorization": f"Bearer {self.turso.api_token}"},
        ) as http:
            answer = await http.post(f"/v1/organizations/{self.turso.organization}{path}")
        assert answer.status_code == 200, answer.text


@asynccontextmanager
async def doctor_org(directory: Path, binary: Path) -> AsyncIterator[Org]:
    """Databases ``app`` (the seed's schema and test users) and ``other`` (empty) in group ``default``."""
    async with started_org(
        directory / "org",
        binary,
        groups={"default": ["sjc"]},
        databases=[("app", "default"), ("other", "default")],
    ) as turso:
        await fill(turso, "app", [*SCHEMA, *((INSERT_USER, list(u)) for u in TEST_USERS)])
        platform = turso.platform_client(max_retries=0)
        env = directory / ".env"
        env.write_text("TURSO_AUTH_TOKEN=set-in-the-test\n")
        env.chmod(0o600)
        async with httpx.AsyncClient(timeout=3.0) as http:
            try:
                app = await platform.get_database("app")
                token = (await platform.create_database_token("app", expiration="30d")).jwt
                inputs = DoctorInputs(
                    platform=platform,
                    probe=HttpLatencyProbe(http),
                    local=True,
                    database_name="app",
                    database_url=app.url,
                    auth_token=token,
                    env_path=env,
                    config_path=directory / "config.toml",
                    replica=ReplicaTarget(
                        directory / "replica" / "app.db", False, 60, app.url, "app", token
                    ),
                    target="local",
                )
                yield Org(turso, platform, inputs, directory)
            finally:
                await platform.aclose()


def states(report: DoctorReport) -> dict[str, str]:
    return {c.id: c.state for c in report.checks}


async def test_a_healthy_database_passes_and_a_synced_replica_says_its_lag(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        report = await org.doctor()
        assert report.passed, report.to_json()
        assert states(report) == {
            "api-token": "ok",
            "organization": "ok",
            "database": "ok",
            "group": "ok",
            "quota": "ok",
            "reachable": "ok",
            "db-token": "ok",
            "indexes": "ok",
            "replica": "skip",  # off, and no file
            "env-mode": "ok",
            "config-match": "ok",
        }
        assert report.get("reachable").data["latency_ms"] >= 0
        assert "full-access" in report.get("db-token").detail
        assert "expires" in report.get("db-token").detail
        used = report.get("indexes").data["lookups"]
        assert used["xswarm_phone"]["used"] == "idx_users_xswarm_phone"
        assert used["stripe_customer_id"]["used"] == "idx_users_stripe_customer"
        assert used["email"]["used"]  # the UNIQUE autoindex or idx_users_email
        assert [c.id for c in report.checks] == [cid for cid, _ in CHECKS]

        target = org.inputs.replica
        assert target is not None
        never = await org.doctor(replica=replace(target, enabled=True))
        assert never.get("replica").state == "fail" and not never.passed
        assert "never synced" in never.get("replica").detail
        assert "tursotui replica sync" in never.get("replica").fix

        await replica_files.sync(target.path, target.url, target.token)
        synced = await org.doctor(replica=replace(target, enabled=True))
        check = synced.get("replica")
        assert check.state == "ok", check
        assert "sync v2" in check.detail and "behind the primary" in check.detail
        assert check.data["frames_behind"] == 0


async def test_a_revoked_api_token_fails_and_skips_what_needs_it(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        created = await org.platform.create_api_token("doomed", organization=org.turso.organization)
        soon = await org.platform.create_api_token(
            "soon", organization=org.turso.organization, expiration="2d"
        )
        doomed = org.client(created.token)
        expiring = org.client(soon.token)
        try:
            assert (await org.doctor(platform=doomed)).get("api-token").state == "ok"
            await org.platform.revoke_api_token("doomed")
            report = await org.doctor(platform=doomed)
            api = report.get("api-token")
            assert api.state == "fail" and "refused by the Platform API (401)" in api.detail
            assert api.fix
            assert not report.passed
            for skipped in ("organization", "database", "group", "quota", "indexes"):
                assert report.get(skipped).state == "skip"
                assert "needs a valid Platform API token" in report.get(skipped).detail
            assert report.get("reachable").state == "ok"  # the configured URL is still probed
            warned = (await org.doctor(platform=expiring)).get("api-token")
            assert warned.state == "warn" and "expires" in warned.detail, warned
        finally:
            await doomed.aclose()
            await expiring.aclose()


async def test_an_unknown_organization_or_database_fails(tmp_path: Path, sqld_binary: Path) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        missing = await org.doctor("nope")
        check = missing.get("database")
        assert check.state == "fail" and "database 'nope' does not exist" in check.detail
        assert "tursotui db list" in check.fix
        assert missing.get("indexes").state == "skip" and not missing.passed
        # Not the configured database: its URL, token and replica are app's, said so.
        assert "app's, not" in missing.get("replica").detail

        elsewhere = org.client(org.turso.api_token, organization="no-such-org")
        try:
            report = await org.doctor(platform=elsewhere)
        finally:
            await elsewhere.aclose()
        assert report.get("organization").state == "fail"
        assert "organization 'no-such-org' does not exist or this token is not a member (403)" in (
            report.get("organization").detail
        )
        assert report.get("database").state == "skip"
        assert not report.passed


async def test_an_archived_group_and_blocked_writes_fail_until_fixed(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        await org.local_post("/groups/default/local-archive")
        archived = await org.doctor()
        group = archived.get("group")
        assert group.state == "fail" and "group default is archived" in group.detail
        assert group.fix == "`tursotui group unarchive default` (console: u on the Databases tab)"
        assert archived.get("indexes").state == "skip"
        assert not archived.passed
        await org.platform.unarchive_group("default")
        assert (await org.doctor()).get("group").state == "ok"

        await org.platform.update_database_configuration("app", block_writes=True)
        blocked = (await org.doctor()).get("group")
        assert blocked.state == "fail" and "writes are blocked on app" in blocked.detail
        assert blocked.fix == "`tursotui db config app --block-writes off --yes`"
        await org.platform.update_database_configuration("app", block_writes=False)
        assert (await org.doctor()).passed


async def test_a_quota_used_up_fails_and_names_the_block(tmp_path: Path, sqld_binary: Path) -> None:
    directory = tmp_path / "org"
    directory.mkdir()
    (directory / "plan-overrides.json").write_text(json.dumps({"starter": {"rowsWritten": 5}}))
    async with doctor_org(tmp_path, sqld_binary) as org:
        rows = [("INSERT INTO events VALUES (?)", [n]) for n in range(20)]
        await fill(org.turso, "other", ["CREATE TABLE events(n)", *rows])  # 20 rows past 5
        await org.platform.organization_usage()  # measures, and applies the block it earned
        report = await org.doctor()
        quota = report.get("quota")
        assert quota.state == "fail" and "writes are blocked" in quota.detail, quota
        assert "upgrade the plan" in quota.fix
        group = report.get("group")
        assert group.state == "fail" and "by the plan" in group.detail
        assert not report.passed


async def test_a_dead_url_and_the_url_of_another_database_fail(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        dead = await org.doctor(database_url=f"http://127.0.0.1:{free_port()}")
        reach = dead.get("reachable")
        assert reach.state == "fail" and "did not answer GET /health" in reach.detail
        assert "database_url" in reach.fix
        assert dead.get("config-match").state == "fail"
        assert "no database of this organization" in dead.get("config-match").detail
        assert not dead.passed

        other = await org.platform.get_database("other")
        crossed = (await org.doctor(database_url=other.url)).get("config-match")
        assert crossed.state == "fail"
        assert "is database other, but database_name is app" in crossed.detail
        assert crossed.fix.startswith("set database_url to ")


async def test_database_tokens_expired_rotated_or_of_another_database_fail(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        short = (await org.platform.create_database_token("app", expiration="1s")).jwt
        await asyncio.sleep(1.5)
        expired = (await org.doctor(auth_token=short)).get("db-token")
        assert expired.state == "fail" and "TURSO_AUTH_TOKEN expired" in expired.detail
        assert expired.fix == "`tursotui token create app --write-env` (console: 4, n)"

        theirs = (await org.platform.create_database_token("other")).jwt
        report = await org.doctor(auth_token=theirs)
        assert report.get("db-token").state == "fail"
        assert "is not for app" in report.get("db-token").detail
        match = report.get("config-match")
        assert match.state == "fail"
        assert "database_url points at app but TURSO_AUTH_TOKEN is for other" in match.detail

        read_only = (await org.platform.create_database_token("app", authorization="read-only")).jwt
        ro = (await org.doctor(auth_token=read_only)).get("db-token")
        assert ro.state == "ok" and "read-only" in ro.detail

        await org.platform.rotate_database_tokens("app")
        rotated = (await org.doctor()).get("db-token")
        assert rotated.state == "fail" and "refused by app" in rotated.detail, rotated
        fresh = (await org.platform.create_database_token("app")).jwt
        assert (await org.doctor(auth_token=fresh)).get("db-token").state == "ok"

        missing = (await org.doctor(auth_token=None)).get("db-token")
        assert missing.state == "fail" and "TURSO_AUTH_TOKEN is not set" in missing.detail


async def test_a_missing_index_fails_until_its_create_index_runs(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        app = await org.platform.get_database("app")
        token = org.inputs.auth_token
        async with HranaClient(app.url, token) as sql:
            await sql.execute("DROP INDEX idx_users_xswarm_phone")
        check = (await org.doctor()).get("indexes")
        assert check.state == "fail"
        assert "users.xswarm_phone: no index" in check.detail
        assert create_index_sql("xswarm_phone") in check.fix
        assert check.data["lookups"]["xswarm_phone"] == {"indexes": [], "used": None}
        async with HranaClient(app.url, token) as sql:
            await sql.execute(create_index_sql("xswarm_phone"))
        assert (await org.doctor()).get("indexes").state == "ok"

        bare = (await org.doctor("other")).get("indexes")
        assert bare.state == "skip" and "has no users table" in bare.detail


async def test_env_file_readable_by_others_fails_until_0600(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with doctor_org(tmp_path, sqld_binary) as org:
        env = org.inputs.env_path
        assert env is not None
        env.chmod(0o644)
        report = await org.doctor()
        check = report.get("env-mode")
        assert check.state == "fail" and "is mode 0644" in check.detail
        assert check.fix == f"`chmod 600 {env}`"
        assert not report.passed
        env.chmod(0o600)
        assert (await org.doctor()).passed
