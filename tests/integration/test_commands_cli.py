"""The scriptable CLI end to end: `tursotui.cli.main([...])` in-process against the local Turso
on real sqld (config and data dir in tmp_path). Exit codes: 0 ok, 1 failed, 2 bad input."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path

import pytest
from fixtures.cli import USERS_AND_EVENTS, Env, fill, local_env, run
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import AuthError
from tursotui.local.host.service import LocalTurso
from tursotui.ops.backup import source_row_counts


async def _seed(directory: Path, binary: Path) -> None:
    async with started_org(
        directory, binary, groups={"default": ["sjc"]}, databases=[("app", "default")]
    ) as turso:
        await fill(turso, "app", USERS_AND_EVENTS)
        await turso.pitr.take("app")


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary)
    asyncio.run(_seed(made.turso_dir, sqld_binary))
    return made


async def _with_turso(env: Env, sqld_binary: Path, name: str, token: str) -> dict[str, int]:
    """Row counts of ``name`` read with ``token`` (the local Turso started again)."""
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=sqld_binary) as turso:
        platform = turso.platform_client(max_retries=0)
        url = (await platform.get_database(name)).url
        await platform.aclose()
        async with HranaClient(url, token) as sql:
            return await source_row_counts(sql)


# -- db --------------------------------------------------------------------------------------------


def test_db_list_show_usage_json(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    listed = run(env, capsys, "db", "list", "--json")
    assert listed.code == 0
    summary = listed.lines()[-1]["summary"]
    assert summary["organization"] == "local" and summary["target"] == "local"
    [db] = listed.databases()
    assert (
        db["name"] == "app"
        and db["group"] == "default"
        and db["url"].startswith("http://127.0.0.1:")
    )

    shown = run(env, capsys, "db", "show", "app", "--json").json()
    assert shown["database"]["name"] == "app"  # type: ignore[index]
    assert [i["type"] for i in shown["instances"]] == ["primary"]  # type: ignore[union-attr]
    assert "block_writes" in shown["configuration"]  # type: ignore[operator]

    usage = run(env, capsys, "db", "usage", "app", "--json").json()
    assert usage["database"] == "app" and usage["usage"]["storage_bytes"] > 0  # type: ignore[index]
    org = run(env, capsys, "db", "usage", "--json").json()
    assert org["usage"]["databases"] == 1  # type: ignore[index]

    text = run(env, capsys, "db", "list")
    assert text.code == 0 and "app" in text.out and "default" in text.out


def test_db_errors(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    missing = run(env, capsys, "db", "show", "nope", "--json")
    assert missing.code == 1
    assert missing.json()["exit_code"] == 1 and "nope" in str(missing.json()["error"])
    bad = run(env, capsys, "db", "show", "Not_Valid")
    assert bad.code == 2 and bad.out == ""
    assert bad.err.count("\n") == 1 and bad.err.startswith("tursotui: invalid database name")


# -- backup ----------------------------------------------------------------------------------------


def test_backup_verified_listed_and_pruned(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    folder = env.data / "backups"
    folder.mkdir(parents=True)
    (folder / "app-20200101-000000.sql").write_text("old")  # ours, past retention
    (folder / "app-manual.sql").write_text("not ours")
    done = run(env, capsys, "backup", "--json")
    assert done.code == 0, done.err
    data = done.json()
    assert data["verified"] is True and data["integrity"] == "ok"
    assert data["tables"] == {"users": 120, "events": 40}
    assert data["pruned"] == [str(folder / "app-20200101-000000.sql")]
    path = Path(str(data["path"]))
    assert path.parent == folder and path.name.startswith("app-") and path.suffix == ".sql"
    assert (folder / "app-manual.sql").exists()

    other = env.root / "elsewhere"
    as_db = run(env, capsys, "backup", "app", "--format", "db", "--dir", str(other))
    assert as_db.code == 0, as_db.err
    assert "verified  integrity ok; 2 tables, 160 rows match" in as_db.out
    [db_file] = list(other.iterdir())
    conn = sqlite3.connect(db_file)
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    assert conn.execute("select count(*) from users").fetchone() == (120,)
    conn.close()

    listing = run(env, capsys, "backup", "--list", "--json").json()
    assert [b["path"] for b in listing["backups"]] == [str(path)]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["backup", "Bad_Name"], 2, "invalid database name"),
        (["backup", "--dir", "{file}"], 2, "is not a directory"),
        (["backup", "missing-db"], 1, "missing-db"),
        (["token", "create", "--expiration", "3x"], 2, "invalid expiration '3x'"),
        (["token", "create", "app", "--group", "default"], 2, "not both"),
        (["token", "rotate", "app"], 2, "without --yes"),
        (["restore", "app", "-t", "2026-01-01T00:00:00", "--name", "r1"], 2, "days window"),
        (["restore", "app", "-t", "2 fortnights ago", "--name", "r1"], 2, "unknown unit"),
        (["restore", "app", "-t", "2999-01-01T00:00:00Z", "--name", "r1"], 2, "in the future"),
        (["restore", "app", "-t", "now", "--name", "r1"], 2, "without --yes"),
        (["restore", "app", "-t", "now", "--name", "app", "--yes"], 2, "needs a new name"),
        (["import", "{root}/missing.db", "--new", "x"], 2, "does not exist"),
        (["import", "{file}", "--new", "UPPER"], 2, "invalid new database name"),
    ],
)
def test_bad_input_exits_with_one_clear_line(
    env: Env, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    a_file = env.root / "a-file"
    a_file.write_text("")
    argv = [a.format(file=a_file, root=env.root) for a in args]
    result = run(env, capsys, *argv)
    assert result.code == code, result.err
    assert result.err.count("\n") == 1 or "WARNING" in result.err, result.err
    assert message in result.err.splitlines()[-1]
    as_json = run(env, capsys, *argv, "--json")
    assert as_json.code == code and as_json.json()["exit_code"] == code


# -- tokens ----------------------------------------------------------------------------------------


def test_token_create_rotate_and_the_ledger(
    env: Env, capsys: pytest.CaptureFixture[str], sqld_binary: Path
) -> None:
    first = run(env, capsys, "token", "create", "--expiration", "7d")
    assert first.code == 0, first.err
    token = first.out.strip()
    assert first.out == token + "\n" and token.count(".") == 2  # only the token on stdout
    assert "fingerprint" in first.err and "Shown once" in first.err
    assert asyncio.run(_with_turso(env, sqld_binary, "app", token)) == {"users": 120, "events": 40}

    (env.root / ".env").write_text("OTHER=keep\nTURSO_AUTH_TOKEN=old-value\n")
    refused = run(env, capsys, "token", "create", "--read-only", "--write-env")
    assert refused.code == 2 and "without --yes" in refused.err
    assert "old-value" in (env.root / ".env").read_text()
    second = run(
        env, capsys, "token", "create", "app", "--read-only", "--write-env", "--yes", "--json"
    )
    assert second.code == 0, second.err
    body = second.json()
    read_only = str(body["token"])
    assert body["ledger"]["authorization"] == "read-only"  # type: ignore[index]
    env_text = (env.root / ".env").read_text()
    assert f"TURSO_AUTH_TOKEN={read_only}" in env_text and "OTHER=keep" in env_text
    assert Path(str(body["env_backup"])).read_text() == "OTHER=keep\nTURSO_AUTH_TOKEN=old-value\n"
    assert (env.root / ".env").stat().st_mode & 0o777 == 0o600

    ledger = env.data / "token-ledger.json"
    for secret in (token, read_only):
        assert secret not in ledger.read_text()
        assert secret.rsplit(".", 1)[1] not in ledger.read_text()
    listed = run(env, capsys, "token", "list", "--json").json()
    assert [t["authorization"] for t in listed["tokens"]] == ["full-access", "read-only"]  # type: ignore[union-attr]

    rotated = run(env, capsys, "token", "rotate", "--yes", "--json")
    assert rotated.code == 0, rotated.err
    assert "ALL its tokens stop working" in rotated.err and "replicas restart" in rotated.err
    # named before the confirmation, as the console's rotate dialog does
    assert "Group default: the tokens of its 1 database stop working: app;" in rotated.err
    assert len(rotated.json()["ledger_entries_revoked"]) == 2  # type: ignore[arg-type]
    with pytest.raises(AuthError):
        asyncio.run(_with_turso(env, sqld_binary, "app", token))
    group = run(env, capsys, "token", "create", "--group", "default", "--json").json()
    assert group["ledger"]["scope"] == "group" and group["ledger"]["database"] == ""  # type: ignore[index]
    assert asyncio.run(_with_turso(env, sqld_binary, "app", str(group["token"])))["users"] == 120
    fresh = run(env, capsys, "token", "create", "app").out.strip()
    assert asyncio.run(_with_turso(env, sqld_binary, "app", fresh))["users"] == 120
    states = [
        t["revoked_at"] is not None
        for t in run(env, capsys, "token", "list", "--json").json()["tokens"]
    ]  # type: ignore[union-attr]
    assert states == [True, True, False, False]


def test_token_decode_reads_stdin(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = run(env, capsys, "token", "create", "--expiration", "1d").out.strip()
    monkeypatch.setattr("sys.stdin", io.StringIO(token + "\n"))
    decoded = run(env, capsys, "token", "decode", "--json")
    assert decoded.code == 0
    assert decoded.json()["permissions"] == {"rw": ["app"]} and decoded.json()["verified"] is False
    assert decoded.json()["id"] not in (None, "app")  # the database's UUID, as on Turso Cloud
    monkeypatch.setattr("sys.stdin", io.StringIO("not-a-token\n"))
    bad = run(env, capsys, "token", "decode")
    assert bad.code == 2 and "not a JWT" in bad.err


# -- restore and import ----------------------------------------------------------------------------


def test_restore_creates_a_new_database(
    env: Env, capsys: pytest.CaptureFixture[str], sqld_binary: Path
) -> None:
    done = run(
        env,
        capsys,
        "restore",
        "app",
        "--timestamp",
        "now",
        "--name",
        "app-restored",
        "--yes",
        "--json",
    )
    assert done.code == 0, done.err
    data = done.json()
    assert data["name"] == "app-restored" and data["source"] == "app" and data["group"] == "default"
    names = [d["name"] for d in run(env, capsys, "db", "list", "--json").databases()]
    assert names == ["app", "app-restored"]
    again = run(env, capsys, "restore", "app", "-t", "now", "--name", "app-restored", "--yes")
    assert again.code == 1 and "already exists" in again.err


def test_import_new_and_into_with_conflicts(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    old = env.root / "old.db"
    conn = sqlite3.connect(old)
    conn.executescript("create table users(id text primary key, email text not null unique);")
    conn.executemany(
        "insert into users values (?, ?)", [(f"u{i}", f"u{i}@e") for i in range(200, 230)]
    )
    conn.commit()
    conn.close()

    created = run(env, capsys, "import", str(old), "--new", "migrated", "--yes", "--json")
    assert created.code == 0, created.err
    assert created.json()["tables"] == {"users": 30} and created.json()["method"] == "dump"

    preview = run(env, capsys, "import", str(old), "--into", "app", "--dry-run")
    assert preview.code == 0 and "users  30    append  120" in preview.out
    refused = run(env, capsys, "import", str(old), "--into", "app")
    assert refused.code == 2 and "without --yes" in refused.err
    done = run(env, capsys, "import", str(old), "--into", "app", "--yes")
    assert done.code == 0 and "imported 30 rows into app" in done.out

    clash = run(env, capsys, "import", str(old), "--into", "app", "--yes", "--json")
    assert clash.code == 1
    assert "30 row(s) already exist with the same primary key (id)" in str(
        clash.json()["conflicts"]
    )
    listed = run(env, capsys, "db", "list", "--json").databases()
    assert sorted(d["name"] for d in listed) == ["app", "migrated"]
    usage = run(env, capsys, "backup", "app", "--json", "--no-prune").json()
    assert usage["tables"] == {"users": 150, "events": 40}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_interactive_confirmation_needs_the_typed_name(
    env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = run(env, capsys, "token", "create").out.strip()
    monkeypatch.setattr("sys.stdin", _Terminal("yes\n"))
    wrong = run(env, capsys, "token", "rotate", "app")
    assert wrong.code == 2 and "Type 'app' to rotate" in wrong.err and "not confirmed" in wrong.err
    assert run(env, capsys, "token", "list", "--json").json()["tokens"][0]["revoked_at"] is None  # type: ignore[index]
    monkeypatch.setattr("sys.stdin", _Terminal("app\n"))
    assert run(env, capsys, "token", "rotate", "app").code == 0
    assert run(env, capsys, "token", "list", "--json").json()["tokens"][0]["revoked_at"]  # type: ignore[index]
    assert token


def test_token_list_counts_session_tokens_instead_of_listing_them(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    backed_up = run(env, capsys, "backup", "app", "--dir", str(env.root / "b"))
    assert backed_up.code == 0, backed_up.err
    listed = run(env, capsys, "token", "list")
    assert listed.code == 0, listed.err
    assert "no tokens issued by tursotui yet" in listed.out
    assert "1 short-lived session token(s)" in listed.err
    as_json = run(env, capsys, "token", "list", "--json").json()
    assert [t["kind"] for t in as_json["tokens"]] == ["session"]  # type: ignore[union-attr]
