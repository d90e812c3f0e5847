"""``tursotui api-tokens list|create|revoke`` and ``tursotui org audit-log`` end to end: ``entry.main([...])``
in-process against the local Turso on real sqld (a scaler-plan org in tmp_path). A created token is printed
once, alone on stdout, and the local Turso then enforces it; exit codes come from the CLI's one table
(0 ok, 1 failed, 2 bad input)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fixtures.cli import Env, local_env, run
from fixtures.local_turso import started_org

from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import Forbidden, Unauthorized


def make_env(root: Path, binary: Path, plan: str) -> Env:
    env = local_env(root, binary, config=f'local_plan = "{plan}"\n')

    async def seed() -> None:
        async with started_org(
            env.turso_dir,
            binary,
            groups={"default": ["sjc"]},
            databases=[("app", "default")],
            profile=ProfileChoice(plan=plan),
        ) as turso:
            if plan != "starter":
                platform = turso.platform_client(max_retries=0)
                await platform.create_group("tenants", "sjc")
                await platform.aclose()

    asyncio.run(seed())
    return env


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    return make_env(tmp_path, sqld_binary, "scaler")


async def as_token(env: Env, token: str, action: str) -> str:
    """What ``token`` gets from the local Turso (started again on the data dir) for ``action``."""
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=env.binary) as turso:
        platform = PlatformClient(
            token, organization=turso.organization, base_url=IN_PROCESS_BASE_URL,
            transport=turso.transport(), max_retries=0,
        )  # fmt: skip
        try:
            if action == "create in tenants":
                await platform.create_database(f"t{time.monotonic_ns()}", "tenants")
            elif action == "create in default":
                await platform.create_database("sneaky", "default")
            elif action == "validate":
                return str((await platform.validate_token()).exp)
            return "ok"
        except (Forbidden, Unauthorized) as exc:
            return f"{exc.status}: {exc.message}"
        finally:
            await platform.aclose()


def test_create_prints_the_token_once_and_the_local_turso_enforces_it(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    created = run(env, capsys, "api-tokens", "create", "ci")
    assert created.code == 0
    token = created.out.strip()
    assert created.out == token + "\n" and token.count(".") == 2  # alone on stdout
    assert token not in created.err
    assert "API token ci" in created.err and "Shown once" in created.err

    bot = run(
        env, capsys, "api-tokens", "create", "bot", "--group", "tenants",
        "--scope", "read", "--scope", "db:create", "--json",
    )  # fmt: skip
    assert bot.code == 0
    body = bot.json()
    assert (body["group"], body["scopes"]) == ("tenants", ["read", "db:create"])
    assert body["expires_at"].startswith(  # the local Turso's default: 90 days
        time.strftime("%Y-%m-%d", time.gmtime(time.time() + 90 * 86400))
    )
    bot_token = body["token"]
    ledger = run(env, capsys, "token", "list", "--json").json()["tokens"]
    recorded = {e["name"]: e for e in ledger if e["scope"] == "api"}
    assert recorded.keys() == {"ci", "bot"} and recorded["bot"]["group"] == "tenants"
    assert recorded["bot"]["expires_at"] is not None
    assert token not in str(ledger) and bot_token not in str(ledger)
    assert "API token bot (group tenants)" in run(env, capsys, "token", "list").out

    listed = run(env, capsys, "api-tokens", "list", "--json")
    assert listed.code == 0
    tokens = {t["name"]: t for t in listed.json()["tokens"]}
    assert tokens["ci"]["scope"] == "local" and tokens["ci"]["permissions"] == "-"
    assert tokens["bot"]["scope"] == "local/tenants"
    assert tokens["bot"]["permissions"] == "read, db:create"
    assert token not in listed.out and bot_token not in listed.out
    text = run(env, capsys, "api-tokens", "list")
    assert text.out.splitlines()[0].split() == [
        "NAME",
        "SCOPE",
        "PERMISSIONS",
        "CREATED",
        "EXPIRES",
    ]
    assert "local/tenants" in text.out

    assert asyncio.run(as_token(env, bot_token, "create in tenants")) == "ok"
    refused = asyncio.run(as_token(env, bot_token, "create in default"))
    assert refused.startswith("403: forbidden: API token bot is scoped to group tenants")

    unasked = run(env, capsys, "api-tokens", "revoke", "bot")
    assert unasked.code == 2 and "without --yes" in unasked.err
    revoked = run(env, capsys, "api-tokens", "revoke", "bot", "--yes", "--json")
    assert revoked.code == 0 and revoked.json()["revoked"] == "bot"
    assert asyncio.run(as_token(env, bot_token, "validate")).startswith(
        "401: API token bot was revoked"
    )
    assert int(asyncio.run(as_token(env, token, "validate"))) > time.time() + 89 * 86400

    missing = run(env, capsys, "api-tokens", "revoke", "bot", "--yes")
    assert missing.code == 1 and "no API token named 'bot' (there are: ci)" in missing.err


def test_an_expiration_is_kept_by_the_local_turso(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    before = int(time.time())
    created = run(env, capsys, "api-tokens", "create", "short", "--expiration", "2d", "--json")
    assert created.code == 0
    assert created.json()["expires_at"].startswith(
        time.strftime("%Y-%m-%d", time.gmtime(before + 2 * 86_400))
    )
    exp = int(asyncio.run(as_token(env, created.json()["token"], "validate")))
    assert before + 2 * 86_400 <= exp <= int(time.time()) + 2 * 86_400
    listed = {
        t["name"]: t for t in run(env, capsys, "api-tokens", "list", "--json").json()["tokens"]
    }
    assert listed["short"]["expires_at"].endswith("Z")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--group", "tenants", "--scope", "db:drop"], "unknown scope 'db:drop': use one of read"),
        (["--group", "tenants"], "a group-scoped token needs at least one --scope"),
        (["--scope", "read"], "--scope is only for a group-scoped token: add --group G"),
        (["--expiration", "soon"], "invalid expiration 'soon'"),
        (["--group", "Not_A_Group", "--scope", "read"], "invalid group name 'Not_A_Group'"),
    ],
)
def test_bad_input_is_exit_2_naming_what_is_wrong(
    env: Env, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    result = run(env, capsys, "api-tokens", "create", "x", *args, "--json")
    assert result.code == 2 and says in result.err
    assert result.json()["exit_code"] == 2
    bad_name = run(env, capsys, "api-tokens", "create", "two words")
    assert bad_name.code == 2 and "invalid API token name 'two words'" in bad_name.err


def test_org_audit_log_pages_newest_first(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(env, capsys, "api-tokens", "create", "ci").code == 0
    assert run(env, capsys, "api-tokens", "revoke", "ci", "--yes").code == 0
    full = run(env, capsys, "org", "audit-log", "--json")
    assert full.code == 0
    entries = full.json()["audit_logs"]
    codes = [e["code"] for e in entries]
    assert codes == [
        "user-token-revoke",
        "user-token-create",
        "group-create",
        "db-create",
        "group-create",
    ]
    assert entries[0]["author"] == "local" and entries[0]["data"]["name"] == "ci"
    assert full.json()["pagination"] == {
        "page": 1,
        "page_size": 25,
        "total_pages": 1,
        "total_rows": 5,
    }

    second = run(
        env, capsys, "org", "audit-log", "--page", "2", "--page-size", "2", "--json"
    ).json()
    assert [e["code"] for e in second["audit_logs"]] == ["group-create", "db-create"]
    assert second["pagination"]["total_pages"] == 3

    text = run(env, capsys, "org", "audit-log", "--page-size", "2")
    lines = text.out.splitlines()
    assert lines[0].split()[:4] == ["DATE", "(UTC)", "AUTHOR", "CODE"]
    assert "user-token-revoke" in lines[1]
    assert lines[-1] == "page 1 of 3: 2 of 5 entries, newest first; next: --page 2"

    bad = run(env, capsys, "org", "audit-log", "--page", "0")
    assert bad.code == 2 and "invalid page 0: pages start at 1" in bad.err


def test_the_free_plan_has_no_audit_log(
    tmp_path: Path, sqld_binary: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(tmp_path, sqld_binary, "starter")
    refused = run(env, capsys, "org", "audit-log", "--json")
    assert refused.code == 1
    assert "audit logs are not available on the free (starter) plan" in refused.err
    assert refused.json()["exit_code"] == 1
