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
from collections.abc import Callable
from dataclasses import dataclass
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
from tursotui.local.engine.streams import (
    Connection,
    ProxyProtocolError,
    close_gently,
    copy_chunked,
    copy_exact,
    discard,
    finish,
    next_head,
    pipe,
    read_small,
)
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
                await close_gently(reader, writer)
            slot.release()
            with contextlib.suppress(Exception):
                writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _serve(
        self, reader: asyncio.StreamReader, client: asyncio.StreamWriter, slot: limits.Slot
    ) -> None:
        conn = Connection(slot)
        link = _Link()
        back: asyncio.Task[None] | None = None
        last: bytes | None = None  # an answer written after every earlier response
        try:
            first = True
            while (head := await next_head(reader, conn, first)) is not None:
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
                    await discard(reader, length or 0, conn)
                    auth = header(head, b"authorization")
                    reply = await self.sync.answer(self.namespace, method, path, auth)
                    if reply.status == 200:  # a refusal (401, 404…) is not usage
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
                    body = await read_small(reader, length, conn)
                if upgrade:  # Hrana over WebSocket: its token is in the first message
                    if not await link.open(self.upstream_port):
                        last = UNAVAILABLE
                        break
                    assert link.reader is not None and link.writer is not None
                    scanner = RowScanner(self.tally)
                    back = asyncio.create_task(
                        pipe(link.reader, client, conn, close=False, scanner=scanner)
                    )
                    link.writer.write(new_head)
                    await link.writer.drain()
                    frame, payload = await first_frame(reader)
                    if hello_expired(payload):
                        last = expired_answer()
                        break
                    link.writer.write(frame)
                    await pipe(reader, link.writer, conn)
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
                await finish(link.writer, back)
            if last is not None and not client.is_closing():
                client.write(last)
                await client.drain()

    async def _exchange(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        client: asyncio.StreamWriter,
        conn: Connection,
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
                    await copy_chunked(reader, link.writer, conn)
                elif request.length and not request.body:
                    await copy_exact(reader, link.writer, request.length, conn)
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
