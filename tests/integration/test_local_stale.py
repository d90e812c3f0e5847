"""Stale sqld cleanup: sqld runs in its own session, so a tursotui killed with SIGKILL leaves it
running on the data dir. The next start stops exactly those processes (pid file + /proc checks)
and never touches anything else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tursotui.libsql import HranaClient
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.engine.pidfiles import process_start_time, reap_stale_sqld
from tursotui.local.engine.sqld import SqldProcess
from tursotui.local.host.service import LocalTurso

CHILD = r"""
import asyncio, json, sys
from pathlib import Path

import pytest

from tursotui.libsql import HranaClient
from tursotui.local.host.service import LocalTurso


async def main(data_dir: str, binary: str) -> None:
    turso = LocalTurso(Path(data_dir), recovery_interval=0, binary=Path(binary))
    await turso.start()
    platform = turso.platform_client(max_retries=0)
    await platform.create_group("default", "sjc")
    await platform.add_location("default", "fra")
    created = await platform.create_database("app", "default")
    token = (await platform.create_database_token("app")).jwt
    async with HranaClient(created.url, token) as sql:
        await sql.batch(["create table t(x)", "insert into t values (1), (2), (3)"])
    nodes = turso.cp.dataplane.nodes.values()
    print(json.dumps({"sqld": [n.process.pid for n in nodes]}), flush=True)
    await asyncio.to_thread(sys.stdin.read)  # until the test kills this process


asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def _alive(pid: int, start: int | None) -> bool:
    """The same process (pid and start time) still runs (a zombie does not count)."""
    current = process_start_time(pid)
    return current is not None and current == start


def _kill_if_same(pid: int, start: int | None) -> None:
    with contextlib.suppress(ProcessLookupError):
        if start is not None and _alive(pid, start):
            os.kill(pid, signal.SIGKILL)


def _pid_record(pid: int, db_path: Path | str, binary: Path | str) -> str:
    """A pid file as SqldProcess writes it, without an owner (the owner is gone)."""
    return json.dumps(
        {
            "pid": pid,
            "start": process_start_time(pid),
            "db_path": str(db_path),
            "binary": str(binary),
        }
    )


@contextlib.contextmanager
def _sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _dead_pid() -> int:
    """The pid of a process that has exited (and was reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait(timeout=30)
    return proc.pid


def _sqld_pid_files(pid_dir: Path) -> dict[int, str]:
    """pid -> file name, for the pid files SqldProcess wrote (primary-*, replica-*)."""
    out = {}
    for path in pid_dir.glob("*.pid"):
        if path.name.startswith(("primary-", "replica-")):
            out[json.loads(path.read_text())["pid"]] = path.name
    return out


async def test_sqld_left_by_a_killed_tursotui_is_stopped_on_the_next_start(
    tmp_path: Path, sqld_binary: Path, sqld: SqldProcess, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "local"
    pid_dir = data_dir / "sqld" / "pids"
    stderr = (tmp_path / "child.err").open("wb")
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        str(data_dir),
        str(sqld_binary),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )
    old: dict[int, int | None] = {}
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        assert line, f"the child failed: {(tmp_path / 'child.err').read_text()[-2000:]}"
        old = {pid: process_start_time(pid) for pid in json.loads(line)["sqld"]}
        assert len(old) == 2 and all(start is not None for start in old.values())
        assert set(_sqld_pid_files(pid_dir)) == set(old)

        # While that tursotui runs, another one on the same data dir (the CLI while the console
        # is open) leaves its sqld alone and keeps the pid files.
        found = reap_stale_sqld(pid_dir, data_dir / "sqld", grace=1)
        assert {r.pid: r.outcome for r in found} == {pid: "in use" for pid in old}
        assert set(_sqld_pid_files(pid_dir)) == set(old)

        child.kill()  # SIGKILL: no cleanup runs in the child
        await asyncio.wait_for(child.wait(), 30)
        assert all(_alive(pid, start) for pid, start in old.items()), "sqld died with its parent"

        # Decoys: programs that must survive the cleanup.
        with _sleeper() as sleeper:
            primary_db = data_dir / "sqld" / "primary" / "data.sqld"
            # An unrelated live process whose pid file claims our primary's db path.
            (pid_dir / f"primary-{sleeper.pid}.pid").write_text(
                _pid_record(sleeper.pid, primary_db, sqld_binary)
            )
            # A real sqld, but serving another data dir.
            assert sqld.pid is not None
            (pid_dir / f"primary-{sqld.pid}.pid").write_text(
                _pid_record(sqld.pid, primary_db, sqld_binary)
            )
            # A pid that is dead, and a file that is not a pid file at all.
            dead = _dead_pid()
            (pid_dir / f"replica-iad-{dead}.pid").write_text(
                json.dumps({"pid": dead, "start": 1, "db_path": str(primary_db)})
            )
            (pid_dir / "garbage.pid").write_text("{not json")

            caplog.set_level(logging.INFO, logger="tursotui.local.engine.sqld")
            async with LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary) as turso:
                stale = {r.pid: r.outcome for r in turso.cp.dataplane.stale or []}
                assert {stale[pid] for pid in old} == {"stopped"}
                assert {s.pid for s in turso.stale_sqld_stopped} == set(old)
                for pid in old:
                    assert f"stopped left-over sqld pid {pid} ({data_dir}" in caplog.text
                assert f"pid {sleeper.pid} is no longer a sqld serving" in caplog.text
                assert stale[sleeper.pid] == "not ours"
                assert stale[sqld.pid] == "not ours"
                assert stale[dead] in ("gone", "not ours")  # "not ours" if the pid was reused
                assert stale[None] == "unreadable"
                assert not any(_alive(pid, start) for pid, start in old.items())
                assert sleeper.poll() is None and sqld.alive()

                # Only the new sqld processes have pid files now.
                nodes = turso.cp.dataplane.nodes
                assert set(_sqld_pid_files(pid_dir)) == {n.process.pid for n in nodes.values()}
                assert not (pid_dir / "garbage.pid").exists()

                # The new local Turso serves the data the killed one wrote.
                platform = turso.platform_client(max_retries=0)
                db = await platform.get_database("app")
                token = (await platform.create_database_token("app")).jwt
                async with HranaClient(db.url, token) as sql:
                    assert (await sql.execute("select count(*) from t")).rows == ((3,),)
                    await sql.execute("insert into t values (4)")
                await platform.aclose()
            assert list(pid_dir.glob("*.pid")) == []  # a clean stop removes them
    finally:
        if child.returncode is None:
            child.kill()
            await asyncio.wait_for(child.wait(), 30)
        stderr.close()
        for pid, start in old.items():
            _kill_if_same(pid, start)


async def test_pid_files_follow_the_sqld_processes(local_turso: LocalTurso) -> None:
    dataplane = local_turso.cp.dataplane
    node = dataplane.nodes[PRIMARY]
    first = node.process.pid
    assert first is not None
    record = json.loads((dataplane.pid_dir / f"primary-{first}.pid").read_text())
    assert record["pid"] == first and record["owner_pid"] == os.getpid()
    assert record["db_path"] == str(node.process.db_path.absolute())
    assert record["start"] == process_start_time(first)
    assert (dataplane.pid_dir / f"primary-{first}.pid").stat().st_mode & 0o777 == 0o600

    node.process.kill()  # a crash: the watchdog restarts it and replaces the pid file
    deadline = time.monotonic() + 60
    while not (node.process.alive() and not node.restarting and node.process.pid != first):
        assert time.monotonic() < deadline, "the watchdog did not restart sqld"
        await asyncio.sleep(0.05)
    assert set(_sqld_pid_files(dataplane.pid_dir)) == {node.process.pid}

    await dataplane.stop_node(PRIMARY)
    assert _sqld_pid_files(dataplane.pid_dir) == {}


IGNORES_SIGTERM = (
    "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(300)"
)


def test_a_stale_sqld_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    root = tmp_path / "sqld"
    pid_dir = root / "pids"
    pid_dir.mkdir(parents=True)
    db_path = root / "primary" / "data.sqld"
    # A stand-in whose command line reads like our sqld's: argv[0] "sqld", --db-path ours.
    stuck = subprocess.Popen(
        ["sqld", "-c", IGNORES_SIGTERM, "--db-path", str(db_path)],
        executable=sys.executable,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert stuck.stdout is not None and stuck.stdout.readline() == b"ready\n"
        (pid_dir / f"primary-{stuck.pid}.pid").write_text(
            _pid_record(stuck.pid, db_path, "/nowhere/sqld")
        )
        found = reap_stale_sqld(pid_dir, root, grace=0.5)
        assert [(r.pid, r.outcome) for r in found] == [(stuck.pid, "killed")]
        assert stuck.wait(timeout=30) == -signal.SIGKILL
        assert list(pid_dir.iterdir()) == []
    finally:
        if stuck.poll() is None:
            stuck.kill()
            stuck.wait(timeout=30)
