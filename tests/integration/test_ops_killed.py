"""Work killed half-way leaves nothing behind that blocks or leaks: ``tursotui import --new`` and
``tursotui backup`` run as real subprocesses on the local Turso (real sqld), SIGKILLed mid-way,
then run again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tursotui.entry import main
from tursotui.libsql import HranaClient
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import LocalTurso
from tursotui.ops.backup import source_row_counts

AWS = ProfileChoice(platform="aws")
BIG_ROWS = 1500
BLOB = 8192


@dataclass
class Env:
    root: Path
    config: Path
    data: Path
    temp: Path

    @property
    def turso_dir(self) -> Path:
        return self.data / "local-turso"

    def argv(self, *args: str) -> list[str]:
        return ["--config", str(self.config), "--data-dir", str(self.data), *args]


async def _seed(directory: Path, binary: Path, big_rows: int) -> None:
    """Group ``default`` with ``app`` (a table of ``big_rows`` 8 KiB rows) and an empty ``other``. An AWS
    group (the aws profile): ``import --new`` creates, then uploads, so a kill can fall in between."""
    async with LocalTurso(directory, recovery_interval=0, binary=binary, profile=AWS) as turso:
        platform = turso.platform_client(max_retries=0)
        await platform.create_group("default", "aws-us-east-1")
        created = await platform.create_database("app", "default")
        await platform.create_database("other", "default")
        token = (await platform.create_database_token("app")).jwt
        async with HranaClient(created.url, token) as sql:
            await sql.batch(
                [
                    "create table items(id integer primary key, body blob)",
                    f"with recursive c(x) as (select 1 union all select x + 1 from c "
                    f"where x < {big_rows}) insert into items select x, randomblob({BLOB}) from c",
                ]
            )
        await platform.aclose()


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    config = tmp_path / "config.toml"
    config.write_text(
        '[turso]\ndatabase_name = "app"\n\n[tursotui]\ntarget = "local"\nlocal_platform = "aws"\n'
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    made = Env(tmp_path, config, tmp_path / "data", temp)
    asyncio.run(_seed(made.turso_dir, sqld_binary, BIG_ROWS))
    yield made
    _stop_orphans(made)


def _stop_orphans(env: Env) -> None:
    """sqld a killed CLI left (the next command reaps them; a failed test may not get there)."""
    found = subprocess.run(
        ["pgrep", "-f", str(env.turso_dir)], capture_output=True, text=True, check=False
    )
    for pid in found.stdout.split():
        if int(pid) != os.getpid():
            os.kill(int(pid), signal.SIGKILL)


def _big_file(path: Path, rows: int = BIG_ROWS) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("create table t(id integer primary key, body blob)")
    conn.executemany(
        "insert into t values (?, ?)", ((i, os.urandom(BLOB)) for i in range(1, rows + 1))
    )
    conn.commit()
    conn.close()
    return path


def _run_killed(
    env: Env, args: list[str], ready: Callable[[], bool], sig: int = signal.SIGKILL
) -> int:
    """Start ``tursotui <args>``, send ``sig`` as soon as ``ready()``; returns its pid."""
    log = env.root / "killed.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tursotui", *env.argv(*args)], stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 90
        while not ready():
            code = proc.poll()
            assert code is None, f"finished before the kill (rc {code}): {log.read_text()}"
            assert time.monotonic() < deadline, "never reached the point to kill it"
            time.sleep(0.005)
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:  # the conventional status, from the default action or from a handler that cleaned up
        assert proc.returncode in (-sig, 128 + sig), log.read_text()
    return proc.pid


def _cli(env: Env, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(env.argv(*args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def _state(env: Env) -> dict[str, object]:
    data = json.loads((env.turso_dir / "state.json").read_text())
    assert isinstance(data, dict)
    databases = data["databases"]
    assert isinstance(databases, dict)
    return databases


async def _counts(env: Env, binary: Path, name: str) -> dict[str, int]:
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=binary) as turso:
        platform = turso.platform_client(max_retries=0)
        url = (await platform.get_database(name)).url
        token = (await platform.create_database_token(name)).jwt
        await platform.aclose()
        async with HranaClient(url, token) as sql:
            return await source_row_counts(sql)


def _journal(env: Env, name: str) -> Path | None:
    found = sorted((env.data / "imports").glob(f"*-{name}.json"))
    return found[0] if found else None


def _journaled_with_id(env: Env, name: str) -> bool:
    path = _journal(env, name)
    if path is None:
        return False
    try:
        return bool(json.loads(path.read_text()).get("database_id"))
    except ValueError:
        return False  # caught between the write and the rename


def test_import_new_killed_after_the_create_is_retried_and_complete(
    env: Env, capsys: pytest.CaptureFixture[str], sqld_binary: Path
) -> None:
    big = _big_file(env.root / "big.db")
    pid = _run_killed(
        env, ["import", str(big), "--new", "nw", "--yes"], lambda: _journaled_with_id(env, "nw")
    )
    # What the kill left: the empty database awaiting its upload, the journal, a scratch copy.
    left = _state(env)["nw"]
    assert isinstance(left, dict) and left.get("awaiting_upload") is True
    journal = _journal(env, "nw")
    assert journal is not None and stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert json.loads(journal.read_text())["pid"] == pid
    assert "eyJ" not in journal.read_text()
    assert [p.name.startswith(f"tursotui-upload-{pid}-") for p in env.temp.iterdir()] == [True]

    code, out, err = _cli(env, capsys, "import", str(big), "--new", "nw", "--yes")
    assert code == 0, err
    assert f"left by an import killed earlier (pid {pid}" in out
    assert f"note   removed {env.temp}/tursotui-upload-{pid}-" in out  # its copy of the data
    assert f"imported {BIG_ROWS:,} rows into nw" in out
    assert _journal(env, "nw") is None
    assert list(env.temp.iterdir()) == []  # the killed run's copy of the data is gone too
    assert asyncio.run(_counts(env, sqld_binary, "nw")) == {"t": BIG_ROWS}


def _dead_pid() -> int:
    code = "import os; print(os.getpid())"
    proc = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(proc.stdout)


def _write_journal(env: Env, name: str, pid: int, database_id: str = "") -> Path:
    directory = env.data / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"local-local-{name}.json"
    entry = {
        "name": name,
        "group": "default",
        "organization": "local",
        "target": "local",
        "pid": pid,
        "pid_started": None,
        "started_at": "2026-12-05T00:00:00Z",
        "database_id": database_id,
    }
    path.write_text(json.dumps(entry))
    return path


def test_import_new_never_touches_a_database_the_journal_does_not_vouch_for(
    env: Env, capsys: pytest.CaptureFixture[str], sqld_binary: Path
) -> None:
    small = _big_file(env.root / "small.db", rows=5)
    # ``other`` is empty but no import made it: refused, as before.
    code, _, err = _cli(env, capsys, "import", str(small), "--new", "other", "--yes")
    assert code == 1 and "database other already exists (use --into" in err
    # Journaled, but its importer still runs (this process).
    _write_journal(env, "other", os.getpid())
    code, _, err = _cli(env, capsys, "import", str(small), "--new", "other", "--yes")
    assert code == 1 and "is still running" in err
    # Journaled, importer gone, but another database (another id) has the name now.
    _write_journal(env, "other", _dead_pid(), database_id="not-its-id")
    code, _, err = _cli(env, capsys, "import", str(small), "--new", "other", "--yes")
    assert code == 1 and "use --into" in err
    # Journaled, importer gone, same name, but it has data: never deleted.
    _write_journal(env, "app", _dead_pid())
    code, _, err = _cli(env, capsys, "import", str(small), "--new", "app", "--yes")
    assert code == 1 and "is not empty" in err
    assert asyncio.run(_counts(env, sqld_binary, "app")) == {"items": BIG_ROWS}
    assert asyncio.run(_counts(env, sqld_binary, "other")) == {}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _partials(directory: Path) -> list[Path]:
    return sorted(directory.glob(".app-*.partial")) if directory.exists() else []


def _verify_dirs(env: Env) -> list[Path]:
    return sorted(env.temp.glob("tursotui-verify-*"))


def test_backup_killed_mid_dump_and_mid_verify_is_cleaned_by_the_next_run(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    backups = env.root / "backups"
    # Not ours to remove: another tool's file, and leftovers of a process that still runs (us).
    (backups / "notes.txt").parent.mkdir()
    (backups / "notes.txt").write_text("keep")
    running = backups / f".app-20261205-000000.sql.{os.getpid()}-abc.partial"
    running.write_text("in progress")
    running_scratch = env.temp / f"tursotui-verify-{os.getpid()}-abc"
    running_scratch.mkdir()

    def dumping() -> bool:
        return any(p.stat().st_size > 1 << 20 for p in _partials(backups) if p != running)

    killed = _run_killed(env, ["backup", "app", "--dir", str(backups)], dumping)
    (partial,) = [p for p in _partials(backups) if p != running]
    assert f".{killed}-" in partial.name and _mode(partial) == 0o600

    code, out, err = _cli(env, capsys, "backup", "--list", "--dir", str(backups))
    assert code == 0 and "no backups in" in out
    assert f"removed {partial} (" in err and "killed" in err
    assert not partial.exists()

    def verifying() -> bool:
        return any(
            (d / "verify.db").exists() and (d / "verify.db").stat().st_size > 0
            for d in _verify_dirs(env)
            if d != running_scratch
        )

    killed = _run_killed(env, ["backup", "app", "--dir", str(backups)], verifying)
    (scratch,) = [d for d in _verify_dirs(env) if d != running_scratch]
    assert scratch.name.startswith(f"tursotui-verify-{killed}-")
    assert _mode(scratch) == 0o700 and _mode(scratch / "verify.db") == 0o600
    (partial,) = [p for p in _partials(backups) if p != running]
    assert _mode(partial) == 0o600

    code, out, err = _cli(env, capsys, "backup", "app", "--dir", str(backups), "--no-prune")
    assert code == 0, err
    assert f"removed {partial} (" in err and f"removed {scratch} (" in err
    assert err.count("removed ") == 2
    (made,) = sorted(backups.glob("app-*.sql"))
    assert _mode(made) == 0o600
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        ["notes.txt", running.name, made.name]
    )
    assert _verify_dirs(env) == [running_scratch]


def test_import_new_terminated_mid_way_can_be_retried(
    env: Env, capsys: pytest.CaptureFixture[str], sqld_binary: Path
) -> None:
    """SIGTERM: whether the import cleaned up on the way out or died at once, the retry works."""
    big = _big_file(env.root / "big.db")
    _run_killed(
        env,
        ["import", str(big), "--new", "nw", "--yes"],
        lambda: _journaled_with_id(env, "nw"),
        signal.SIGTERM,
    )
    code, out, err = _cli(env, capsys, "import", str(big), "--new", "nw", "--yes")
    assert code == 0, err
    assert f"imported {BIG_ROWS:,} rows into nw" in out
    assert _journal(env, "nw") is None and list(env.temp.iterdir()) == []
    assert asyncio.run(_counts(env, sqld_binary, "nw")) == {"t": BIG_ROWS}
