"""A full data dir (a 16 MiB tmpfs, filled): rotate, create database and create group answer JSON
errors naming the cause and change nothing; once space is back the same names work, no restart."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tursotui.local.host.service import LocalTurso

SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}
ORG = "/v1/organizations/local"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "fs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path) -> Path:
    """Take every free byte (and block) of the file system ``directory`` is on."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    count = 0
    with contextlib.suppress(OSError):
        while count < 10_000:  # inodes too, so no new empty file fits either
            (directory / f"f{count}").touch()
            count += 1
    return filler


def _free(filler: Path) -> None:
    filler.unlink()
    for leftover in filler.parent.glob("f*"):
        leftover.unlink()


@pytest.fixture
async def full_turso(small_fs: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    turso = LocalTurso(small_fs / "org", recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        yield turso
    finally:
        await turso.close()


async def test_a_full_data_dir_gives_json_errors_and_changes_nothing(
    full_turso: LocalTurso, small_fs: Path
) -> None:
    turso = full_turso
    async with httpx.AsyncClient(
        transport=turso.transport(),
        base_url="http://local",
        headers={"Authorization": f"Bearer {turso.api_token}"},
    ) as api:
        assert (await api.post(f"{ORG}/groups", json={"name": "g", "location": "sjc"})).is_success
        made = await api.post(f"{ORG}/databases", json={"name": "db", "group": "g"})
        assert made.status_code == 200, made.text
        url = "http://" + made.json()["database"]["Hostname"]
        token = (await api.post(f"{ORG}/databases/db/auth/tokens")).json()["jwt"]
        key_file = turso.data_dir / "keys" / "group-g.pem"
        key_before = key_file.read_bytes()
        state_before = (turso.data_dir / "state.json").read_bytes()

        filler = _fill(small_fs)
        try:
            rotated = await api.post(f"{ORG}/groups/g/auth/rotate")
            assert rotated.status_code >= 500
            assert "No space left on device" in rotated.json()["error"]
            group = await api.post(f"{ORG}/groups", json={"name": "g2", "location": "sjc"})
            assert group.status_code >= 500 and "error" in group.json()
            created = await api.post(f"{ORG}/databases", json={"name": "full1", "group": "g"})
            assert created.status_code >= 400 and "error" in created.json()
            assert (await api.get(f"{ORG}/databases/full1")).status_code == 404
            assert (await api.get(f"{ORG}/groups/g2")).status_code == 404
        finally:
            _free(filler)

        assert key_file.read_bytes() == key_before
        assert (turso.data_dir / "state.json").read_bytes() == state_before
        async with httpx.AsyncClient(timeout=30) as http:
            query = await http.post(
                f"{url}/v2/pipeline", json=SELECT, headers={"Authorization": f"Bearer {token}"}
            )
            assert query.status_code == 200  # the old key still opens it
        # Space is back: the same names work without a restart.
        again = await api.post(f"{ORG}/databases", json={"name": "full1", "group": "g"})
        assert again.status_code == 200, again.text
        assert (await api.post(f"{ORG}/groups", json={"name": "g2", "location": "sjc"})).is_success
        assert (await api.post(f"{ORG}/groups/g/auth/rotate")).is_success
