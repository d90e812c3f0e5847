"""One local Turso server per data dir: a later command or console attaches to the running one through its
0600 discovery file instead of being refused; only a second server is refused (the holder named). Real
processes, real sqld."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fixtures.lifecycle import Setup, alive, serving, sqld_pids, stop, wait_gone

from tursotui.config import CliOptions
from tursotui.local.engine.limits import API_MAX_CONNECTIONS
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.discovery import DISCOVERY_FILE, find_running
from tursotui.local.host.process import LocalTursoProcess


@pytest.fixture
def served(tmp_path: Path) -> object:
    """`tursotui local serve` running on its own data dir (stopped by its pid at the end)."""
    setup = Setup(tmp_path)
    setup.config.touch()
    proc = setup.start("local", "serve", "--port", str(free_port()), "--demo-users", "10")
    try:
        serving(proc)
        yield setup, proc
    finally:
        stop(proc, setup.local_dir)


def test_commands_attach_to_a_running_local_serve(
    served: tuple[Setup, subprocess.Popen[str]],
) -> None:
    setup, proc = served
    published = setup.local_dir / DISCOVERY_FILE
    assert stat.S_IMODE(published.stat().st_mode) == 0o600
    record = json.loads(published.read_text())
    assert record["pid"] == proc.pid
    pids = sqld_pids(setup.local_dir)
    listed = setup.run("db", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [d["name"] for d in map(json.loads, listed.stdout.splitlines()[:-1])] == ["xswarm-users"]
    backup = setup.run("backup", "xswarm-users", "--dir", str(setup.root / "backups"), "--json")
    assert backup.returncode == 0, backup.stderr
    assert list((setup.root / "backups").glob("xswarm-users-*.sql"))
    # Both went through the server: no sqld of their own, the server still serves with the same three.
    assert proc.poll() is None
    assert sorted(sqld_pids(setup.local_dir)) == sorted(pids) and all(alive(p) for p in pids)
    assert record["api_token"] not in listed.stdout + listed.stderr + backup.stdout + backup.stderr


def test_a_second_server_on_the_same_data_dir_is_refused_naming_the_holder(
    served: tuple[Setup, subprocess.Popen[str]],
) -> None:
    setup, proc = served
    second = setup.run("local", "serve", "--port", str(free_port()), "--demo-users", "10")
    assert second.returncode == 1
    assert f"pid {proc.pid}" in second.stderr and "Traceback" not in second.stderr
    assert "shown once" not in second.stdout
    assert proc.poll() is None


def test_after_the_server_stops_commands_start_their_own_again(
    served: tuple[Setup, subprocess.Popen[str]],
) -> None:
    setup, proc = served
    pids = sqld_pids(setup.local_dir)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert wait_gone(pids) == []
    assert not (setup.local_dir / DISCOVERY_FILE).exists()  # withdrawn at stop
    listed = setup.run("db", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [d["name"] for d in map(json.loads, listed.stdout.splitlines()[:-1])] == ["xswarm-users"]
    assert sqld_pids(setup.local_dir) == []  # it started its own and stopped them


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.mark.parametrize("holder", ["dead pid", "port not answering"])
def test_a_stale_discovery_file_is_ignored_and_removed(tmp_path: Path, holder: str) -> None:
    setup = Setup(tmp_path)
    setup.config.write_text('[tursotui]\ntarget = "local"\n')
    setup.local_dir.mkdir(parents=True)
    stale = setup.local_dir / DISCOVERY_FILE
    pid = _dead_pid() if holder == "dead pid" else os.getpid()
    record = {"pid": pid, "port": free_port(), "api_token": "tlocal_stale", "organization": "local"}
    stale.write_text(json.dumps(record))
    stale.chmod(0o600)
    assert find_running(setup.local_dir) is None and not stale.exists()
    stale.write_text(json.dumps(record))
    listed = setup.run("db", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert not stale.exists()


async def test_the_consoles_local_turso_publishes_and_commands_attach(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.config.touch()
    options = CliOptions(
        config=str(setup.config), env_file=str(setup.env_file), data_dir=str(setup.data)
    )
    child = await LocalTursoProcess.spawn(options, setup.local_dir)
    try:
        await child.ready()
        running = find_running(setup.local_dir)
        assert running is not None
        assert (running.pid, running.port) == (child.process.pid, child.port)
        listed = await asyncio.to_thread(setup.run, "db", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [d["name"] for d in map(json.loads, listed.stdout.splitlines()[:-1])] == [
            "xswarm-users"
        ]
    finally:
        await child.close()
    assert not (setup.local_dir / DISCOVERY_FILE).exists()


def test_local_serve_caps_platform_api_connections(
    served: tuple[Setup, subprocess.Popen[str]],
) -> None:
    """uvicorn_limits() reach local serve's uvicorn (and the console child's: the same serve_api)."""
    setup, _ = served
    running = find_running(setup.local_dir)
    assert running is not None
    idle = []
    try:
        for _ in range(API_MAX_CONNECTIONS):
            idle.append(socket.create_connection(("127.0.0.1", running.port)))
        busy = httpx.get(f"{running.base_url}/v1/organizations", timeout=30)
        assert busy.status_code == 503
    finally:
        for sock in idle:
            sock.close()
    ok = httpx.get(
        f"{running.base_url}/v1/organizations",
        headers={"Authorization": f"Bearer {running.api_token}"},
        timeout=30,
    )
    assert ok.status_code == 200


HOLDER = (
    "import sys; from pathlib import Path; from tursotui.local.engine.lock import DataDirLock;"
    "lock = DataDirLock(Path(sys.argv[1])); lock.acquire(); print('held', flush=True);"
    "sys.stdin.readline(); lock.release()"
)


def test_a_command_waits_while_another_command_holds_the_data_dir(tmp_path: Path) -> None:
    """Another command at work (it holds the dir without serving it): wait, then start its own."""
    setup = Setup(tmp_path)
    setup.config.write_text('[tursotui]\ntarget = "local"\n')
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(setup.local_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    command = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        command = setup.start("db", "list", "--json")
        assert command.stderr is not None
        waiting = command.stderr.readline()
        assert f"pid {holder.pid}" in waiting and "waiting up to 30 s" in waiting
        assert holder.stdin is not None
        holder.stdin.write("release\n")
        holder.stdin.flush()
        out, _ = command.communicate(timeout=120)
        assert command.returncode == 0
        assert [d["name"] for d in map(json.loads, out.splitlines()[:-1])] == ["xswarm-users"]
    finally:
        holder.kill()
        holder.wait(timeout=30)
        if command is not None:
            stop(command, setup.local_dir)
