"""BYOK encryption keys (D8): read from the environment / .env, checked, masked, and the one factory every
Hrana client of a database goes through."""

from __future__ import annotations

import ast
import base64
import os
from pathlib import Path

import httpx
import pytest

from tursotui.config.errors import ConfigError
from tursotui.libsql.keys import (
    CIPHER_HEADER,
    KEY_HEADER,
    EncryptionKeys,
    RemoteEncryption,
    variable_for,
)
from tursotui.ops.session_tokens import register_session, sql_client
from tursotui.platform import Database

ROOT = Path(__file__).resolve().parents[2] / "tursotui"
KEY = base64.b64encode(b"k" * 32).decode()
OTHER = base64.b64encode(b"o" * 32).decode()

FACTORY = {"tursotui/ops/session_tokens.py"}
"""Where a HranaClient of a database may be made: sql_client (and the token check beside it)."""
EXEMPT = {
    "tursotui/local/host/demo.py": "the demo database, made unencrypted by the local Turso itself",
}


def _constructions(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "HranaClient":
                lines.append(node.lineno)
    return lines


def test_every_hrana_client_of_a_database_goes_through_sql_client() -> None:
    """A new call site that builds HranaClient itself would forget the database's encryption key."""
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).as_posix()
        if rel.startswith("tursotui/libsql/") or rel in FACTORY or rel in EXEMPT:
            continue
        offenders += [f"{rel}:{line}" for line in _constructions(path)]
    assert offenders == [], (
        "build Hrana clients with tursotui.ops.session_tokens.sql_client (it adds the database's "
        f"encryption key): {offenders}"
    )
    assert _constructions(ROOT / "ops" / "session_tokens.py")  # the scan does find them


def test_variables_per_database_and_for_the_configured_one() -> None:
    keys = EncryptionKeys.from_sources(
        [
            ("environment", {variable_for("app-db"): KEY, "TURSO_DB_REMOTE_ENCRYPTION_KEY": OTHER}),
            (".env", {variable_for("app-db"): OTHER}),
        ],
        configured="main",
    )
    assert variable_for("app-db") == "TURSO_DB_REMOTE_ENCRYPTION_KEY_APP_DB"
    assert keys.key_for("app-db") == KEY  # the environment wins over .env
    assert keys.key_for("main") == OTHER  # the unsuffixed variable: the configured database only
    assert keys.key_for("elsewhere") is None
    assert sorted(keys.secrets()) == sorted([KEY, OTHER])
    assert KEY not in repr(keys)
    assert keys.encryption_for("app-db") == RemoteEncryption(KEY, None)


def test_a_cipher_per_database_and_the_upload_headers() -> None:
    short = base64.b64encode(b"s" * 16).decode()
    keys = EncryptionKeys.from_sources(
        [
            (
                "environment",
                {variable_for("a"): short, "TURSO_DB_REMOTE_ENCRYPTION_CIPHER_A": "aegis128l"},
            )
        ]
    )
    found = keys.encryption_for("a")
    assert found is not None and found.cipher == "aegis128l"
    assert found.to_json() == {"encryption_key": short, "encryption_cipher": "aegis128l"}
    assert found.upload_headers() == {KEY_HEADER: short, CIPHER_HEADER: "aegis128l"}
    assert RemoteEncryption(KEY).upload_headers()[CIPHER_HEADER] == "aes256gcm"
    assert KEY not in repr(RemoteEncryption(KEY))


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({variable_for("a"): "not base64!"}, "is not valid base64"),
        ({variable_for("a"): base64.b64encode(b"x" * 20).decode()}, "20 bytes, not 16 or 32"),
        (
            {variable_for("a"): KEY, "TURSO_DB_REMOTE_ENCRYPTION_CIPHER_A": "aes128gcm"},
            "32 bytes, not 16 (aes128gcm)",
        ),
        ({"TURSO_DB_REMOTE_ENCRYPTION_CIPHER": "rot13"}, "unknown cipher 'rot13'"),
    ],
)
def test_a_bad_value_names_the_variable_never_the_key(values: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EncryptionKeys.from_sources([(".env", values)])
    message = str(caught.value)
    assert words in message and ".env" in message
    name = next(iter(values))
    assert f"'{name}'" in message
    for name, value in values.items():
        if "_KEY" in name:
            assert value not in message


async def test_sql_client_sends_the_key_of_that_database_only() -> None:
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, text="sqld 0.24.32")

    class Platform:  # what sql_client needs: the session's identity
        organization = "acme"

    platform = Platform()
    keys = EncryptionKeys.from_sources([("environment", {variable_for("secret-db"): KEY})])
    register_session(platform, auth_token=None, writes_allowed=True, encryption=keys)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        for name in ("secret-db", "plain-db"):
            db = Database(name=name, db_id="id-" + name, hostname=f"{name}-acme.turso.io")
            async with sql_client(platform, db, "tok-" * 4, http=http) as client:
                assert await client.version() == "sqld 0.24.32"
    assert seen[0].get(KEY_HEADER) == KEY
    assert KEY_HEADER not in seen[1]


def test_config_check_shows_the_keys_masked_and_names_a_bad_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tursotui.entry import main

    for name in [n for n in os.environ if n.startswith("TURSO_DB_REMOTE_ENCRYPTION")]:
        monkeypatch.delenv(name)
    config = tmp_path / "config.toml"
    config.write_text('[turso]\ndatabase_name = "vault"\n')
    env = tmp_path / ".env"
    env.write_text(f"TURSO_DB_REMOTE_ENCRYPTION_KEY={KEY}\n")
    assert main(["--config", str(config), "config", "check"]) == 0
    shown = capsys.readouterr()
    assert "TURSO_DB_REMOTE_ENCRYPTION_KEY a2tr…(44 chars)" in shown.out
    assert KEY not in shown.out + shown.err

    env.write_text(f"{variable_for('vault')}=abc!\nTURSO_DB_REMOTE_ENCRYPTION_KEY={KEY}\n")
    assert main(["--config", str(config), "config", "check", "--json"]) == 2
    shown = capsys.readouterr()
    assert "TURSO_DB_REMOTE_ENCRYPTION_KEY_VAULT" in shown.out and "not valid base64" in shown.out
    assert KEY not in shown.out + shown.err


def test_a_key_with_surrounding_white_space_is_masked_as_sent() -> None:
    """A quoted .env value may keep a newline: the key sent is stripped, and both forms are masked."""
    key = base64.b64encode(bytes(range(32))).decode()
    keys = EncryptionKeys({"TURSO_DB_REMOTE_ENCRYPTION_KEY_VAULT": key + "\n"})
    assert keys.key_for("vault") == key
    assert key in keys.secrets() and key + "\n" in keys.secrets()
