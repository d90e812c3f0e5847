"""The HTTP answers of the sync-v2 endpoints, made from a database's generation store.

* ``GET /info`` → ``{"current_generation": g, "current_frame_no": n, "generations": {"<g>": frames, ...}}``
  (the client reads only the first; the others let tursotui say how far a replica is behind);
* ``GET /export/{g}`` → generation g's base image (404 unless kept), streamed from its file;
* ``GET /sync/{g}/{s}/{e}`` → frames s … e-1 of generation g, at most :data:`MAX_FRAMES` of them (200: the
  client asks again from where the answer ends); ``400 {"generation": current}`` when s is one past g's last
  frame (the end of g); 409 past that (the replica has frames this server never had); 410 for a generation
  no longer kept;
* ``POST /sync/...`` (offline writes) → 405 with a JSON reason: sqld cannot take pages pushed into a primary.
  Never a 5xx, which the client retries for about 6 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from dataclasses import dataclass
from typing import BinaryIO

from tursotui.local.engine.syncv2.database import settled
from tursotui.local.engine.syncv2.store import GenerationStore

_SYNC = re.compile(rb"^/sync/(\d{1,10})/(\d{1,10})/(\d{1,10})(?:/[A-Za-z0-9_.~-]{1,200})?$")
_EXPORT = re.compile(rb"^/export/(\d{1,10})$")
MAX_FRAMES = 128
"""Frames in one ``/sync`` answer at most (what the client asks for at a time): about 527 KB in memory."""
PUSH_REFUSED = (
    "offline writes cannot be pushed to this server: the local Turso's sqld takes writes only through "
    "Hrana; keep offline=False (the default), so writes go to the primary and the replica pulls them"
)
REASONS = {
    200: b"OK",
    400: b"Bad Request",
    401: b"Unauthorized",
    404: b"Not Found",
    405: b"Method Not Allowed",
    409: b"Conflict",
    410: b"Gone",
    500: b"Internal Server Error",
    503: b"Service Unavailable",
}


def is_sync_route(method: bytes, path: bytes) -> bool:
    """A request this package answers (the proxy never forwards it)."""
    if method == b"GET" and (path == b"/info" or _EXPORT.match(path)):
        return True
    return method in (b"GET", b"POST") and _SYNC.match(path) is not None


def head(status: int, length: int, content_type: bytes = b"application/json") -> bytes:
    out = b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n" % (
        status,
        REASONS.get(status, b"Error"),
        content_type,
        length,
    )
    if status == 405:
        out += b"allow: GET\r\n"
    return out + b"\r\n"


def answer(status: int, body: bytes, content_type: bytes = b"application/json") -> bytes:
    return head(status, len(body), content_type) + body


def error(status: int, message: str) -> bytes:
    return answer(status, json.dumps({"error": message}).encode("utf-8"))


@dataclass
class Reply:
    """A whole answer in memory, or a head followed by ``size`` bytes of an open file (an export)."""

    data: bytes
    file: BinaryIO | None = None
    size: int = 0

    @property
    def status(self) -> int:
        """The HTTP status of the answer (its head's status line)."""
        try:
            return int(self.data.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 0

    async def send(self, client: asyncio.StreamWriter) -> None:
        """Write it to ``client``; the file goes by sendfile (or in chunks read in a thread), never read whole."""
        try:
            client.write(self.data)
            await client.drain()
            if self.file is not None and self.size:
                loop = asyncio.get_running_loop()
                await loop.sendfile(client.transport, self.file, 0, self.size)
        finally:
            self.close()

    def close(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
            self.file = None


def frames_answer(store: GenerationStore, g: int, start: int, end: int) -> bytes:
    """The answer to ``GET /sync/{g}/{start}/{end}`` (file reads: called in a thread)."""
    count = store.frame_count(g)
    if count is None:
        if g < store.oldest:
            return error(
                410,
                f"generation {g} is no longer kept (the oldest is {store.oldest}): "
                "delete the replica file and its -wal, -shm and -info files, then sync again",
            )
        return error(
            409, f"generation {g} was never served here (the current one is {store.current})"
        )
    if start > count + 1:
        return error(
            409,
            f"the replica has frames this server never had: generation {g} ends at frame {count}, "
            f"the replica asks from {start}; delete the replica and sync again",
        )
    if start == count + 1:
        return answer(400, json.dumps({"generation": store.current}).encode())
    body = store.frames(g, start, min(end, start + MAX_FRAMES))
    return answer(200, body, b"application/octet-stream")


async def route(store: GenerationStore, method: bytes, path: bytes) -> Reply:
    """The answer to one sync request, from ``store`` (level with sqld; the caller holds its lock)."""
    if path == b"/info":
        body = {
            "current_generation": store.current,
            "current_frame_no": store.frame_count(store.current),
            "generations": {str(g): n for g, n in sorted(store.counts.items())},
        }
        return Reply(answer(200, json.dumps(body).encode()))
    if method == b"POST":
        return Reply(error(405, PUSH_REFUSED))
    if matched := _EXPORT.match(path):
        g = int(matched.group(1))
        opened = await settled(store.open_base, g)
        if opened is None:
            return Reply(error(404, f"generation {g} is not kept here (current: {store.current})"))
        fh, size = opened
        return Reply(head(200, size, b"application/octet-stream"), fh, size)
    matched = _SYNC.match(path)
    if matched is None:
        return Reply(error(404, "not a sync route"))
    g, start, end = (int(x) for x in matched.groups())
    if start < 1 or end <= start:
        return Reply(error(404, f"no frames {start}…{end - 1}: frames are numbered from 1"))
    return Reply(await settled(frames_answer, store, g, start, end))
