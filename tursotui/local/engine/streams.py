"""The proxy's two byte streams: the client's (request heads within their timeouts, bodies read or copied,
the connection's idle clock) and sqld's (piped back raw after a WebSocket upgrade, closed gently)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from tursotui.local.engine import limits
from tursotui.local.engine.tally import RowScanner


class ProxyProtocolError(Exception):
    pass


@dataclass
class Connection:
    """One client connection: its budget slot, when bytes last moved (either way), and whether we
    are ending it."""

    slot: limits.Slot
    last: float = field(default_factory=time.monotonic)
    ending: bool = False

    def touch(self) -> None:
        self.last = time.monotonic()


async def _read(reader: asyncio.StreamReader, n: int, conn: Connection) -> bytes:
    """Up to ``n`` bytes; a client silent for BODY_TIMEOUT in the middle of a body is dropped."""
    try:
        chunk = await asyncio.wait_for(reader.read(n), limits.BODY_TIMEOUT)
    except TimeoutError:
        raise ConnectionError("no body byte within the body timeout") from None
    conn.touch()
    return chunk


async def read_small(reader: asyncio.StreamReader, n: int, conn: Connection) -> bytes:
    parts: list[bytes] = []
    while n > 0:
        chunk = await _read(reader, n, conn)
        if not chunk:
            raise ConnectionError("client closed in the middle of a body")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


async def discard(reader: asyncio.StreamReader, n: int, conn: Connection) -> None:
    while n > 0:
        chunk = await _read(reader, min(n, 1 << 16), conn)
        if not chunk:
            raise ConnectionError("client closed in the middle of a body")
        n -= len(chunk)


async def copy_exact(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int, conn: Connection
) -> None:
    while n > 0:
        chunk = await _read(reader, min(n, 1 << 16), conn)
        if not chunk:
            raise ConnectionError("client closed in the middle of a body")
        writer.write(chunk)
        n -= len(chunk)
        await writer.drain()


async def copy_chunked(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: Connection
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
        await copy_exact(reader, writer, size + 2, conn)


async def pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    conn: Connection,
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


async def next_head(reader: asyncio.StreamReader, conn: Connection, first: bool) -> bytes | None:
    """The next request head, or None when the client closed or idled out.

    The first head must arrive whole within HEADER_TIMEOUT of the connection; later ones must begin
    within IDLE_TIMEOUT of the last byte moved either way, then be whole within HEADER_TIMEOUT.
    """
    conn.slot.idle(True)  # evictable until a whole head is in (see ConnectionBudget)
    try:
        return await _wait_head(reader, conn, first)
    finally:
        conn.slot.idle(False)


async def _wait_head(reader: asyncio.StreamReader, conn: Connection, first: bool) -> bytes | None:
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


async def close_gently(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
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


async def finish(upstream: asyncio.StreamWriter, back: asyncio.Task[None] | None) -> None:
    """Half-close sqld's connection and let the responses still coming reach the client."""
    if back is not None and not back.done():
        with contextlib.suppress(Exception):
            if upstream.can_write_eof():
                upstream.write_eof()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(back, timeout=30)
    with contextlib.suppress(Exception):
        upstream.close()
