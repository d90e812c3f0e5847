"""Turso's ``POST /v1/upload`` on a database URL: authorized before one body byte is read.

The proxy asks the control plane first (the handler called with no file): a missing, wrong or
read-only token, or a database not awaiting an upload, is answered at once and the connection closed
with the body unread. Otherwise the body goes to a 0600 temp file under the uploads dir, bounded by
the plan's storage quota (a larger Content-Length is a 413 at once, a chunked body is stopped there),
with a body timeout; a full disk is a 507 JSON answer. The temp file is always removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, BinaryIO

from tursotui.local.engine import limits
from tursotui.local.engine.gate import REASONS, header, json_response

UploadHandler = Callable[[str, str | None, Path | None], Awaitable[tuple[int, dict[str, Any]]]]
"""(namespace, Authorization header, uploaded file) -> (HTTP status, JSON body).

Called first with no file, before any body byte is read: ``(100, {"max_bytes": N})`` lets the
upload proceed (at most N bytes); any other status is the answer. Then called with the stored file."""
PROCEED = 100


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _answer(status: int, body: dict[str, Any], *, close: bool = False) -> bytes:
    payload = json.dumps(body).encode("utf-8")
    reason = REASONS.get(status, b"OK" if status == 200 else b"Error")
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status,
        reason,
        len(payload),
    )
    return head + (b"connection: close\r\n" if close else b"") + b"\r\n" + payload


async def _chunk(reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        chunk = await asyncio.wait_for(reader.read(n), limits.BODY_TIMEOUT)
    except TimeoutError:
        raise _Refused(
            408, f"no upload byte for {limits.BODY_TIMEOUT:g}s: upload dropped"
        ) from None
    if not chunk:
        raise ConnectionError("client closed in the middle of an upload")
    return chunk


async def _read_exact(reader: asyncio.StreamReader, fh: BinaryIO, n: int) -> None:
    while n > 0:
        chunk = await _chunk(reader, min(n, 1 << 20))
        fh.write(chunk)
        n -= len(chunk)


async def _line(reader: asyncio.StreamReader) -> bytes:
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n"), limits.BODY_TIMEOUT)
    except TimeoutError:
        raise _Refused(408, "the upload stalled: dropped") from None
    except (asyncio.LimitOverrunError, asyncio.IncompleteReadError):
        raise _Refused(400, "malformed chunked upload") from None


async def _read_chunked(reader: asyncio.StreamReader, fh: BinaryIO, max_bytes: int) -> None:
    total = 0
    while True:
        line = await _line(reader)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise _Refused(400, "malformed chunked upload") from None
        if size == 0:
            while await _line(reader) != b"\r\n":
                pass
            return
        total += size
        if total > max_bytes:
            raise _Refused(413, f"the upload is larger than the plan's storage ({max_bytes} bytes)")
        await _read_exact(reader, fh, size)
        if await _chunk(reader, 2) != b"\r\n":
            with contextlib.suppress(ConnectionError):
                await _chunk(reader, 1)


async def _store(
    reader: asyncio.StreamReader,
    directory: Path | None,
    length: int | None,
    chunked: bool,
    max_bytes: int,
) -> Path:
    if length is not None and length > max_bytes:
        raise _Refused(
            413,
            f"the upload ({length} bytes) is larger than the plan's storage ({max_bytes} bytes)",
        )
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # noqa: ASYNC240 - one mkdir
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".db", dir=directory)  # 0600
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if chunked:
                await _read_chunked(reader, fh, max_bytes)
            elif length:
                await _read_exact(reader, fh, length)
    except OSError as exc:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 - one unlink of a temp file
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _Refused(
                507, "no space left on the local Turso's disk: the upload was not stored"
            ) from None
        raise
    except BaseException:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 - one unlink of a temp file
        raise
    return path


async def receive_upload(
    handler: UploadHandler,
    namespace: str,
    directory: Path | None,
    head: bytes,
    reader: asyncio.StreamReader,
    client: asyncio.StreamWriter,
    length: int | None,
    chunked: bool,
) -> bool:
    """Answer one upload request; False when the connection must close (its body was not read)."""
    value = header(head, b"authorization")
    authorization = value.decode("latin-1") if value is not None else None
    status, body = await handler(namespace, authorization, None)
    if status != PROCEED:
        client.write(_answer(status, body, close=True))
        await client.drain()
        return False
    try:
        path = await _store(reader, directory, length, chunked, int(body["max_bytes"]))
    except _Refused as refused:
        client.write(json_response(refused.status, refused.message))
        await client.drain()
        return False
    try:
        status, body = await handler(namespace, authorization, path)
    finally:
        path.unlink(missing_ok=True)
    client.write(_answer(status, body))
    await client.drain()
    return True
