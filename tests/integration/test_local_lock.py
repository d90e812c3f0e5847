"""One local Turso per data dir: a second one is refused with a message naming the first; a crash never
leaves the data dir locked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tursotui.local.engine.lock import LOCK_FILE, DataDirLock, LocalTursoBusy
from tursotui.local.host.service import LocalTurso


async def test_a_second_local_turso_on_the_same_data_dir_is_refused(
    local_turso: LocalTurso, sqld_binary: Path
) -> None:
    second = LocalTurso(local_turso.data_dir, recovery_interval=0, binary=sqld_binary)
    with pytest.raises(LocalTursoBusy) as refused:
        await second.start()
    message = str(refused.value)
    assert str(local_turso.data_dir) in message and f"pid {os.getpid()}" in message
    assert "--data-dir" in message
    # The first one is untouched and still serves.
    client = local_turso.platform_client()
    try:
        assert await client.list_databases() == []
    finally:
        await client.aclose()


async def test_the_data_dir_is_free_again_after_close(tmp_path: Path, sqld_binary: Path) -> None:
    first = LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary)
    await first.start()
    await first.close()
    second = LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary)
    await second.start()
    try:
        assert (tmp_path / "local" / LOCK_FILE).read_text().strip() == str(os.getpid())
    finally:
        await second.close()
    assert (tmp_path / "local" / LOCK_FILE).read_text() == ""


def test_a_killed_holder_leaves_no_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from tursotui.local.engine.lock import DataDirLock;"
            "DataDirLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        with pytest.raises(LocalTursoBusy, match=f"pid {holder.pid}"):
            DataDirLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait(timeout=10)
    deadline = time.monotonic() + 10
    lock = DataDirLock(tmp_path)
    while True:  # the kernel drops a flock when its holder dies, even on SIGKILL
        try:
            lock.acquire()
            break
        except LocalTursoBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    lock.release()
