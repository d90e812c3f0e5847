"""BYOK-encrypted databases (D8) end to end on real sqld: created with ``remote_encryption``, every request on
their URLs wanting ``x-turso-encryption-key``, branches and restores wanting the same key, and the CLI
sending the key from ``.env`` on every request (backup's ``GET /dump`` too) without ever printing it.

Not reproduced: sqld 0.24.32 does not encrypt pages, so the files here are plain SQLite."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sqlite3
import stat
from pathlib import Path

import httpx
import pytest
from fixtures.cli import USERS_AND_EVENTS, Env, local_env, run
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import HttpError
from tursotui.libsql.keys import EncryptionKeys, RemoteEncryption, variable_for
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.ops.import_source import open_source
from tursotui.ops.importer import import_new, plan_new
from tursotui.ops.session_tokens import register_session
from tursotui.platform import PlatformClient, Seed
from tursotui.platform.errors import BadRequest

RAW = bytes(range(32))
KEY = base64.b64encode(RAW).decode()
WRONG = base64.b64encode(b"w" * 32).decode()
ENCRYPTED = RemoteEncryption(KEY, "aes256gcm").to_json()


async def _vault(platform: PlatformClient, name: str = "vault") -> tuple[str, str]:
    created = await platform.create_database(name, "default", remote_encryption=ENCRYPTED)
    token = (await platform.create_database_token(name)).jwt
    async with HranaClient(created.url, token, encryption_key=KEY) as sql:
        await sql.batch(
            [
                "create table secrets(id integer primary key, v text)",
                *[("insert into secrets(v) values (?)", [f"s{i}"]) for i in range(25)],
            ]
        )
    return created.url, token


async def _raw_database(turso: LocalTurso, name: str) -> dict[str, object]:
    async with httpx.AsyncClient(
        transport=turso.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {turso.api_token}"},
    ) as http:
        answer = await http.get(f"/v1/organizations/{turso.organization}/databases/{name}")
    body = answer.json()["database"]
    assert isinstance(body, dict)
    return body


async def test_an_encrypted_database_wants_its_key_on_every_request(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await platform.create_group("default", "sjc")
    await platform.add_location("default", "iad")
    url, token = await _vault(platform)

    # Only the key's hash and the cipher are kept, in a 0600 state file; the answer names the cipher.
    assert local_turso.cp.database("vault").encryption == {
        "cipher": "aes256gcm",
        "key_sha256": hashlib.sha256(RAW).hexdigest(),
    }
    state = local_turso.cp.store.path
    assert KEY not in state.read_text() and stat.S_IMODE(state.stat().st_mode) == 0o600
    assert (await _raw_database(local_turso, "vault"))["encryption_cipher"] == "aes256gcm"

    async with HranaClient(url, token, encryption_key=KEY) as sql:
        assert (await sql.execute("select count(*) from secrets")).rows == ((25,),)
        dumped = b"".join([chunk async for chunk in sql.dump()])
        assert b"CREATE TABLE IF NOT EXISTS secrets" in dumped
    async with HranaClient(url, token) as sql:
        with pytest.raises(HttpError) as missing:
            await sql.execute("select 1")
    assert missing.value.status == 400
    assert "database vault is encrypted" in str(missing.value)
    assert "x-turso-encryption-key" in str(missing.value)
    async with HranaClient(url, token, encryption_key=WRONG) as sql:
        with pytest.raises(HttpError, match="is not its key") as wrong:
            await sql.execute("select 1")
    assert WRONG not in str(wrong.value)

    replica = next(i for i in await platform.list_instances("vault") if i.type == "replica")
    replica_url = f"http://{replica.hostname}"
    async with HranaClient(replica_url, token) as sql:
        with pytest.raises(HttpError, match="is encrypted"):
            await sql.execute("select 1")
    async with HranaClient(replica_url, token, encryption_key=KEY) as sql:
        for _ in range(50):  # the replica catches up with the primary
            if (await sql.execute("select count(*) from secrets")).rows == ((25,),):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the replica never served the encrypted database's rows")


async def test_a_new_encrypted_database_needs_a_valid_key_and_cipher(
    local_turso: LocalTurso,
) -> None:
    platform = local_turso.platform_client(max_retries=0)  # bodies the spec itself refuses, too
    await platform.create_group("default", "sjc")
    bad = [
        ({"encryption_key": KEY}, "encryption_cipher is required"),
        ({"encryption_key": "no!", "encryption_cipher": "aes256gcm"}, "not valid base64"),
        ({"encryption_key": KEY, "encryption_cipher": "aes128gcm"}, "decodes to 32 bytes"),
        ({"encryption_key": KEY, "encryption_cipher": "rot13"}, "unknown"),
    ]
    for body, words in bad:
        with pytest.raises(BadRequest, match=words) as refused:
            await platform.create_database("never", "default", remote_encryption=body)
        assert KEY not in str(refused.value)
    assert [d.name for d in await platform.list_databases()] == []
    await platform.aclose()


async def test_branches_and_restores_of_an_encrypted_database_need_the_same_key(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    await platform.create_group("default", "sjc")
    await _vault(platform)
    with pytest.raises(BadRequest, match="needs its encryption key"):
        await platform.create_database("copy", "default", seed=Seed.copy("vault"))
    with pytest.raises(BadRequest, match="is not the key of database vault"):
        await platform.create_database(
            "copy", "default", seed=Seed.copy("vault"), remote_encryption={"encryption_key": WRONG}
        )
    # A fork derives the cipher from its source (turso-cli sends the key alone then).
    branch = await platform.create_database(
        "copy", "default", seed=Seed.copy("vault"), remote_encryption={"encryption_key": KEY}
    )
    latest = local_turso.pitr.list("vault")[-1]
    restored = await platform.create_database(
        "back",
        "default",
        seed=Seed.restore("vault", _iso(latest.taken_at)),
        remote_encryption=ENCRYPTED,
    )
    for name, created in (("copy", branch), ("back", restored)):
        assert (
            local_turso.cp.database(name).encryption == local_turso.cp.database("vault").encryption
        )
        token = (await platform.create_database_token(name)).jwt
        async with HranaClient(created.url, token, encryption_key=KEY) as sql:
            assert (await sql.execute("select count(*) from secrets")).rows == ((25,),)
        async with HranaClient(created.url, token) as sql:
            with pytest.raises(HttpError, match="is encrypted"):
                await sql.execute("select 1")


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch + 0.5, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the CLI, with the key in .env -----------------------------------------------------------------


async def _seed_vault(directory: Path, binary: Path) -> None:
    async with started_org(
        directory, binary, groups={"default": ["sjc"]}, databases=[("app", "default")]
    ) as turso:
        platform = turso.platform_client(max_retries=0)
        try:
            created = await platform.create_database(
                "vault", "default", remote_encryption=ENCRYPTED
            )
            token = (await platform.create_database_token("vault")).jwt
        finally:
            await platform.aclose()
        async with HranaClient(created.url, token, encryption_key=KEY) as sql:
            await sql.batch(USERS_AND_EVENTS)
        await turso.pitr.take("vault")


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(
        tmp_path, sqld_binary, config=f'\n[turso.backup]\ndirectory = "{tmp_path / "b"}"\n'
    )
    asyncio.run(_seed_vault(made.turso_dir, sqld_binary))
    return made


def test_the_cli_sends_the_key_from_env_and_never_prints_it(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    without = run(env, capsys, "backup", "vault", "--json")
    assert without.code == 1 and "database vault is encrypted" in without.out + without.err
    assert f"set {variable_for('vault')} to its key" in without.out + without.err

    (env.root / ".env").write_text(f"{variable_for('vault')}={KEY}\n")
    backup = run(env, capsys, "backup", "vault", "--json")
    assert backup.code == 0, backup.out + backup.err
    assert json.loads(backup.out)["tables"]["users"] == 120

    restored = run(
        env, capsys, "restore", "vault", "--timestamp", "now", "--name", "vault-again", "--yes"
    )
    assert restored.code == 0, restored.out + restored.err
    assert "schema equal" in restored.out
    assert variable_for("vault-again") in restored.err  # how to reach the copy later
    for result in (without, backup, restored):
        assert KEY not in result.out + result.err


@pytest.mark.parametrize("platform_kind", ["fly", "aws"])
async def test_an_import_into_a_new_database_is_encrypted_with_its_key(
    tmp_path: Path, sqld_binary: Path, platform_kind: str
) -> None:
    """``TURSO_DB_REMOTE_ENCRYPTION_KEY_<NEW>`` makes ``import --new`` create an encrypted database: the dump
    seed with remote_encryption (Fly), or the upload with turso-cli's cipher headers (AWS)."""
    source_file = tmp_path / "old.db"
    with sqlite3.connect(source_file) as conn:
        conn.execute("create table t(x)")
        conn.executemany("insert into t values (?)", [(i,) for i in range(30)])
    conn.close()
    primary = "aws-us-east-1" if platform_kind == "aws" else "sjc"
    async with started_org(
        tmp_path / "org",
        sqld_binary,
        groups={"default": [primary]},
        databases=[],
        profile=ProfileChoice(platform=platform_kind),
    ) as turso:
        platform = turso.platform_client(max_retries=0)
        keys = EncryptionKeys.from_sources([("environment", {variable_for("imported"): KEY})])
        register_session(platform, auth_token=None, writes_allowed=True, encryption=keys)
        try:
            with await open_source(source_file) as source:
                plan = await plan_new(platform, source, "imported")
                assert plan.method == ("upload" if platform_kind == "aws" else "dump")
                assert any("will be encrypted (aes256gcm)" in n for n in plan.notes)
                result = await import_new(platform, plan)
            assert result.tables == {"t": 30}
            assert turso.cp.database("imported").encryption == {
                "cipher": "aes256gcm",
                "key_sha256": hashlib.sha256(RAW).hexdigest(),
            }
            created = await platform.get_database("imported")
            token = (await platform.create_database_token("imported")).jwt
            async with HranaClient(created.url, token) as sql:
                with pytest.raises(HttpError, match="is encrypted"):
                    await sql.execute("select 1")
        finally:
            await platform.aclose()


async def test_a_new_url_refuses_every_request_until_its_checks_are_set(
    platform: PlatformClient, local_turso: LocalTurso
) -> None:
    """A replica location added to an encrypted database's group: between the new proxy's bind and the
    control plane's marks, a request must not reach sqld unchecked (it is told to retry); then the key is
    wanted there too. An upload with a query string is still checked for the cipher."""
    from tursotui.local.engine.dataplane import NOT_YET_SERVED

    await platform.create_group("default", "sjc")
    _url, token = await _vault(platform)
    dataplane = local_turso.cp.dataplane
    await dataplane.start_node("iad")
    port = await dataplane.expose("vault", "iad", 0)  # as attach_replica does, before any mark
    proxy = next(p for p in dataplane.proxies_of("vault") if p.port == port)
    assert proxy.answer_all == NOT_YET_SERVED
    async with HranaClient(f"http://127.0.0.1:{port}", token) as sql:
        with pytest.raises(HttpError) as early:
            await sql.execute("select count(*) from secrets")
    assert early.value.status == 503 and "starting" in str(early.value)
    await platform.add_location("default", "iad")  # marks every URL of the database
    async with HranaClient(f"http://127.0.0.1:{port}", token) as sql:
        with pytest.raises(HttpError, match="is encrypted"):
            await sql.execute("select 1")

    db = local_turso.cp.database("vault")
    head = b"POST /v1/upload?x=1 HTTP/1.1\r\nx-turso-encryption-key: " + KEY.encode() + b"\r\n\r\n"
    from tursotui.local.control.encryption import refusal

    assert "x-turso-encryption-cipher" in (refusal(db, head) or "")
