"""One loopback port per database instance in front of a namespaced sqld.

sqld picks a namespace from the ``x-namespace-bin`` header (unpadded base64 of the name)
before the Host header. A stock client (httpx Hrana, libsql's embedded replica) knows
nothing of namespaces, so each database gets its own 127.0.0.1 port: this proxy sets the
header on every request of every keep-alive connection and pipes responses back byte for
byte. WebSocket upgrades (Hrana over WebSocket) become a raw pipe after the rewritten head.

Every request passes :mod:`tursotui.local.engine.gate` first (known routes only, unexpired tokens). The
embedded replica's sync "v2" requests (``/info``, ``/export``, ``/sync``) are answered here from the database's
generation store (:mod:`tursotui.local.engine.syncv2`, shared by the database's primary and replica-location
proxies), never forwarded. A connection must send a whole request head within :data:`limits.HEADER_TIMEOUT`, may idle
:data:`limits.IDLE_TIMEOUT` between requests, and is refused with a 503 past the connection caps.
The upstream sqld connection is opened only for a request that is forwarded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tursotui.local.engine import limits
from tursotui.local.engine.answers import (
    MISSING_BACKOFF,
    MISSING_TRIES,
    is_eviction,
    read_answer,
    relay_body,
    small_body,
)
from tursotui.local.engine.gate import header, json_response, refusal, request_line
from tursotui.local.engine.syncv2 import SyncServer, is_sync_route
from tursotui.local.engine.tally import RowScanner, Tally
from tursotui.local.engine.upload_body import UploadHandler, receive_upload
from tursotui.local.engine.wsgate import expired_answer, first_frame, hello_expired

__all__ = ["NamespaceProxy", "ProxyProtocolError", "UploadHandler", "namespace_header"]

_HOP = (b"x-namespace-bin", b"accept-encoding")
"""Dropped from every request: the namespace is the proxy's to name, and answers come uncompressed (on
loopback compression only costs CPU, and the proxy counts rows in the answers: engine.tally)."""
SMALL_BODY = 1 << 20
"""Request bodies up to this size are read whole before they are forwarded with their head."""
SYNC_BODY = 1 << 20
"""A sync push (refused, its body read and dropped) carries at most 128 frames of 4120 bytes."""
UNAVAILABLE = json_response(503, "the database server is restarting, retry soon")


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
            if length < 0:
                raise ProxyProtocolError("bad Content-Length")
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif lname == b"upgrade":
            upgrade = True
        out.append(line)
    out.append(b"x-namespace-bin: " + namespace_value)
    return b"\r\n".join(out) + b"\r\n\r\n", length, chunked, upgrade


@dataclass
class _Connection:
    """One client connection: its budget slot, when bytes last moved (either way), and whether we
    are ending it."""

    slot: limits.Slot
    last: float = field(default_factory=time.monotonic)
    ending: bool = False

    def touch(self) -> None:
        self.last = time.monotonic()


async def _read(reader: asyncio.StreamReader, n: int, conn: _Connection) -> bytes:
    """Up to ``n`` bytes; a client silent for BODY_TIMEOUT in the middle of a body is dropped."""
    try:
        chunk = await asyncio.wait_for(reader.read(n), limits.BODY_TIMEOUT)
    except TimeoutError:
        raise ConnectionError("no body byte within the body timeout") from None
    conn.touch()
    return chunk


async def _read_small(reader: asyncio.StreamReader, n: int, conn: _Connection) -> bytes:
    parts: list[bytes] = []
    while n > 0:
        chunk = await _read(reader, n, conn)
        if not chunk:
            raise ConnectionError("client closed in the middle of a body")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


async def _discard(reader: asyncio.StreamReader, n: int, conn: _Connection) -> None:
    while n > 0:
        chunk = await _read(reader, min(n, 1 << 16), conn)
        if not chunk:
            raise ConnectionError("client closed in the middle of a body")
        n -= len(chunk)


async def _copy_exact(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int, conn: _Connection
) -> None:
    while n > 0:
        chunk = await _read(reader, min(n, 1 << 16), conn)
        if not chunk:
            raise ConnectionError("client closed in the middle of a body")
        writer.write(chunk)
        n -= len(chunk)
        await writer.drain()


async def _copy_chunked(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: _Connection
) -> None:
    while True:
        line = await asyncio.wait_for(reader.readuntil(b"\r\n"), limits.BODY_TIMEOUT)
        writer.write(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProxyProtocolError("bad chunk size") from None
        if size == 0:
            while True:
                trailer = await asyncio.wait_for(reader.readuntil(b"\r\n"), limits.BODY_TIMEOUT)
                writer.write(trailer)
                if trailer == b"\r\n":
                    await writer.drain()
                    return
        await _copy_exact(reader, writer, size + 2, conn)


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    conn: _Connection,
    *,
    close: bool = True,
    scanner: RowScanner | None = None,
) -> None:
    try:
        while data := await reader.read(1 << 16):
            conn.touch()
            if scanner is not None:  # sqld's WebSocket frames are unmasked: Hrana JSON as sent
                scanner.feed(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        if close or not conn.ending:  # sqld closed: so does the client (unless we answer last)
            with contextlib.suppress(Exception):
                writer.close()


async def _next_head(reader: asyncio.StreamReader, conn: _Connection, first: bool) -> bytes | None:
    """The next request head, or None when the client closed or idled out.

    The first head must arrive whole within HEADER_TIMEOUT of the connection; later ones must begin
    within IDLE_TIMEOUT of the last byte moved either way, then be whole within HEADER_TIMEOUT.
    """
    conn.slot.idle(True)  # evictable until a whole head is in (see ConnectionBudget)
    try:
        return await _wait_head(reader, conn, first)
    finally:
        conn.slot.idle(False)


async def _wait_head(reader: asyncio.StreamReader, conn: _Connection, first: bool) -> bytes | None:
    if first:
        try:
            return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limits.HEADER_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError):
            return None
    while True:
        remaining = conn.last + limits.IDLE_TIMEOUT - time.monotonic()
        if remaining <= 0:
            return None
        try:
            start = await asyncio.wait_for(reader.read(1), remaining)
            break
        except TimeoutError:
            continue  # a response may have moved meanwhile: measured again from conn.last
    if not start:
        return None
    try:
        return start + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limits.HEADER_TIMEOUT)
    except (TimeoutError, asyncio.IncompleteReadError):
        return None


class NamespaceProxy:
    """127.0.0.1:<port> → sqld at 127.0.0.1:<upstream_port>, namespace ``namespace``."""

    def __init__(
        self, namespace: str, upstream_port: int, on_upload: UploadHandler | None = None
    ) -> None:
        self.namespace = namespace
        self.upstream_port = upstream_port
        self.on_upload = on_upload
        self.upload_dir: Path | None = None
        self.budget = limits.ConnectionBudget()
        self.answer_all: bytes | None = None
        """When set, the answer to every request, none forwarded (an archived database's 502)."""
        self.admit: Callable[[bytes], bytes | None] | None = None
        """When set, asked with each request head after the route check: an answer refuses the
        request (never forwarded), None lets it through (an encrypted database's key check)."""
        self.sync: SyncServer | None = None
        """Answers the sync-v2 requests (set by the data plane); None: they are forwarded (sqld: 404)."""
        self.tally = Tally(namespace)
        """Requests, rows read and written (counted from sqld's answers) and bytes synced."""
        self.evictions_retried = 0
        """Requests sent again after sqld's eviction 404 (engine.answers)."""
        self._value = namespace_header(namespace)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port: int | None = None

    async def start(self, port: int = 0) -> int:
        limits.quiet_accept_errors()
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", port, limit=limits.MAX_HEAD
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        limits.LISTENERS += 1
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            limits.LISTENERS -= 1
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        slot = self.budget.acquire(writer.close)
        if slot is None:
            with contextlib.suppress(Exception):
                limits.refuse(writer.transport)
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        gently = False
        try:
            await self._serve(reader, writer, slot)
            gently = True
        except (ConnectionError, asyncio.IncompleteReadError, ProxyProtocolError, TimeoutError):
            pass
        except (asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # an oversized head, or the proxy is stopping: drop the connection quietly
        finally:
            if gently:
                await _close_gently(reader, writer)
            slot.release()
            with contextlib.suppress(Exception):
                writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _serve(
        self, reader: asyncio.StreamReader, client: asyncio.StreamWriter, slot: limits.Slot
    ) -> None:
        conn = _Connection(slot)
        link = _Link()
        back: asyncio.Task[None] | None = None
        last: bytes | None = None  # an answer written after every earlier response
        try:
            first = True
            while (head := await _next_head(reader, conn, first)) is not None:
                first = False
                last = self.answer_all or refusal(head)
                if last is None and self.admit is not None:
                    last = self.admit(head)
                if last is not None:
                    break  # never forwarded
                new_head, length, chunked, upgrade = rewrite_head(head, self._value)
                method, path = request_line(head)
                self.tally.requests += 1
                if self.sync is not None and is_sync_route(method, path):
                    if chunked:
                        last = json_response(411, "a sync request needs a Content-Length")
                        break
                    if (length or 0) > SYNC_BODY:
                        last = json_response(
                            413, f"a sync request body is at most {SYNC_BODY} bytes"
                        )
                        break
                    await _discard(reader, length or 0, conn)
                    auth = header(head, b"authorization")
                    reply = await self.sync.answer(self.namespace, method, path, auth)
                    self.tally.bytes_synced += len(reply.data) + reply.size
                    self.tally.counted()
                    await reply.send(client)
                    conn.touch()
                    continue
                if self.on_upload is not None and (method, path) == (b"POST", b"/v1/upload"):
                    if not await receive_upload(
                        self.on_upload,
                        self.namespace,
                        self.upload_dir,
                        head,
                        reader,
                        client,
                        length,
                        chunked,
                    ):
                        return
                    continue
                # A small body goes with its head in one write: sqld may answer (401) before reading
                # a body that has not arrived yet, and then closes the connection it cannot reuse.
                body = b""
                if length and not chunked and not upgrade and length <= SMALL_BODY:
                    body = await _read_small(reader, length, conn)
                if upgrade:  # Hrana over WebSocket: its token is in the first message
                    if not await link.open(self.upstream_port):
                        last = UNAVAILABLE
                        break
                    assert link.reader is not None and link.writer is not None
                    scanner = RowScanner(self.tally)
                    back = asyncio.create_task(
                        _pipe(link.reader, client, conn, close=False, scanner=scanner)
                    )
                    link.writer.write(new_head)
                    await link.writer.drain()
                    frame, payload = await first_frame(reader)
                    if hello_expired(payload):
                        last = expired_answer()
                        break
                    link.writer.write(frame)
                    await _pipe(reader, link.writer, conn)
                    return
                wants_close = b"close" in (header(head, b"connection") or b"").lower()
                request = _Request(new_head, body, length, chunked, method == b"HEAD", wants_close)
                outcome = await self._exchange(link, reader, client, conn, request)
                if outcome is not None:
                    last = outcome or None
                    break
        finally:
            conn.ending = True
            if link.writer is not None:
                await _finish(link.writer, back)
            if last is not None and not client.is_closing():
                client.write(last)
                await client.drain()

    async def _exchange(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        conn: _Connection,
        request: _Request,
    ) -> bytes | None:
        """Forward one request and relay sqld's answer. None: the connection goes on; an answer to
        write last, or b"" to end the connection (sqld closed it)."""
        held = b""  # the eviction 404 of the try before: the answer if no other comes
        for attempt in range(1, MISSING_TRIES + 1):
            if not await link.open(self.upstream_port):
                return held or UNAVAILABLE
            assert link.reader is not None and link.writer is not None
            sent = True
            try:
                link.writer.write(request.head + request.body)
                await link.writer.drain()
                if request.chunked:
                    await _copy_chunked(reader, link.writer, conn)
                elif request.length and not request.body:
                    await _copy_exact(reader, link.writer, request.length, conn)
            except (BrokenPipeError, ConnectionResetError):
                sent = False  # sqld answered early (a refusal) and closed: its answer follows
            answer = await read_answer(link.reader, head_request=request.head_only)
            if answer is None:
                return held  # sqld closed without an answer (stopped, or restarting)
            conn.touch()
            known: bytes | None = None
            if answer.status == 404 and request.whole:
                known = await small_body(link.reader, answer)
                if known is not None and is_eviction(answer, known) and attempt < MISSING_TRIES:
                    self.evictions_retried += 1
                    held = answer.head + known
                    link.close()  # a fresh connection: this one may be closing (Connection: close)
                    await asyncio.sleep(MISSING_BACKOFF[attempt - 1])
                    continue
            if known is not None:
                client.write(answer.head + known)
                await client.drain()
                reusable = True
            else:
                client.write(answer.head)
                reusable = await relay_body(
                    link.reader, client, answer, RowScanner(self.tally), conn.touch
                )
            if not (reusable and sent) or answer.close or request.close:
                return b""
            return None
        raise AssertionError("unreachable")


@dataclass
class _Request:
    """A request as forwarded: its rewritten head, and its body when read whole."""

    head: bytes
    body: bytes
    length: int | None
    chunked: bool
    head_only: bool
    close: bool
    """The client asked for ``Connection: close``: sqld closes after its answer."""

    @property
    def whole(self) -> bool:
        """Held whole by the proxy: it can be sent again."""
        return not self.chunked and (not self.length or bool(self.body))


@dataclass
class _Link:
    """The sqld connection of one client connection, opened for its first forwarded request."""

    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def open(self, port: int) -> bool:
        if self.writer is not None and not self.writer.is_closing():
            return True
        try:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        return True

    def close(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()
        self.reader = self.writer = None


async def _close_gently(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half-close, then read and drop what the client still sends for up to LINGER s: closing with
    unread bytes would reset the connection and lose the answer just written (a refusal, a 413)."""
    with contextlib.suppress(Exception):
        if reader.at_eof() or writer.is_closing() or not writer.can_write_eof():
            return
        writer.write_eof()
        deadline = time.monotonic() + limits.LINGER
        dropped = 0
        while dropped < limits.LINGER_BYTES and (remaining := deadline - time.monotonic()) > 0:
            chunk = await asyncio.wait_for(reader.read(1 << 16), remaining)
            if not chunk:
                return
            dropped += len(chunk)


async def _finish(upstream: asyncio.StreamWriter, back: asyncio.Task[None] | None) -> None:
    """Half-close sqld's connection and let the responses still coming reach the client."""
    if back is not None and not back.done():
        with contextlib.suppress(Exception):
            if upstream.can_write_eof():
                upstream.write_eof()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(back, timeout=30)
    with contextlib.suppress(Exception):
        upstream.close()
