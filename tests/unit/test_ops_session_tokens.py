"""The session's SQL tokens (D6) on a scripted Platform API: the configured TURSO_AUTH_TOKEN reused where its
claims say it belongs (never another database's or group's, an expired or a refused one), else one token per
database minted once and reused, with its expiry and ledger entry; read-only requests keep read-only tokens
unless the session is declared writable; a rotation drops what it invalidated."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tursotui.local.control.keys import SigningKey
from tursotui.ops.session_tokens import SessionTokens, register_session, session_tokens
from tursotui.ops.token_actions import rotate_tokens
from tursotui.ops.tokens import TokenLedger, fingerprint
from tursotui.platform import Database, Group
from tursotui.support.names import parse_duration

KEY = SigningKey.generate()
APP = Database(
    "app", db_id="0eb771dd-6906-11ee-8553-eaa7715aeaf2", hostname="app.example", group="default"
)
OTHER = Database(
    "other", db_id="11111111-6906-11ee-8553-eaa7715aeaf2", hostname="o.example", group="default"
)
LONE = Database(
    "lone",
    db_id="22222222-0000-0000-0000-000000000000",
    hostname="l.example",
    version="tech-preview",
    group="default",
)


class ScriptedPlatform:
    """The Platform API calls the session makes; every mint and rotation is recorded."""

    def __init__(self) -> None:
        self.organization = "acme"
        self.minted: list[tuple[str, str, str]] = []
        self.rotated: list[tuple[str, str]] = []
        self.databases = {d.name: d for d in (APP, OTHER, LONE)}

    async def create_database_token(
        self, name: str, *, expiration: str, authorization: str
    ) -> SimpleNamespace:
        self.minted.append((name, authorization, expiration))
        token = KEY.mint(
            read_only=authorization == "read-only",
            expires_in=parse_duration(expiration),
            extra={"id": name, "n": len(self.minted)},  # two mints in one second differ
        )
        await asyncio.sleep(0)  # another action may run meanwhile
        return SimpleNamespace(jwt=token)

    async def get_group(self, name: str) -> Group:
        return Group(name, uuid="4c8b3a0e-1111-4222-8333-944455556666")

    async def get_database(self, name: str) -> Database:
        return self.databases[name]

    async def list_databases(self) -> list[Database]:
        return list(self.databases.values())

    async def rotate_group_tokens(self, group: str) -> None:
        self.rotated.append(("group", group))

    async def rotate_database_tokens(self, name: str) -> None:
        self.rotated.append(("database", name))


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Tokens a database refuses (401) when the session checks a configured one with ``SELECT 1``."""
    refused: set[str] = set()

    async def fake_opens(database: Database, token: str, key: str | None = None) -> bool:
        return token not in refused

    monkeypatch.setattr("tursotui.ops.session_tokens._opens", fake_opens)
    return refused


async def test_one_mint_per_database_reused_by_every_action(
    tmp_path: Path, opens: set[str]
) -> None:
    platform = ScriptedPlatform()
    tokens = register_session(platform, auth_token=None, writes_allowed=True)
    ledger = TokenLedger(tmp_path / "ledger.json")
    got = [
        await tokens.token_for(
            platform, APP, read_only=False, ledger=ledger, target="cloud"
        ),  # SQL console
        await tokens.token_for(platform, APP, read_only=False, ledger=ledger),  # import into
        await tokens.token_for(platform, APP, read_only=False, ledger=ledger),  # browser
        await tokens.token_for(platform, APP, read_only=True, ledger=ledger),  # backup
        await tokens.token_for(platform, APP, read_only=True, ledger=ledger),  # restore check
    ]
    assert len(set(got)) == 1 and platform.minted == [("app", "full-access", "1d")]
    assert tokens.mints == 1 and session_tokens(platform) is tokens
    (entry,) = ledger.entries()
    assert (entry.kind, entry.database, entry.fingerprint) == (
        "session",
        "app",
        fingerprint(got[0]),
    )
    assert entry.expires is not None and entry.target == "cloud"
    await tokens.token_for(
        platform, OTHER, read_only=True, ledger=ledger
    )  # another database: its own
    assert platform.minted[-1] == ("other", "read-only", "1d") and tokens.mints == 2


async def test_two_actions_at_once_mint_one_token(opens: set[str]) -> None:
    platform = ScriptedPlatform()
    tokens = SessionTokens()
    first, second = await asyncio.gather(
        tokens.token_for(platform, APP, read_only=True),
        tokens.token_for(platform, APP, read_only=True),
    )
    assert first == second and len(platform.minted) == 1


async def test_read_only_requests_keep_read_only_tokens_unless_the_session_writes(
    opens: set[str],
) -> None:
    platform = ScriptedPlatform()
    strict = SessionTokens()  # unregistered, or the console's read-only mode
    full = await strict.token_for(platform, APP, read_only=False)
    read = await strict.token_for(platform, APP, read_only=True)
    assert full != read and [m[1] for m in platform.minted] == ["full-access", "read-only"]
    assert await strict.token_for(platform, APP, read_only=True) == read  # then reused
    writable = SessionTokens(writes_allowed=True)
    platform.minted.clear()
    read = await writable.token_for(platform, APP, read_only=True)
    full = await writable.token_for(platform, APP, read_only=False)  # a read-only one cannot write
    assert await writable.token_for(platform, APP, read_only=True) in (read, full)
    assert [m[1] for m in platform.minted] == ["read-only", "full-access"]


async def test_the_configured_token_is_reused_only_where_it_belongs(opens: set[str]) -> None:
    platform = ScriptedPlatform()
    for_app = KEY.mint(
        extra={"id": APP.db_id}, expires_in=86_400 * 30
    )  # a cloud token: the db's id
    tokens = SessionTokens(configured=for_app, writes_allowed=True)
    assert await tokens.token_for(platform, APP, read_only=False) == for_app
    assert await tokens.token_for(platform, APP, read_only=True) == for_app
    other = await tokens.token_for(platform, OTHER, read_only=True)  # a token for another database
    assert other != for_app and platform.minted == [("other", "read-only", "1d")]

    group = KEY.mint(extra={"gid": "4c8b3a0e-1111-4222-8333-944455556666", "a": "rw"})
    grouped = SessionTokens(configured=group, writes_allowed=True)
    assert await grouped.token_for(platform, OTHER, read_only=False) == group  # its group's uuid
    elsewhere = SessionTokens(configured=KEY.mint(extra={"gid": "elsewhere"}))
    assert await elsewhere.token_for(platform, APP, read_only=False) != group


async def test_read_only_mode_never_uses_a_full_access_configured_token(opens: set[str]) -> None:
    platform = ScriptedPlatform()
    full = KEY.mint(extra={"id": "app"})
    tokens = register_session(platform, auth_token=full, writes_allowed=False)
    read = await tokens.token_for(platform, APP, read_only=True)
    assert read != full and platform.minted == [("app", "read-only", "1d")]
    read_only = KEY.mint(read_only=True, extra={"id": "app"})
    own = SessionTokens(configured=read_only)
    assert await own.token_for(platform, APP, read_only=True) == read_only
    assert await own.token_for(platform, APP, read_only=False) != read_only  # it cannot write


async def test_expired_refused_or_rotated_tokens_are_not_handed_out(opens: set[str]) -> None:
    platform = ScriptedPlatform()
    expiring = KEY.mint(extra={"id": "app"}, expires_in=300)  # within the reuse margin
    assert (
        await SessionTokens(configured=expiring).token_for(platform, APP, read_only=False)
        != expiring
    )
    refused = KEY.mint(extra={"id": "app"})
    opens.add(refused)  # rotated since it was written to .env: SELECT 1 gets 401
    tokens = SessionTokens(configured=refused)
    minted = await tokens.token_for(platform, APP, read_only=False)
    assert minted != refused and len(platform.minted) == 2

    now = [datetime.now(UTC)]
    clocked = SessionTokens(clock=lambda: now[0])
    first = await clocked.token_for(platform, APP, read_only=True, expiration="1h")
    now[0] += timedelta(minutes=55)  # 5 minutes left: a new one
    assert await clocked.token_for(platform, APP, read_only=True, expiration="1h") != first


async def test_rotating_a_grouped_database_rotates_its_group_and_drops_its_tokens(
    tmp_path: Path, opens: set[str]
) -> None:
    platform = ScriptedPlatform()
    tokens = register_session(platform, auth_token=None, writes_allowed=True)
    held = await tokens.token_for(platform, APP, read_only=False)
    rotation = await rotate_tokens(
        platform, database="app", group=None, ledger=TokenLedger(tmp_path / "l.json")
    )
    # turso-cli: "database app is part of group default, use turso group tokens invalidate"
    assert platform.rotated == [("group", "default")]
    assert (rotation.rotated, rotation.group, rotation.databases) == (
        "group",
        "default",
        ("app", "lone", "other"),
    )
    assert await tokens.token_for(platform, APP, read_only=False) != held
    alone = await rotate_tokens(platform, database="lone", group=None, ledger=None)
    assert platform.rotated[-1] == ("database", "lone") and alone.rotated == "database"


def test_a_client_that_cannot_be_weakly_referenced_gets_a_session_of_one_action() -> None:
    unhashable: Any = {}
    assert session_tokens(unhashable) is not session_tokens(unhashable)
