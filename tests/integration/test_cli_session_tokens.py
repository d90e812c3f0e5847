"""Tokens as the cloud has them, against the local Turso on real sqld: a session mints ONE token per database and
every SQL action reuses it; the configured TURSO_AUTH_TOKEN is reused where its claims say it belongs and
never elsewhere (D6); ``token rotate DB`` rotates the database's group and names every database it cuts off
(D7); ``token decode`` shows the access from ``a`` and the ``p`` permissions (D13). The mints are counted in
the session, in the token ledger and in the local Turso's audit log (``db-token-create``, one line each)."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path

import pytest
from fixtures.cli import Env, fill, local_env, run
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import AuthError, PermissionDeniedError
from tursotui.local.control.audit import AuditLog
from tursotui.local.control.keys import SigningKey
from tursotui.local.host.service import LocalTurso
from tursotui.ops.access import open_database, register_session, session_tokens
from tursotui.ops.backup import backup_database
from tursotui.ops.browse.session import SqlSession
from tursotui.ops.restore import verify_restore
from tursotui.ops.tokens import TokenLedger
from tursotui.platform import PlatformClient


def _token_mints(data_dir: Path, database: str) -> int:
    """``db-token-create`` lines of the local Turso's audit log for ``database``: what the server saw."""
    return sum(
        1
        for e in AuditLog(data_dir).entries()
        if e.code == "db-token-create" and e.data.get("name") == database
    )


# -- one session, five actions, one mint (the console's way: one Platform client) --------------------------------


async def test_five_sql_actions_of_a_session_mint_one_token(
    local_turso: LocalTurso, platform: PlatformClient, tmp_path: Path
) -> None:
    await platform.create_group("default", "sjc")
    await platform.create_database("app", "default")
    ledger = TokenLedger.in_data_dir(tmp_path / "d")
    before = _token_mints(local_turso.data_dir, "app")
    register_session(platform, auth_token=None, writes_allowed=True)
    # 1. the SQL console
    async with open_database(platform, "app", ledger=ledger, target="local") as console:
        await console.client.execute("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT)")
    # 2. import --into: its rows go through open_database, as `tursotui import --into` does
    async with open_database(platform, "app", ledger=ledger, target="local") as into:
        await into.client.batch(
            [("INSERT INTO users(email) VALUES (?)", [f"u{i}@e"]) for i in range(5)]
        )
    # 3. the table browser
    browser = await SqlSession.open(platform, "app", read_only=False, ledger=ledger, target="local")
    try:
        assert await browser.tables() == ["users"]
    finally:
        await browser.aclose()
    # 4. a backup (read-only: served by the session's full-access token, as the session may write)
    async with open_database(platform, "app", read_only=True, ledger=ledger, target="local") as b:
        done = await backup_database(b.client, tmp_path / "app.sql", database="app")
    assert done.tables == {"users": 5}
    # 5. a restore's check (source and copy read side by side; here the same database)
    checked = await verify_restore(platform, "app", "app", ledger=ledger, target="local")
    assert checked.ok

    assert session_tokens(platform).mints == 1
    assert _token_mints(local_turso.data_dir, "app") - before == 1
    sessions = [e for e in ledger.entries() if e.kind == "session"]
    assert [(e.database, e.authorization) for e in sessions] == [("app", "full-access")]
    assert sessions[0].expires is not None  # a day, and the ledger has it


async def test_read_only_mode_mints_one_read_only_token_and_it_refuses_writes(
    local_turso: LocalTurso, platform: PlatformClient, tmp_path: Path
) -> None:
    await platform.create_group("default", "sjc")
    await platform.create_database("app", "default")
    full = (await platform.create_database_token("app")).jwt  # the configured token: full access
    register_session(platform, auth_token=full, writes_allowed=False)  # --read-only
    ledger = TokenLedger.in_data_dir(tmp_path / "d")
    for _ in range(4):
        async with open_database(platform, "app", read_only=True, ledger=ledger) as access:
            assert access.token != full  # never the full-access one in read-only mode
            await access.client.execute("SELECT 1")
    session = await SqlSession.open(platform, "app", read_only=True, ledger=ledger)
    try:
        with pytest.raises(PermissionDeniedError):  # sqld refuses: the token is read-only
            await session.client.execute("CREATE TABLE t(x)")
    finally:
        await session.aclose()
    assert session_tokens(platform).mints == 1
    assert [e.authorization for e in ledger.entries()] == ["read-only"]


# -- through the CLI: the configured TURSO_AUTH_TOKEN ------------------------------------------------------------


async def _seed(directory: Path, binary: Path) -> None:
    async with started_org(
        directory,
        binary,
        groups={"default": ["sjc"]},
        databases=[("app", "default"), ("other", "default")],
    ) as turso:
        for name in ("app", "other"):
            await fill(
                turso,
                name,
                [
                    "create table users(id text primary key, email text)",
                    "insert into users values ('u1', 'u1@e')",
                ],
            )
        await turso.pitr.take("app")


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary)
    asyncio.run(_seed(made.turso_dir, sqld_binary))
    return made


async def _refused(env: Env, name: str, token: str) -> bool:
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=env.binary) as turso:
        platform = turso.platform_client(max_retries=0)
        url = (await platform.get_database(name)).url
        await platform.aclose()
        try:
            async with HranaClient(url, token) as sql:
                await sql.execute("SELECT 1")
        except AuthError:
            return True
        return False


def _sqlite_file(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript("create table users(id text primary key, email text);")
    conn.executemany("insert into users values (?, ?)", [(f"n{i}", f"n{i}@e") for i in range(3)])
    conn.commit()
    conn.close()
    return path


def test_the_configured_token_is_used_where_it_belongs_and_nowhere_else(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    made = run(env, capsys, "token", "create", "app", "--write-env", "--yes")
    assert made.code == 0, made.err
    mints = _token_mints(env.turso_dir, "app")
    backups = str(env.root / "b")
    for args in (
        ("backup", "app", "--dir", backups, "--no-prune"),
        ("import", str(_sqlite_file(env.root / "more.db")), "--into", "app", "--yes"),
        ("backup", "app", "--dir", backups, "--no-prune", "--format", "db"),
    ):
        done = run(env, capsys, *args)
        assert done.code == 0, done.err
    assert env.sessions() == [] and _token_mints(env.turso_dir, "app") == mints  # no mint at all
    # a token of app is not one of other: backing other up mints one (read-only) token for it
    assert run(env, capsys, "backup", "other", "--dir", backups, "--no-prune").code == 0
    assert env.sessions() == ["other"]
    assert _token_mints(env.turso_dir, "other") == 2  # the seed's and this one
    # the restore's check reads app with it and mints one for the new copy only
    restored = run(env, capsys, "restore", "app", "-t", "now", "--name", "app-copy", "--yes")
    assert restored.code == 0, restored.err
    assert env.sessions() == ["other", "app-copy"]

    # A group token of default belongs to every database of the group.
    grouped = run(env, capsys, "token", "create", "--group", "default", "--write-env", "--yes")
    assert grouped.code == 0, grouped.err
    assert run(env, capsys, "backup", "other", "--dir", backups, "--no-prune").code == 0
    assert env.sessions() == ["other", "app-copy"]

    # Rotated, it opens nothing: the session sees the 401 once and mints instead.
    assert run(env, capsys, "token", "rotate", "--group", "default", "--yes").code == 0
    again = run(env, capsys, "backup", "app", "--dir", backups, "--no-prune")
    assert again.code == 0, again.err
    assert env.sessions()[-1] == "app"


# -- D7: rotating a grouped database rotates its group -------------------------------------------------------------


def test_rotating_a_database_in_a_group_rotates_the_group_and_names_every_database(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = {
        name: run(env, capsys, "token", "create", name, "--expiration", "7d").out.strip()
        for name in ("app", "other")
    }
    rotated = run(env, capsys, "token", "rotate", "app", "--yes", "--json")
    assert rotated.code == 0, rotated.err
    body = rotated.json()
    assert (body["database"], body["group"], body["rotated"]) == ("app", "default", "group")
    assert body["databases"] == ["app", "other"] and len(body["ledger_entries_revoked"]) == 2
    assert (
        "Database app is part of group default: its tokens are the group's, so rotating them "
        "rotates group default (as turso-cli does)."
    ) in rotated.err
    text = run(env, capsys, "token", "rotate", "app", "--yes")
    assert "rotated group default (database app is part of it)" in text.out
    assert "tokens that stopped working: those of app, other, and every group token of default" in (
        text.out
    )
    # other's token stopped working too: the group was rotated, not app alone
    assert asyncio.run(_refused(env, "other", tokens["other"]))
    assert asyncio.run(_refused(env, "app", tokens["app"]))
    codes = [e.code for e in AuditLog(env.turso_dir).entries() if e.code.endswith("token-rotate")]
    assert codes == [
        "group-token-rotate",
        "group-token-rotate",
    ]  # never POST …/databases/app/auth/rotate


# -- D13: token decode ---------------------------------------------------------------------------------------------


class _Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_token_decode_shows_a_and_the_p_permissions(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SigningKey.generate()
    cloud_like = key.mint(
        read_only=True,
        extra={
            "id": "0eb771dd-6906-11ee-8553-eaa7715aeaf2",
            "p": {"rw": {"ns": ["app"]}, "roa": {"ns": ["other", "audit"]}},
        },
    )
    monkeypatch.setattr("sys.stdin", _Stdin(cloud_like + "\n"))
    shown = run(env, capsys, "token", "decode")
    assert shown.code == 0 and cloud_like not in shown.out
    lines = shown.out.splitlines()
    assert (
        "access      by database, from p (full-access at most; sqld ignores a: ro and "
        "id: 0eb771dd-6906-11ee-8553-eaa7715aeaf2)"
    ) in lines
    assert "permissions rw (read and write): app" in lines
    assert "            roa (read_attach: ATTACH read-only): other, audit" in lines
    monkeypatch.setattr("sys.stdin", _Stdin(cloud_like + "\n"))
    body = run(env, capsys, "token", "decode", "--json").json()
    assert body["permissions"] == {"rw": ["app"], "roa": ["other", "audit"]}
    assert (body["a"], body["authorization"], body["verified"]) == ("ro", "full-access", False)

    minted = run(env, capsys, "token", "create", "app", "--read-only").out.strip()
    monkeypatch.setattr("sys.stdin", _Stdin(minted + "\n"))
    local = run(env, capsys, "token", "decode")
    # The local Turso's tokens are cloud-shaped: a, id the database's UUID, p naming the namespace.
    assert "access      by database, from p" in local.out
    assert "permissions ro" in local.out and "database    app" not in local.out
    monkeypatch.setattr("sys.stdin", _Stdin(minted + "\n"))
    body = run(env, capsys, "token", "decode", "--json").json()
    assert (body["a"], body["permissions"]) == ("ro", {"ro": ["app"]})
    assert len(body["id"]) == 36 and body["id"].count("-") == 4
