"""sqld's answers as the proxy reads them: one response at a time, framed, counted, and replayed when sqld
answered for a namespace it had just evicted.

Once ``--max-active-namespaces`` databases are loaded, sqld can evict a namespace between handing it to a
request and the request locking it; that request gets ``404 {"error":"Namespace `x` doesn't exist"}``
although x is intact, and the next request loads it again (sqld-namespaces.md §1: ~2 % of first requests to
cold databases). sqld answers so from the extractor, before any statement runs: the proxy, which only
serves databases the control plane knows, sends the same request again — at most :data:`MISSING_TRIES`
times, :data:`MISSING_BACKOFF` apart — when it holds the whole request (a body up to 1 MiB, read before it
is forwarded), and never once any byte of an answer reached the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from tursotui.local.engine.tally import RowScanner

MISSING_TRIES = 3
MISSING_BACKOFF = (0.01, 0.03)
"""Seconds before the 2nd and the 3rd try of a request sqld answered with the eviction 404."""
MISSING_BODY = 4096
"""The eviction 404's body is a short JSON error: a longer 404 is some other answer."""
_NO_BODY = frozenset({204, 304})


@dataclass
class Answer:
    """One response head from sqld: its status and how its body is framed."""

    head: bytes
    status: int
    length: int | None
    chunked: bool
    close: bool

    @property
    def bodiless(self) -> bool:
        return self.status in _NO_BODY or 100 <= self.status < 200


def parse_answer(head: bytes, *, head_request: bool = False) -> Answer:
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        raise ConnectionError("sqld sent a malformed status line") from None
    length: int | None = None
    chunked = False
    close = parts[0] == b"HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise ConnectionError("sqld sent a bad Content-Length") from None
        elif lname == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif lname == b"connection":
            close = b"close" in value.lower()
    if head_request:
        length, chunked = 0, False
    return Answer(head, status, length, chunked, close)


async def read_answer(reader: asyncio.StreamReader, *, head_request: bool = False) -> Answer | None:
    """The next final response head (1xx interim answers are skipped), or None when sqld closed first."""
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        answer = parse_answer(head, head_request=head_request)
        if 100 <= answer.status < 200 and answer.status != 101:
            continue
        return answer


def is_eviction(answer: Answer, body: bytes) -> bool:
    """sqld's 404 for a namespace that exists but was just evicted (the proxy serves only known ones)."""
    return answer.status == 404 and b"Namespace" in body and b"doesn't exist" in body


async def small_body(reader: asyncio.StreamReader, answer: Answer) -> bytes | None:
    """The whole body of a short, content-length framed answer; None for any other (left unread)."""
    if answer.chunked or answer.length is None or answer.length > MISSING_BODY:
        return None
    return await reader.readexactly(answer.length)


async def relay_body(
    reader: asyncio.StreamReader,
    client: asyncio.StreamWriter,
    answer: Answer,
    scanner: RowScanner,
    touch: Callable[[], None],
) -> bool:
    """Copy the body of ``answer`` to the client, its content fed to ``scanner``. Returns False when the
    body ends with sqld's connection (neither connection can be used again)."""
    try:
        if answer.bodiless or answer.length == 0:
            return True
        if answer.chunked:
            await _relay_chunked(reader, client, scanner, touch)
            return True
        remaining = answer.length
        while remaining is None or remaining > 0:
            want = 1 << 16 if remaining is None else min(remaining, 1 << 16)
            data = await reader.read(want)
            if not data:
                if remaining is None:
                    return False  # the body was "until sqld closes"
                raise ConnectionError("sqld closed in the middle of an answer")
            scanner.feed(data)
            client.write(data)
            await client.drain()
            touch()
            if remaining is not None:
                remaining -= len(data)
        return True
    finally:
        scanner.close()


async def _relay_chunked(
    reader: asyncio.StreamReader,
    client: asyncio.StreamWriter,
    scanner: RowScanner,
    touch: Callable[[], None],
) -> None:
    while True:
        line = await reader.readuntil(b"\r\n")
        client.write(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ConnectionError("sqld sent a bad chunk size") from None
        if size == 0:
            while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                client.write(trailer)
            client.write(b"\r\n")
            await client.drain()
            return
        remaining = size + 2
        while remaining > 0:
            data = await reader.read(min(remaining, 1 << 16))
            if not data:
                raise ConnectionError("sqld closed in the middle of a chunk")
            scanner.feed(data[: max(0, remaining - 2)])  # not the chunk's closing CRLF
            client.write(data)
            remaining -= len(data)
        await client.drain()
        touch()


__all__ = [
    "MISSING_BACKOFF",
    "MISSING_TRIES",
    "Answer",
    "is_eviction",
    "read_answer",
    "relay_body",
    "small_body",
]
