"""One loopback port per database instance in front of a namespaced sqld.

sqld picks a namespace from the ``x-namespace-bin`` header (unpadded base64 of the name)
before the Host header. A stock client (httpx Hrana, libsql's embedded replica) knows
nothing of namespaces, so each database gets its own 127.0.0.1 port: this proxy sets the
header on every request of every keep-alive connection and pipes responses back byte for
byte. Each client connection gets its own upstream connection; WebSocket upgrades (Hrana
over WebSocket) become a raw pipe after the rewritten head.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, BinaryIO

MAX_HEAD = 64 * 1024
# (namespace, Authorization header, uploaded file) -> (HTTP status, JSON body)
UploadHandler = Callable[[str, str | None, Path], Awaitable[tuple[int, dict[str, Any]]]]
_HOP = (b"x-namespace-bin",)


def namespace_header(namespace: str) -> bytes:
    return base64.b64encode(namespace.encode("utf-8")).rstrip(b"=")


class ProxyProtocolError(Exception):
    pass


def rewrite_head(head: bytes, namespace_value: bytes) -> tuple[bytes, int | None, bool, bool]:
    """Rewrite one request head. Returns (head, content_length, chunked, upgrade)."""
    lines = head[:-4].split(b"\r\n")
    if lines[0].startswith(b"PRI "):
        raise ProxyProtocolError("HTTP/2 prior knowledge is not supported")
    out = [lines[0]]
    length: int | None = None
    chunked = upgrade = False
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ProxyProtocolError("malformed header line")
        lname = name.strip().lower()
        if lname in _HOP:
            continue
        if lname == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise ProxyProtocolError("bad Content-Length") from None
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif lname == b"upgrade":
            upgrade = True
        out.append(line)
    out.append(b"x-namespace-bin: " + namespace_value)
    return b"\r\n".join(out) + b"\r\n\r\n", length, chunked, upgrade


async def _copy_exact(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
    while n > 0:
        chunk = await reader.read(min(n, 1 << 16))
        if not chunk:
            raise ConnectionError("client closed in the middle of a body")
        writer.write(chunk)
        n -= len(chunk)
        await writer.drain()


async def _copy_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        line = await reader.readuntil(b"\r\n")
        writer.write(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProxyProtocolError("bad chunk size") from None
        if size == 0:
            while True:
                trailer = await reader.readuntil(b"\r\n")
                writer.write(trailer)
                if trailer == b"\r\n":
                    await writer.drain()
                    return
        await _copy_exact(reader, writer, size + 2)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class NamespaceProxy:
    """127.0.0.1:<port> → sqld at 127.0.0.1:<upstream_port>, namespace ``namespace``."""

    def __init__(
        self, namespace: str, upstream_port: int, on_upload: UploadHandler | None = None
    ) -> None:
        self.namespace = namespace
        self.upstream_port = upstream_port
        self.on_upload = on_upload
        self.upload_dir: Path | None = None
        self._value = namespace_header(namespace)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port: int | None = None

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port, limit=MAX_HEAD)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            try:
                up_reader, upstream_writer = await asyncio.open_connection(
                    "127.0.0.1", self.upstream_port
                )
            except OSError:
                writer.write(
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
                    b"content-length: 59\r\nconnection: close\r\n\r\n"
                    b'{"error": "the database server is restarting, retry soon"}'
                )
                await writer.drain()
                return
            back = asyncio.create_task(_pipe(up_reader, writer))
            try:
                await self._forward_requests(reader, upstream_writer, writer)
            finally:
                if not back.done():
                    with contextlib.suppress(Exception):
                        if upstream_writer.can_write_eof():
                            upstream_writer.write_eof()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await asyncio.wait_for(back, timeout=30)
        except (ConnectionError, asyncio.IncompleteReadError, ProxyProtocolError):
            pass
        except (asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # an oversized head, or the proxy is stopping: drop the connection quietly
        finally:
            for w in (upstream_writer, writer):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()
            if task is not None:
                self._tasks.discard(task)

    async def _forward_requests(
        self,
        reader: asyncio.StreamReader,
        upstream: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
    ) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            new_head, length, chunked, upgrade = rewrite_head(head, self._value)
            if self.on_upload is not None and head.startswith(b"POST /v1/upload "):
                await self._upload(head, reader, client, length, chunked)
                continue
            upstream.write(new_head)
            await upstream.drain()
            if upgrade:
                await _pipe(reader, upstream)
                return
            if chunked:
                await _copy_chunked(reader, upstream)
            elif length:
                await _copy_exact(reader, upstream, length)

    async def _upload(
        self,
        head: bytes,
        reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        length: int | None,
        chunked: bool,
    ) -> None:
        """Turso's `POST /v1/upload` of a SQLite file, answered by the control plane."""
        assert self.on_upload is not None
        authorization = None
        for line in head[:-4].split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"authorization":
                authorization = value.strip().decode("latin-1")
        if self.upload_dir is not None:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".db", dir=self.upload_dir)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as fh:
                if chunked:
                    await _read_chunked(reader, fh)
                elif length:
                    await _read_exact(reader, fh, length)
            status, body = await self.on_upload(self.namespace, authorization, path)
        finally:
            path.unlink(missing_ok=True)  # noqa: ASYNC240 - one unlink of a temp file
        payload = json.dumps(body).encode()
        reason = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 403: b"Forbidden"}
        client.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
            % (status, reason.get(status, b"Error"), len(payload))
            + payload
        )
        await client.drain()


async def _read_exact(reader: asyncio.StreamReader, fh: BinaryIO, n: int) -> None:
    while n > 0:
        chunk = await reader.read(min(n, 1 << 20))
        if not chunk:
            raise ConnectionError("client closed in the middle of an upload")
        fh.write(chunk)
        n -= len(chunk)


async def _read_chunked(reader: asyncio.StreamReader, fh: BinaryIO) -> None:
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProxyProtocolError("bad chunk size") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return
        await _read_exact(reader, fh, size)
        await reader.readexactly(2)
