"""``tursotui doctor`` end to end on the local Turso over real sqld: exit codes (0 all pass, 1 a check failed, 2 bad
input), the ``--json`` shape, and ``--all`` on a fleet of a few dozen databases, summarised per check, with
Platform API requests that do not grow with the number of databases and one token per group."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.cli import Env, fill, run
from fixtures.contract import SpecValidator
from fixtures.local_turso import started_org

from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.ops.doctor import CHECKS, DoctorInputs
from tursotui.ops.doctor.fleet import run_fleet
from tursotui.ops.latency import HttpLatencyProbe
from tursotui.platform import PlatformClient
from tursotui.support.xswarm import SCHEMA

FLEET = 36
"""Databases of the ``--all`` tests: ``app`` and ``t01``…``t35`` over two groups."""
SCHEMA_ON = ("app", "t01", "t02", "t03")
"""The databases given the seed's schema (the others have no users table: their index check is skipped)."""


def _names() -> list[str]:
    return ["app", *(f"t{n:02d}" for n in range(1, FLEET))]


async def _org(directory: Path, binary: Path) -> tuple[str, str]:
    """The fleet; returns app's URL and a token of it."""
    databases = [(name, "default" if n % 2 == 0 else "tenants") for n, name in enumerate(_names())]
    async with started_org(
        directory, binary, groups={"default": ["sjc"], "tenants": ["sjc"]}, databases=databases
    ) as turso:
        for name in SCHEMA_ON:
            await fill(turso, name, list(SCHEMA))
        await fill(turso, "t03", ["DROP INDEX idx_users_stripe_customer"])
        platform = turso.platform_client(max_retries=0)
        try:
            app = await platform.get_database("app")
            token = (await platform.create_database_token("app", expiration="30d")).jwt
        finally:
            await platform.aclose()
    return app.url, token


def _seed(env: Env) -> None:
    """The fleet, config.toml naming app and its URL, .env (0600) with a token of app."""
    url, token = asyncio.run(_org(env.turso_dir, env.binary))
    env.config.write_text(
        f'[turso]\ndatabase_name = "app"\ndatabase_url = "{url}"\n\n[tursotui]\ntarget = "local"\n'
    )
    (env.root / ".env").write_text(f"TURSO_AUTH_TOKEN={token}\n")
    (env.root / ".env").chmod(0o600)


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    found = Env(tmp_path, sqld_binary)
    _seed(found)
    return found


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in body["checks"]}


def test_exit_codes_and_the_json_shape(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    healthy = run(env, capsys, "doctor")
    assert healthy.code == 0, healthy.out + healthy.err
    assert "doctor: database app (local Turso" in healthy.out
    assert "OK    Platform API token" in healthy.out
    assert "0 failed" in healthy.out

    body = run(env, capsys, "doctor", "--json").json()
    assert set(body) == {"database", "organization", "target", "passed", "counts", "checks"}
    assert (body["database"], body["target"], body["passed"]) == ("app", "local", True)
    assert [c["id"] for c in body["checks"]] == [cid for cid, _ in CHECKS]
    for check in body["checks"]:
        assert set(check) <= {"id", "title", "state", "detail", "fix", "data"}
        assert check["state"] in ("ok", "warn", "fail", "skip")
    assert _by_id(body)["reachable"]["data"]["latency_ms"] >= 0
    assert set(body["counts"]) == {"ok", "warn", "fail", "skip"}

    (env.root / ".env").chmod(0o644)
    broken = run(env, capsys, "doctor")
    assert broken.code == 1
    assert "FAIL  .env mode" in broken.out and f"fix: `chmod 600 {env.root / '.env'}`" in broken.out
    failed = run(env, capsys, "doctor", "--json")
    assert failed.code == 1 and failed.json()["passed"] is False
    assert _by_id(failed.json())["env-mode"]["fix"] == f"`chmod 600 {env.root / '.env'}`"
    (env.root / ".env").chmod(0o600)

    other = run(env, capsys, "doctor", "t03", "--json")
    assert other.code == 1  # its stripe_customer_id lookup scans users
    indexes = _by_id(other.json())["indexes"]
    assert indexes["state"] == "fail" and "users.stripe_customer_id: no index" in indexes["detail"]
    assert "CREATE INDEX IF NOT EXISTS idx_users_stripe_customer" in indexes["fix"]

    assert run(env, capsys, "doctor", "nope").code == 1
    both = run(env, capsys, "doctor", "app", "--all")
    assert both.code == 2 and "give a DATABASE or --all, not both" in both.err
    zero = run(env, capsys, "doctor", "--all", "--concurrency", "0")
    assert zero.code == 2 and "--concurrency takes 1 to 64, not 0" in zero.err
    bad = run(env, capsys, "doctor", "Bad Name")
    assert bad.code == 2 and "invalid database name" in bad.err


def test_all_summarises_each_check_across_the_fleet(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_archive(env, "tenants"))
    result = run(env, capsys, "doctor", "--all", "--json")
    assert result.code == 1, result.err
    body = result.json()
    assert set(body) == {"organization", "target", "databases", "passed", "checks"}
    assert body["databases"] == FLEET and body["passed"] is False
    checks = _by_id(body)
    assert [c["id"] for c in body["checks"]] == [cid for cid, _ in CHECKS]
    tenants = FLEET // 2
    assert checks["group"]["counts"] == {
        "ok": FLEET - tenants,
        "warn": 0,
        "fail": tenants,
        "skip": 0,
    }
    assert (
        checks["group"]["fix"]
        == "`tursotui group unarchive tenants` (console: u on the Databases tab)"
    )
    assert {f["database"] for f in checks["group"]["findings"]} == {
        n for i, n in enumerate(_names()) if i % 2 == 1
    }
    # t01 and t03 are archived tenants (not checked); app and t02 have every index.
    assert checks["indexes"]["counts"] == {"ok": 2, "warn": 0, "fail": 0, "skip": FLEET - 2}
    assert checks["reachable"]["counts"]["ok"] == FLEET
    for configured in ("db-token", "replica", "env-mode", "config-match"):
        assert checks[configured]["scope"] == "configuration"
    assert checks["api-token"]["scope"] == "organization"

    text = run(env, capsys, "doctor", "--all")
    assert text.code == 1
    assert f"doctor --all: {FLEET} databases" in text.out
    assert "FAIL  Group archived/blocked" in text.out
    assert "fix: `tursotui group unarchive tenants`" in text.out


async def _archive(env: Env, group: str) -> None:
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=env.binary) as turso:
        async with httpx.AsyncClient(
            transport=turso.transport(),
            base_url=IN_PROCESS_BASE_URL,
            headers={"Authorization": f"Bearer {turso.api_token}"},
        ) as http:
            answer = await http.post(
                f"/v1/organizations/{turso.organization}/groups/{group}/local-archive"
            )
        assert answer.status_code == 200, answer.text


async def test_all_asks_the_platform_api_the_same_whatever_the_fleet_size(
    tmp_path: Path, sqld_binary: Path
) -> None:
    env = Env(tmp_path, sqld_binary)
    await _org(env.turso_dir, sqld_binary)
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=sqld_binary) as turso:
        checked = SpecValidator.default().wrap(turso.transport())
        platform = PlatformClient(
            turso.api_token,
            organization=turso.organization,
            base_url=IN_PROCESS_BASE_URL,
            transport=checked,
            max_retries=0,
        )
        seen: list[tuple[int, int]] = []
        async with httpx.AsyncClient(timeout=3.0) as http:
            inputs = DoctorInputs(
                platform=platform, probe=HttpLatencyProbe(http), local=True, target="local"
            )
            try:
                report = await run_fleet(
                    inputs, concurrency=4, progress=lambda d, t: seen.append((d, t))
                )
                first = len(checked.exchanges)
                for name in ("extra1", "extra2", "extra3"):
                    await platform.create_database(name, "tenants")
                before = len(checked.exchanges)
                bigger = await run_fleet(inputs, concurrency=4)
                second = len(checked.exchanges) - before
            finally:
                await platform.aclose()
    assert report.databases == FLEET and bigger.databases == FLEET + 3
    paths = [r.url.path for r, _ in checked.exchanges[:first]]
    # One group token per group (the index check's SQL), every other request once for the whole fleet.
    assert sum(p.endswith("/auth/tokens") for p in paths) == 2
    assert first == second, paths
    assert first <= 12
    assert seen[-1] == (FLEET, FLEET) and len(seen) == FLEET
    assert json.dumps(report.to_json())  # plain JSON
