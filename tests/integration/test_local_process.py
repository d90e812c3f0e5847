"""The console's local Turso in a child process: serves over 127.0.0.1 with its token, and stops with the console."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tursotui.config import CliOptions
from tursotui.local.host.process import LocalTursoFailed, LocalTursoProcess
from tursotui.local.host.service import LocalTurso


def options(tmp_path: Path) -> CliOptions:
    (tmp_path / "config.toml").touch()
    return CliOptions(
        config=str(tmp_path / "config.toml"),
        env_file=str(tmp_path / ".env"),
        data_dir=str(tmp_path / "data"),
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def sqld_pids(local_dir: Path) -> list[int]:
    """The sqld the child started, from their pid files (``<data>/sqld/pids/*.pid``)."""
    files = (local_dir / "sqld" / "pids").glob("*.pid")
    return [int(json.loads(f.read_text())["pid"]) for f in files]


async def wait_gone(pids: list[int], seconds: float = 20.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:  # noqa: ASYNC110 (other processes)
        await asyncio.sleep(0.05)
    return [p for p in pids if alive(p)]


async def test_child_serves_the_api_with_its_token_and_stops_every_sqld(tmp_path: Path) -> None:
    local_dir = tmp_path / "data" / "local-turso"
    child = await LocalTursoProcess.spawn(options(tmp_path), local_dir)
    try:
        assert child.base_url.startswith("http://127.0.0.1:")
        assert not child.had_databases
        config, env = tmp_path / "config.toml", tmp_path / ".env"
        assert await child.ready() == (
            f"Pointed {config} and {env} at the demo database xswarm-users.",
        )
        client = child.platform_client()
        try:
            names = [d.name for d in await client.list_databases()]
        finally:
            await client.aclose()
        assert names == ["xswarm-users"]  # the demo org, created on first use
        async with httpx.AsyncClient() as http:
            refused = await http.get(f"{child.base_url}/v1/organizations")
        assert refused.status_code == 401
        pids = sqld_pids(local_dir)
        assert len(pids) == 3 and all(alive(p) for p in pids)  # primary + two replica locations
        assert child.api_token.encode() not in cmdline(
            child.process.pid
        )  # ps shows the command line
    finally:
        await child.close()
    assert child.process.returncode == 0
    assert await wait_gone(pids) == []
    assert (local_dir / "console-child.log").stat().st_mode & 0o777 == 0o600


async def test_a_busy_data_dir_is_named_and_nothing_is_left_running(tmp_path: Path) -> None:
    local_dir = tmp_path / "data" / "local-turso"
    async with LocalTurso(local_dir):
        child = await LocalTursoProcess.spawn(options(tmp_path), local_dir)
        try:
            with pytest.raises(LocalTursoFailed, match=r"could not start.*local Turso"):
                await child.ready()
        finally:
            await child.close()
        assert child.process.returncode == 1


PARENT = """
import asyncio, json, os, sys
from pathlib import Path
from tursotui.config import CliOptions
from tursotui.local.host.process import LocalTursoProcess
async def main():
    child = await LocalTursoProcess.spawn(CliOptions(**json.loads(sys.argv[1])), Path(sys.argv[2]))
    await child.ready()
    print(child.process.pid, flush=True)
    os._exit(0)  # the console dies without closing anything
asyncio.run(main())
"""


async def test_the_child_stops_when_the_console_dies(tmp_path: Path) -> None:
    local_dir = tmp_path / "data" / "local-turso"
    opts = options(tmp_path)
    fields = {"config": opts.config, "env_file": opts.env_file, "data_dir": opts.data_dir}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", PARENT, json.dumps(fields), str(local_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    child_pid = int(done.stdout.strip())
    pids = sqld_pids(local_dir)
    assert await wait_gone([child_pid, *pids]) == []


async def test_a_killed_child_is_restarted_on_the_same_port(tmp_path: Path) -> None:
    local_dir = tmp_path / "data" / "local-turso"
    child = await LocalTursoProcess.spawn(options(tmp_path), local_dir)
    restarts: list[tuple[str, asyncio.Future[tuple[str, ...]]]] = []
    watch = asyncio.ensure_future(
        child.keep_running(lambda why, ready: restarts.append((why, ready)))
    )
    client = child.platform_client(max_retries=0)
    try:
        await child.ready()
        port, first_pid, old_sqld = child.port, child.process.pid, sqld_pids(local_dir)
        child.process.kill()
        while not restarts:  # noqa: ASYNC110 (a callback, not an event)
            await asyncio.sleep(0.05)
        why, ready = restarts[0]
        assert "killed by SIGKILL" in why and str(child.log_path) in why
        await ready
        assert child.port == port and child.process.pid != first_pid
        assert [d.name for d in await client.list_databases()] == ["xswarm-users"]  # same client
        assert await wait_gone(old_sqld) == []  # the new child stopped what the killed one left
        assert len(sqld_pids(local_dir)) == 3
    finally:
        await client.aclose()
        await child.close()
        await watch
    assert len(restarts) == 1  # closing is not an exit to restart from


async def test_quick_exits_in_a_row_wait_longer_before_each_restart(tmp_path: Path) -> None:
    local_dir = tmp_path / "data" / "local-turso"
    child = await LocalTursoProcess.spawn(options(tmp_path), local_dir)
    child.restart_delays = (0.0, 0.5, 30.0)
    restarts: list[tuple[float, asyncio.Future[tuple[str, ...]]]] = []
    watch = asyncio.ensure_future(
        child.keep_running(lambda _why, ready: restarts.append((time.monotonic(), ready)))
    )
    try:
        await child.ready()
        for n in (1, 2):
            killed = time.monotonic()
            child.process.kill()
            while len(restarts) < n:  # noqa: ASYNC110 (a callback, not an event)
                await asyncio.sleep(0.02)
            await restarts[-1][1]
        assert restarts[1][0] - killed >= 0.5  # the second quick exit in a row waited
        left = sqld_pids(local_dir)
        child.process.kill()
        await asyncio.sleep(1.0)
        assert len(restarts) == 2  # the third waits 30 s
    finally:
        await child.close()
        await watch
    assert await wait_gone(left) == []  # what the killed child left running, stopped by close()
