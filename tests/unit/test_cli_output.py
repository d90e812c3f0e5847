"""What the CLI prints, without a server: `config check --json` names every problem, errors and --json output
never show a token (known or JWT-shaped), `replica status` says the lag is n/a on Turso Cloud, and sizes are in
decimal units (tursotui.support.humanize)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tursotui.cli.db import _show_value
from tursotui.entry import main
from tursotui.libsql.replica import RemotePosition
from tursotui.ops.replica import CLOUD_LAG
from tursotui.platform import PlatformClient, PlatformError
from tursotui.support.redact import mask

API = "plain-api-token-0123456789"
AUTH = "eyJhbGciOiJFZERTQSJ9.eyJhIjoicnciLCJpZCI6ImFwcCJ9.a25vd24tZGF0YWJhc2UtdG9rZW4"
STRANGER = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb21lb25lIn0.dW5rbm93bi1zaWduYXR1cmU"
"""A JWT-shaped string no setting holds (a token minted elsewhere, echoed by a server)."""
URL = "libsql://app-acme.turso.io"


def cloud(tmp_path: Path, extra: str = "") -> list[str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[turso]\norganization = "acme"\ndatabase_name = "app"\ndatabase_url = "{URL}"\n\n'
        f'[tursotui]\ntarget = "cloud"\n{extra}'
    )
    (tmp_path / ".env").write_text(f"TURSO_API_TOKEN={API}\nTURSO_AUTH_TOKEN={AUTH}\n")
    return ["--config", str(config), "--data-dir", str(tmp_path / "data")]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# -- item 6: one redaction policy for CLI errors and --json output -----------------------------------------


def test_a_cli_error_holding_a_token_and_a_jwt_prints_neither(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(self: PlatformClient, **_: Any) -> None:
        raise PlatformError(
            f"the proxy echoed Authorization: Bearer {API} and a token {STRANGER}",
            status=502,
            method="GET",
            path="/v1/organizations/acme/databases",
        )

    async def refused_pages(self: PlatformClient, **_: Any) -> AsyncIterator[None]:
        await refused(self)
        yield None

    monkeypatch.setattr(PlatformClient, "list_databases", refused)
    monkeypatch.setattr(PlatformClient, "database_pages", refused_pages)
    for argv in (["db", "list"], ["db", "list", "--json"]):
        code, out, err = run(capsys, *cloud(tmp_path), *argv)
        assert code == 1
        for secret in (API, STRANGER):
            assert secret not in out + err
        assert err.count("\n") == 1 and err.startswith("tursotui: 502 Platform API error")
        assert mask(API) in err and mask(STRANGER) in err
    body = json.loads(out)
    assert body["exit_code"] == 1 and mask(STRANGER) in body["error"]


# -- item 3: config check --json --------------------------------------------------------------------------


def test_config_check_json_reports_what_is_used_with_masked_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *cloud(tmp_path), "config", "check", "--json")
    assert code == 0 and err == ""
    body = json.loads(out)
    assert body["ok"] is True and body["problems"] == []
    assert (body["target"], body["organization"], body["database"]) == ("cloud", "acme", "app")
    assert body["database_url"] == URL and body["config_found"] and body["env_found"]
    assert body["api_token"] == mask(API) and body["auth_token"] == mask(AUTH)
    assert API not in out and AUTH not in out


def test_config_check_json_names_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[turso]\ndatabase_name = \n")
    env = tmp_path / ".env"
    env.write_text(f"TURSO_API_TOKEN={API}\nthis line is not KEY=value\n")
    argv = ["--config", str(config), "--env-file", str(env), "config", "check"]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 2
    body = json.loads(out)
    assert body["ok"] is False and body["exit_code"] == 2
    files = [p["file"] for p in body["problems"]]
    assert files == [str(config), str(env)]
    assert body["problems"][0]["line"] == 2 and "malformed TOML" in body["problems"][0]["problem"]
    assert body["problems"][1]["line"] == 2
    assert body["error"] == "; ".join(p["message"] for p in body["problems"])
    assert err.count("\n") == 2 and API not in out + err
    # without --json: the same problems, one line each on stderr
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("tursotui: ") == 2


def test_config_check_names_both_missing_cloud_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[tursotui]\ntarget = "cloud"\n')
    code, out, err = run(capsys, "--config", str(config), "config", "check", "--json")
    assert code == 2
    keys = [p["key"] for p in json.loads(out)["problems"]]
    assert keys == ["TURSO_API_TOKEN", "turso.organization"]
    code, out, err = run(capsys, "--config", str(config), "config", "check")
    assert code == 2 and "target        cloud" in out
    assert "Platform API token" in err and "needs an organization" in err


# -- item 5: the lag on Turso Cloud ------------------------------------------------------------------------


def synced_replica(path: Path, frame: int, *, seconds_ago: float) -> None:
    """A replica file as a sync leaves it: the database, libsql's -info (``frame``), tursotui's meta."""
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users(id TEXT PRIMARY KEY)")
    db.executemany("INSERT INTO users VALUES (?)", [(f"u{i:04d}",) for i in range(200)])
    db.commit()
    db.close()
    info = {"hash": 0, "version": 0, "durable_frame_num": frame, "generation": 1}
    path.with_name(path.name + "-info").write_text(json.dumps(info))
    meta = {"last_sync": time.time() - seconds_ago, "ms": 12.5, "frames": 3, "url": URL}
    path.with_name(path.name + ".tursotui.json").write_text(json.dumps(meta))


def test_replica_status_says_the_lag_in_frames_is_na_on_turso_cloud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def cloud_info(url: str, token: str | None) -> RemotePosition:
        assert url == URL and token == AUTH
        return RemotePosition(1, None, {})  # Turso Cloud's /info: the generation only

    monkeypatch.setattr("tursotui.ops.replica.remote_position", cloud_info)
    replica = tmp_path / "replica" / "users.db"
    argv = cloud(tmp_path, f'\n[turso.local_replica]\nlocal_db_path = "{replica}"\n')
    code, out, _ = run(capsys, *argv, "replica", "status", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["exists"] is False and body["lag"]["seconds_since_sync"] is None
    assert body["lag"]["frames_behind"] is None and body["lag"]["note"] == CLOUD_LAG

    synced_replica(replica, 42, seconds_ago=130)
    code, out, _ = run(capsys, *argv, "replica", "status")
    assert code == 0
    lines = dict(line.split(maxsplit=1) for line in out.splitlines() if line[:10].strip())
    assert lines["frame"].startswith("42 ")
    assert lines["lag"].startswith("13") and lines["lag"].endswith("s since the last sync (2 min)")
    both = f"{CLOUD_LAG} (both in generation 1)"
    assert lines["behind"] == both
    assert lines["protocol"] == "sync v2 (/info, /export, /sync) — the protocol Turso Cloud serves"
    body = json.loads(run(capsys, *argv, "replica", "status", "--json")[1])
    assert body["lag"]["replica_frame"] == 42 and body["lag"]["note"] == both
    assert body["protocol"].startswith("sync v2") and body["configured"]["database"] == "app"


# -- sizes: decimal units everywhere the CLI prints one --------------------------------------------------


def test_cli_sizes_are_decimal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _show_value("storage_bytes", 5_000_000) == "5 MB"
    assert _show_value("bytes_synced", 1_500) == "1.5 kB"
    assert _show_value("rows_read", 5_000_000) == "5,000,000"
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "app-20260101-000000.sql").write_bytes(b"x" * 1_500)
    killed = folder / ".app-20260102-000000.sql.tmp.partial"  # left by a killed backup, 2 days ago
    killed.write_bytes(b"x" * 2_500)
    two_days_ago = time.time() - 2 * 86_400
    os.utime(killed, (two_days_ago, two_days_ago))
    config = tmp_path / "config.toml"
    config.write_text('[turso]\ndatabase_name = "app"\n')
    code, out, err = run(capsys, "--config", str(config), "backup", "--list", "--dir", str(folder))
    assert code == 0 and "1.5 kB" in out and "KB" not in out + err
    assert f"removed {killed} (2.5 kB), left by a backup or import that was killed" in err


def test_the_import_leftover_note_is_decimal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tursotui.ops.importer import _remove_scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = next(pid for pid in range(4_000_000, 4_100_000) if not Path(f"/proc/{pid}").exists())
    left = tmp_path / f"tursotui-import-{dead}-abc123"
    left.mkdir()
    (left / "copy.db").write_bytes(b"x" * 3_000)
    notes = asyncio.run(_remove_scratch())  # `import` prints these as its plan's notes
    assert notes == [f"removed {left} (3 kB), left by a killed run"]
