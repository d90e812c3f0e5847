"""The embedded-replica sync "v2" endpoints every database URL of the local Turso answers itself.

Turso Cloud serves them, and ``libsql`` ≥ 0.1.9 speaks nothing else; sqld 0.24.32 does not serve them, so the
database's proxy answers them from the database's generation store (sync-v2-protocol.md §3, §8.3):

* ``GET /info`` → ``{"current_generation": g, "current_frame_no": n, "generations": {"<g>": frames, ...}}``
  (the client reads only the first; the others let tursotui say how far a replica is behind);
* ``GET /export/{g}`` → generation g's base image (404 unless kept);
* ``GET /sync/{g}/{s}/{e}`` → frames s … e-1 of generation g (200); ``400 {"generation": current}`` when s is
  one past g's last frame (the end of g); 409 past that (the replica has frames this server never had); 410 for
  a generation no longer kept;
* ``POST /sync/...`` (offline writes) → 405 with a JSON reason: sqld cannot take pages pushed into a primary.
  Never a 5xx, which the client retries for about 6 s.

Before each answer the store catches up with sqld (read-your-writes), one catch-up at a time per database,
authenticated by sqld with the requester's own token: none or a refused one gets 401. sqld unreachable
(restarting) gets 503, which the client retries.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tursotui.local.engine.syncv2.codec import CodecError
from tursotui.local.engine.syncv2.database import DatabaseSync
from tursotui.local.engine.syncv2.follower import Follower, LogReset
from tursotui.local.engine.syncv2.grpcweb import GrpcError, ReplicationLogClient, SqldUnreachable
from tursotui.local.engine.syncv2.store import GenerationStore, Policy, StoreError
from tursotui.local.errors import ApiError

log = logging.getLogger(__name__)

_SYNC = re.compile(rb"^/sync/(\d{1,10})/(\d{1,10})/(\d{1,10})(?:/[A-Za-z0-9_.~-]{1,200})?$")
_EXPORT = re.compile(rb"^/export/(\d{1,10})$")
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
    """A request this module answers (the proxy never forwards it)."""
    if method == b"GET" and (path == b"/info" or _EXPORT.match(path)):
        return True
    return method in (b"GET", b"POST") and _SYNC.match(path) is not None


def answer(status: int, body: bytes, content_type: bytes = b"application/json") -> bytes:
    head = b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n" % (
        status,
        REASONS.get(status, b"Error"),
        content_type,
        len(body),
    )
    if status == 405:
        head += b"allow: GET\r\n"
    return head + b"\r\n" + body


def error(status: int, message: str) -> bytes:
    return answer(status, json.dumps({"error": message}).encode("utf-8"))


def _frames(store: GenerationStore, g: int, start: int, end: int) -> bytes:
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
    return answer(200, store.frames(g, start, end), b"application/octet-stream")


@dataclass
class SyncServer:
    """The sync-v2 endpoints of every database of one local Turso; stores under ``root/<database>``."""

    root: Path
    primary_port: Callable[[], int]
    """The primary sqld's HTTP port (raises while it is restarting)."""
    http: httpx.AsyncClient
    policy: Policy = field(default_factory=Policy)
    databases: dict[str, DatabaseSync] = field(default_factory=dict)

    def database(self, name: str) -> DatabaseSync:
        found = self.databases.get(name)
        if found is None:
            if not name or "/" in name or name.startswith("."):
                raise ValueError(f"not a database name: {name!r}")
            value = base64.b64encode(name.encode("utf-8")).rstrip(b"=")
            client = ReplicationLogClient(self.http, 0, value)
            found = DatabaseSync(name, self.root / name, Follower(client), self.policy)
            self.databases[name] = found
        return found

    async def answer(
        self, namespace: str, method: bytes, path: bytes, authorization: bytes | None
    ) -> bytes:
        """The whole HTTP answer to one sync request of database ``namespace``."""
        sync = self.database(namespace)
        async with sync.lock:
            try:
                sync.follower.client.port = self.primary_port()
                store = await sync.fresh(authorization or b"")
            except GrpcError as exc:
                if exc.unauthorized:
                    return error(401, f"the token was refused for database {namespace}")
                if "NAMESPACE_DOESNT_EXIST" in exc.message:
                    return error(404, f"database {namespace} does not exist")
                log.warning("%s: sync catch-up failed: %s", namespace, exc)
                return error(
                    503, f"the database server could not be read, retry soon ({exc.message})"
                )
            except (SqldUnreachable, LogReset) as exc:
                return error(503, f"the database server is restarting, retry soon ({exc})")
            except (CodecError, StoreError, OSError) as exc:
                sync.store = None  # read again from disk next time: what was published stays
                log.error("%s: sync store failed: %s", namespace, exc)
                return error(503, f"the sync store of {namespace} failed: {exc}")
            except ApiError as exc:  # the primary sqld is restarting: no port to read from
                return error(exc.status, exc.message)
            return await self._route(store, method, path)

    async def _route(self, store: GenerationStore, method: bytes, path: bytes) -> bytes:
        if path == b"/info":
            body = {
                "current_generation": store.current,
                "current_frame_no": store.frame_count(store.current),
                "generations": {str(g): n for g, n in sorted(store.counts.items())},
            }
            return answer(200, json.dumps(body).encode())
        if method == b"POST":
            return error(405, PUSH_REFUSED)
        if matched := _EXPORT.match(path):
            g = int(matched.group(1))
            base = await asyncio.to_thread(store.base, g)
            if base is None:
                return error(404, f"generation {g} is not kept here (current: {store.current})")
            return answer(200, base, b"application/octet-stream")
        matched = _SYNC.match(path)
        assert matched is not None
        g, start, end = (int(x) for x in matched.groups())
        if start < 1 or end <= start:
            return error(404, f"no frames {start}…{end - 1}: frames are numbered from 1")
        return await asyncio.to_thread(_frames, store, g, start, end)
