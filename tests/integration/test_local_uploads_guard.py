"""`POST /v1/upload` on a database URL: authorized before one body byte is read, bounded by the plan's
storage quota, timed out when stalled, and a full disk a clear error (real sqld, real proxy)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import sqlite3
import stat
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fixtures.local_turso import started_org

from tursotui.local.control import plans
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.engine import limits
from tursotui.local.host.service import LocalTurso
from tursotui.platform.models import Seed

MiB = 1 << 20


@pytest.fixture
async def org(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    async with started_org(
        tmp_path / "local",
        sqld_binary,
        groups={"default": ["aws-us-east-1"], "g2": ["aws-us-east-1"]},
        databases=[
            ("target", "default", Seed.upload()),
            ("plain", "default"),
            ("other", "g2", Seed.upload()),
        ],
        profile=ProfileChoice(platform="aws"),  # uploads are served under the aws profile
    ) as turso:
        yield turso


def _uploads(turso: LocalTurso) -> list[str]:
    directory = turso.cp.dataplane.root / "uploads"
    return sorted(os.listdir(directory)) if directory.exists() else []


def _head(token: str | None, length: int | None = None, chunked: bool = False) -> bytes:
    head = b"POST /v1/upload HTTP/1.1\r\nHost: x\r\n"
    if token is not None:
        head += b"Authorization: Bearer " + token.encode() + b"\r\n"
    if length is not None:
        head += b"Content-Length: %d\r\n" % length
    if chunked:
        head += b"Transfer-Encoding: chunked\r\n"
    return head + b"\r\n"


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, object], bytes]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status = int(head.split(b" ", 2)[1])
    length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
    body = await asyncio.wait_for(reader.readexactly(length), 10)
    return status, json.loads(body), head


async def _send_until_closed(writer: asyncio.StreamWriter, limit: int) -> int:
    """Send zeros until the server stops reading or ``limit`` bytes went; returns bytes sent."""
    sent = 0
    chunk = bytes(MiB)
    with contextlib.suppress(ConnectionError, TimeoutError):
        while sent < limit:
            writer.write(chunk)
            await asyncio.wait_for(writer.drain(), 2)
            sent += len(chunk)
    return sent


async def test_uploads_are_refused_before_the_body(org: LocalTurso) -> None:
    cp = org.cp
    port = cp.database("target").port
    keys = cp.keys
    cases = [
        (None, 401),
        ("not-a-jwt", 401),
        (keys.mint("default", database="target", read_only=True, expires_in=None), 403),
        (keys.mint("default", database="plain", read_only=False, expires_in=None), 403),
        (keys.mint("g2", database="other", read_only=False, expires_in=None), 401),
        (keys.mint("default", database="target", read_only=False, expires_in=-5), 401),
    ]
    for token, expected in cases:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_head(token, 400 * MiB))
        status, body, head = await _answer(reader)
        assert status == expected, (token and token[:12], body)
        assert "error" in body and b"connection: close" in head.lower()
        sent = await _send_until_closed(writer, 400 * MiB)
        assert sent < 400 * MiB  # the server closed instead of reading the body
        assert _uploads(org) == []
        writer.close()
    # A database that was not created to be uploaded to: refused before the body too.
    token = keys.mint("default", database="plain", read_only=False, expires_in=None)
    reader, writer = await asyncio.open_connection("127.0.0.1", cp.database("plain").port)
    writer.write(_head(token, 400 * MiB))
    status, body, _ = await _answer(reader)
    assert status == 400 and "database_upload" in str(body["error"])
    writer.close()
    assert _uploads(org) == []


async def test_an_upload_over_the_storage_quota_is_refused(
    org: LocalTurso, monkeypatch: pytest.MonkeyPatch
) -> None:
    cp = org.cp
    port = cp.database("target").port
    token = cp.keys.mint("default", database="target", read_only=False, expires_in=None)
    # Content-Length over the plan's 5 GB: 413 at once.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(token, 5_000_000_001))
    status, body, _ = await _answer(reader)
    assert status == 413 and "storage" in str(body["error"])
    writer.close()
    # A chunked body is stopped where it passes the quota (a 1 MiB plan here).
    small = copy.deepcopy(plans.PLANS)
    for plan in small:
        plan["quotas"]["storage"] = MiB
    monkeypatch.setattr(plans, "PLANS", small)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_head(token, chunked=True))
    for _ in range(3):
        writer.write(b"%x\r\n" % (512 * 1024) + bytes(512 * 1024) + b"\r\n")
    status, body, _ = await _answer(reader)
    assert status == 413
    writer.close()
    assert _uploads(org) == []


async def test_a_stalled_upload_is_dropped_and_its_file_removed(
    org: LocalTurso, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "BODY_TIMEOUT", 1.0)
    cp = org.cp
    token = cp.keys.mint("default", database="target", read_only=False, expires_in=None)
    reader, writer = await asyncio.open_connection("127.0.0.1", cp.database("target").port)
    writer.write(_head(token, 10 * MiB) + bytes(MiB))
    await writer.drain()
    for _ in range(50):
        if _uploads(org):
            break
        await asyncio.sleep(0.02)
    [name] = _uploads(org)
    mode = stat.S_IMODE(os.stat(cp.dataplane.root / "uploads" / name).st_mode)
    assert mode == 0o600
    status, body, _ = await _answer(reader)
    assert status == 408 and "no upload byte" in str(body["error"])
    assert _uploads(org) == []
    writer.close()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("a tmpfs cannot be mounted here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


async def test_a_full_disk_while_storing_is_a_clear_error(org: LocalTurso, tiny_disk: Path) -> None:
    cp = org.cp
    db = cp.database("target")
    cp.dataplane.proxies[("target", "primary")].upload_dir = tiny_disk
    token = cp.keys.mint("default", database="target", read_only=False, expires_in=None)
    reader, writer = await asyncio.open_connection("127.0.0.1", db.port)
    writer.write(_head(token, 4 * MiB))
    await _send_until_closed(writer, 4 * MiB)
    status, body, _ = await _answer(reader)
    assert status == 507 and "no space left" in str(body["error"])
    assert os.listdir(tiny_disk) == []
    writer.close()
    # The database still takes a proper upload afterwards (on the real uploads dir).
    cp.dataplane.proxies[("target", "primary")].upload_dir = cp.dataplane.root / "uploads"
    source = tiny_disk.parent / "seed.db"
    with sqlite3.connect(source) as conn:
        conn.execute("create table t(x)")
        conn.execute("insert into t values (42)")
    conn.close()
    data = source.read_bytes()
    reader, writer = await asyncio.open_connection("127.0.0.1", db.port)
    writer.write(_head(token, len(data)) + data)
    status, body, _ = await _answer(reader)
    assert status == 200 and body["database"] == "target"
    writer.close()
