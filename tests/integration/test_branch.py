"""``tursotui db branch SOURCE NEW [--timestamp T] [--group G]`` end to end on real sqld: the cloud's
seed-from-database (as ``turso db branch``), now or at a listed recovery point, checked first (exit 2),
verified after, and an encrypted source branched with its key."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from fixtures.cli import USERS_AND_EVENTS, Env, fill, local_env, run
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.keys import RemoteEncryption, variable_for
from tursotui.platform import Seed

KEY = base64.b64encode(b"b" * 32).decode()


async def _seed(directory: Path, binary: Path) -> None:
    async with started_org(
        directory,
        binary,
        groups={"default": ["sjc"], "other": ["iad"]},
        databases=[("app", "default")],
    ) as turso:
        await fill(turso, "app", USERS_AND_EVENTS)
        await turso.pitr.take("app")
        platform = turso.platform_client(max_retries=0)
        try:
            created = await platform.create_database(
                "vault", "default", remote_encryption=RemoteEncryption(KEY, "aes256gcm").to_json()
            )
            token = (await platform.create_database_token("vault")).jwt
        finally:
            await platform.aclose()
        async with HranaClient(created.url, token, encryption_key=KEY) as sql:
            await sql.batch(USERS_AND_EVENTS)


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary)
    asyncio.run(_seed(made.turso_dir, sqld_binary))
    return made


def test_branch_now_and_at_a_listed_point(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    now = run(env, capsys, "db", "branch", "app", "feature", "--yes", "--json")
    assert now.code == 0, now.err
    data = now.json()
    assert data["source"] == "app" and data["name"] == "feature" and data["group"] == "default"
    assert data["timestamp"] is None and data["verification"]["ok"] is True
    assert {"table": "users", "source_now": 120, "restored": 120} in data["verification"][
        "row_counts"
    ]
    listed = run(env, capsys, "db", "list")
    assert "from:app" in next(line for line in listed.out.splitlines() if "feature" in line)

    points = run(env, capsys, "restore", "app", "--list-points", "--json").json()
    first = points["recovery_points"][-1]  # the newest: the filled database
    at = run(
        env,
        capsys,
        "db",
        "branch",
        "app",
        "old-app",
        "--timestamp",
        first["taken_at"],
        "--group",
        "other",
        "--yes",
    )
    assert at.code == 0, at.err
    assert f"recovery point {first['id']}" in at.err  # named before it is made
    assert "branched app" in at.out and "group  other" in at.out


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["app", "app"], 2, "must be different from the source"),
        (["app", "Bad_Name"], 2, "invalid branch name"),
        (["app", "x", "--timestamp", "someday"], 2, "invalid restore time 'someday'"),
        (["app", "x", "--timestamp", "in 2 hours"], 2, ""),
        (["app", "vault"], 1, "already exists"),
        (["nope", "x"], 1, "nope"),
    ],
)
def test_bad_branches_are_refused_before_anything_is_made(
    env: Env, capsys: pytest.CaptureFixture[str], args: list[str], code: int, words: str
) -> None:
    refused = run(env, capsys, "db", "branch", *args, "--yes")
    assert refused.code == code, refused.out + refused.err
    assert words.lower() in refused.err.lower()
    names = [d["name"] for d in run(env, capsys, "db", "list", "--json").databases()]
    assert names == ["app", "vault"]


def test_an_encrypted_source_is_branched_with_its_key(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    without = run(env, capsys, "db", "branch", "vault", "vault-b", "--yes")
    assert without.code == 1 and "vault is encrypted" in without.err
    (env.root / ".env").write_text(f"{variable_for('vault')}={KEY}\n")
    done = run(env, capsys, "db", "branch", "vault", "vault-b", "--yes", "--json")
    assert done.code == 0, done.err
    assert done.json()["encrypted"] is True
    assert done.json()["key_variable"] == variable_for("vault-b")
    assert variable_for("vault-b") in done.err
    assert KEY not in done.out + done.err + without.err
    assert Seed.copy("vault").to_json()["value"] == "vault"  # turso-cli's field, sent with name
