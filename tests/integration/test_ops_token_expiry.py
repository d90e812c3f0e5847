"""Every token tursotui mints has an expiry and a ledger entry (metadata only), so the expiry
warnings cover it: setup's, the console's sessions, backups' and imports' own tokens, on the local
Turso (real sqld). The restore wizard's token is checked in tests/ui/test_e2e_local.py."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tursotui.config import read_env_file
from tursotui.config.envfile import AUTH_TOKEN
from tursotui.entry import main
from tursotui.local.host.service import LocalTurso
from tursotui.ops.browse.session import SqlSession
from tursotui.ops.tokens import (
    LedgerEntry,
    TokenLedger,
    decode_claims,
    entry_for,
    expiry_warnings,
    fingerprint,
)
from tursotui.platform import PlatformClient
from tursotui.ui.services import Services

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


def _claims_days(token: str) -> float:
    claims = decode_claims(token)
    assert claims.expires_at is not None and claims.issued_at is not None
    return (claims.expires_at - claims.issued_at) / timedelta(days=1)


def _only_metadata(ledger: TokenLedger, *tokens: str) -> None:
    text = ledger.path.read_text()
    assert "eyJ" not in text
    for token in tokens:
        assert token not in text and token.rsplit(".", 1)[-1] not in text


def test_setup_token_expires_and_is_in_the_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(tmp_path / "cfg" / "config.toml"), "--data-dir", str(tmp_path / "d")]
    assert main([*args, "setup", "--non-interactive", "--json"]) == 0
    steps = {s["step"]: s for s in json.loads(capsys.readouterr().out)["steps"]}
    assert steps["db_token"]["status"] == "done"
    token = read_env_file(tmp_path / "cfg" / ".env")[AUTH_TOKEN]
    assert _claims_days(token) == 90
    ledger = TokenLedger.in_data_dir(tmp_path / "d")
    issued = [e for e in ledger.entries() if e.kind == "issued"]
    assert [(e.fingerprint, e.database, e.target) for e in issued] == [
        (fingerprint(token), "xswarm-users", "local")
    ]
    assert issued[0].expires == decode_claims(token).expires_at
    assert f"recorded in the token ledger as {fingerprint(token)}" in steps["db_token"]["detail"]
    # The schema and test-user steps wrote through setup's own token: no session token was minted (D6).
    assert [e for e in ledger.entries() if e.kind == "session"] == []
    _only_metadata(ledger, token)

    # Read-only, setup's token cannot apply the schema: that step mints ONE full-access session token,
    # with an expiry and a ledger entry, and the test-user step reuses it.
    other = ["--config", str(tmp_path / "ro" / "config.toml"), "--data-dir", str(tmp_path / "d")]
    flags = ["--database", "ro-db", "--read-only", "--test-users", "--json"]
    assert main([*other, "setup", "--non-interactive", *flags]) == 0
    capsys.readouterr()
    sessions = [e for e in ledger.entries() if e.kind == "session"]
    assert [(e.database, e.authorization) for e in sessions] == [("ro-db", "full-access")]
    assert all(e.expires is not None and e.holder_pid == os.getpid() for e in sessions)


async def test_console_session_tokens_expire_and_are_in_the_ledger(
    local_turso: LocalTurso, platform: PlatformClient, tmp_path: Path
) -> None:
    await platform.create_group("default", "sjc")
    await platform.create_database("app", "default")
    services = Services(platform=platform, target="local", banner="", data_dir=tmp_path / "d")
    session = await SqlSession.open(
        platform, "app", read_only=True, ledger=services.ledger, target="local"
    )
    try:
        assert (await session.client.execute("SELECT 1")).scalar() == 1
    finally:
        await session.aclose()
    async with services.open_sql("app", False) as client:
        await client.execute("CREATE TABLE t(x)")
    entries = services.ledger.entries()
    assert [(e.kind, e.database, e.authorization, e.target) for e in entries] == [
        ("session", "app", "read-only", "local"),
        ("session", "app", "full-access", "local"),
    ]
    assert entries[0].fingerprint == fingerprint(session.token)
    assert _claims_days(session.token) == 1
    for entry in entries:
        assert entry.expires is not None and entry.created_at
        assert entry.expires - datetime.now(UTC) <= timedelta(days=1)
    _only_metadata(services.ledger, session.token)


def test_cli_backup_token_is_in_the_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(tmp_path / "config.toml"), "--data-dir", str(tmp_path / "d")]
    (tmp_path / "config.toml").write_text('[tursotui]\ntarget = "local"\n')
    assert (
        main([*args, "backup", "xswarm-users", "--no-prune", "--dir", str(tmp_path / "b")]) == 0
    ), capsys.readouterr().err
    sessions = [e for e in TokenLedger.in_data_dir(tmp_path / "d").entries() if e.kind == "session"]
    backup = [e for e in sessions if e.authorization == "read-only"]
    assert backup and backup[-1].database == "xswarm-users" and backup[-1].expires is not None
    # The folder it made and the backup are private: a backup is a copy of the data.
    (made,) = (tmp_path / "b").iterdir()
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o700
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


def _entry(kind: str, expires: datetime, holder: int | None) -> LedgerEntry:
    base = entry_for("a.b.c", scope="database", database="app", group="default", now=NOW)
    return LedgerEntry(
        **{
            **base.to_json(),
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "kind": kind,
            "holder_pid": holder,
        }
    )


def _gone_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout)


def test_session_entries_warn_only_while_held_and_are_dropped_once_expired(
    tmp_path: Path,
) -> None:
    hour = timedelta(hours=1)
    held_expired = _entry("session", NOW - hour, os.getpid())
    held_fresh = _entry("session", NOW + hour, os.getpid())
    gone_expired = _entry("session", NOW - hour, _gone_pid())
    issued_soon = _entry("issued", NOW + hour, None)
    warnings = expiry_warnings([held_expired, held_fresh, gone_expired, issued_soon], now=NOW)
    assert [(w.entry.kind, w.kind) for w in warnings] == [
        ("session", "expired"),
        ("issued", "expiring"),
    ]
    ledger = TokenLedger(tmp_path / "ledger.json")
    for entry in (held_expired, gone_expired, held_fresh):
        ledger._save([*ledger.entries(), entry])
    ledger.record(issued_soon, now=NOW)
    assert ledger.entries() == [held_fresh, issued_soon]


WRITER = """
import sys
from pathlib import Path
from tursotui.ops.tokens import TokenLedger, entry_for
ledger = TokenLedger(Path(sys.argv[1]))
for i in range(25):
    token = f"h.p.{sys.argv[2]}-{i}"
    ledger.record(entry_for(token, scope="database", database="app", group="default"))
"""


def test_concurrent_writers_lose_no_entry(tmp_path: Path) -> None:
    """A console and a cron backup record at once: every entry is kept (a lock file)."""
    path = tmp_path / "token-ledger.json"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n)]) for n in range(4)
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0, 0, 0]
    entries = TokenLedger(path).entries()
    assert len(entries) == 100 and len({e.fingerprint for e in entries}) == 100
