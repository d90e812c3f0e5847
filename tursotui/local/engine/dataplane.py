"""The real sqld processes behind the local Turso and the per-instance proxies in front.

One primary sqld with namespaces (one namespace per database) and one replica sqld per
replica location (``--primary-grpc-url``); every database instance gets its own stable
127.0.0.1 port (:class:`NamespaceProxy`). A watchdog restarts a sqld that died; while it
is down, calls that need it get :func:`unavailable` (503).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tursotui.local.engine import limits
from tursotui.local.engine.admin import SqldAdmin
from tursotui.local.engine.gate import json_response
from tursotui.local.engine.guard import close_data_dir, ensure_admin_key, ensure_seal_key
from tursotui.local.engine.pidfiles import StaleSqld, reap_stale_sqld
from tursotui.local.engine.proxy import NamespaceProxy, UploadHandler
from tursotui.local.engine.sqld import PortTakenError, SqldError, SqldProcess, free_port
from tursotui.local.engine.syncv2 import SyncServer
from tursotui.local.engine.tally import Tally
from tursotui.local.engine.tls import GrpcTls, ensure_grpc_tls
from tursotui.local.errors import ApiError, unavailable

log = logging.getLogger(__name__)
# Recovery-friendly replication log: compacted so embedded replicas bootstrap fast. No `default`
# namespace: a request naming no database (no x-namespace-bin, Host localhost) gets a 400, never an
# open keyless database.
# Active namespaces kept loaded: once more are in use, sqld evicts one between loading and locking it
# and answers 404 "doesn't exist" for a database that exists (sqld-namespaces.md §1: 2.2 % of first
# queries at the default cap of 100). 1,000 costs ~290 MB and 5,000 fds in the primary (6,000 in a
# replica) only once that many are in use, and nothing before.
MAX_ACTIVE_NAMESPACES = 1000
SQLD_EXTRA = (
    "--max-log-duration",
    "60",
    "--disable-default-namespace",
    "--max-active-namespaces",
    str(MAX_ACTIVE_NAMESPACES),
)
PRIMARY = "primary"
STABLE_PORTS = (12000, 32768)
"""Where database instances get their ports: below Linux's ephemeral range (32768-60999), from which
outgoing connections and ``free_port`` draw, so that no client socket takes a stopped org's port and
its URLs keep working after a restart. 20,768 ports: more than the instances one process can hold."""
STABLE_ATTEMPTS = 64
"""Ports tried for a new instance before giving up (each taken by another program)."""
PORT_ATTEMPTS = 3
"""Starts of a new sqld on fresh ports when another program took one of them first (a race free_port can lose)."""


def _open_to_others(data_dir: Path) -> bool:
    try:
        return bool(data_dir.stat().st_mode & 0o077)
    except OSError:
        return False


NOT_YET_SERVED = json_response(503, "the database is starting, retry soon")
"""What a new database URL answers until the control plane has set its checks (archive.mark opens it)."""


@dataclass
class Node:
    """One sqld: the primary or the replica for one location."""

    location: str
    process: SqldProcess
    admin: SqldAdmin
    primary: bool
    restarting: bool = False
    restarts: int = 0


@dataclass
class DataPlane:
    root: Path
    http: httpx.AsyncClient
    binary: Path | None = None
    nodes: dict[str, Node] = field(default_factory=dict)  # PRIMARY or a replica location
    proxies: dict[tuple[str, str], NamespaceProxy] = field(default_factory=dict)
    reserved: set[int] = field(default_factory=set)
    """The databases' stable proxy ports: never handed to a sqld (they are bound after the sqld start)."""
    moved: list[str] = field(default_factory=list)
    """Databases whose stable port another program held at start: served on a new port (said here)."""
    stale: list[StaleSqld] | None = None
    """What the first start found in ``pids/`` (sqld left running by a tursotui that died)."""
    admin_key: str = field(default="", repr=False)
    """The key of every sqld's admin API (``<root>/admin-key``, 0600; read at the first start)."""
    data_dir: Path | None = None
    """The local Turso's data dir: closed to other users (0700/0600) at the first start."""
    grpc_tls: GrpcTls | None = None
    """Certificates of the gRPC replication port's mutual TLS (``<root>/tls``; made at the first start)."""
    sync: SyncServer | None = None
    """The sync-v2 endpoints of every database URL (stores under ``<root>/syncv2``; made at the first expose)."""
    counted: set[Tally] = field(default_factory=set)
    """The instances' tallies with counts the billing meters have not taken yet (engine.tally)."""
    _cursor: int | None = None
    _closing: asyncio.Task[None] | None = None
    _by_database: dict[str, dict[str, NamespaceProxy]] = field(default_factory=dict)
    _watchdog: asyncio.Task[None] | None = None
    _reaping: asyncio.Lock = field(default_factory=asyncio.Lock)
    _starting: dict[str, asyncio.Lock] = field(default_factory=dict)
    """One start at a time per location: creates run side by side, and two of them adding the first database
    of a replica location must not start two sqld for it (the second would be left running, unowned)."""

    @property
    def pid_dir(self) -> Path:
        return self.root / "pids"

    # --- processes ---

    def _make_process(self, location: str, primary: bool, ports: dict[str, int]) -> SqldProcess:
        label = "primary" if primary else f"replica-{location}"
        base = self.root / label
        if not self.admin_key:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.admin_key = ensure_admin_key(self.root)
        if self.grpc_tls is None:
            self.grpc_tls = ensure_grpc_tls(self.root)
        grpc_url = None
        if not primary:
            grpc_url = f"https://127.0.0.1:{self.primary.process.grpc_port}"
        return SqldProcess(
            base / "data.sqld",
            http_port=ports.get("http") or free_port(self.reserved),
            admin_port=ports.get("admin") or free_port(self.reserved),
            grpc_port=(ports.get("grpc") or free_port(self.reserved)) if primary else None,
            namespaces=True,
            primary_grpc_url=grpc_url,
            extra_args=SQLD_EXTRA,
            binary=self.binary,
            log_path=base / "sqld.log",
            pid_dir=self.pid_dir,
            label=label,
            admin_key=self.admin_key,
            jwt_key_file=ensure_seal_key(self.root),
            grpc_tls=self.grpc_tls,
        )

    @property
    def primary(self) -> Node:
        return self.node(PRIMARY)

    async def reap_stale(self) -> list[StaleSqld]:
        """Stop the sqld processes a tursotui that died left running on this data dir (once)."""
        async with self._reaping:
            if self.stale is None:
                self.stale = await asyncio.to_thread(reap_stale_sqld, self.pid_dir, self.root)
                if self.data_dir is not None and _open_to_others(self.data_dir):
                    # An earlier version's layout (0755 at the top, 0644 files): the whole data dir is
                    # walked (1.5 s at 10,000 databases) while sqld starts, and the start returns only
                    # once it is done (:meth:`closed`). A data dir made since is 0700 from the top down.
                    self._closing = asyncio.create_task(self._close_data_dir(self.data_dir))
        return self.stale

    async def _close_data_dir(self, data_dir: Path) -> None:
        changed = await asyncio.to_thread(close_data_dir, data_dir)
        if changed:
            log.info("%s: took group/other access off %d files and dirs", data_dir, changed)

    async def closed(self) -> None:
        """Return once the first start has closed the data dir to other users."""
        if self._closing is not None:
            await self._closing

    async def start_node(self, location: str) -> Node:
        """Start the primary (``location == PRIMARY``) or the replica sqld for a location."""
        if location in self.nodes:
            return self.nodes[location]
        async with self._starting.setdefault(location, asyncio.Lock()):
            if location in self.nodes:  # started by the caller this one waited for
                return self.nodes[location]
            return await self._start_node(location)

    async def _start_node(self, location: str) -> Node:
        await self.reap_stale()
        primary = location == PRIMARY
        for attempt in range(1, PORT_ATTEMPTS + 1):
            process = self._make_process(location, primary, {})
            try:
                await asyncio.to_thread(process.start)
                break
            except SqldError as exc:
                if not isinstance(exc, PortTakenError) or attempt == PORT_ATTEMPTS:
                    raise ApiError(500, f"could not start sqld for {location}: {exc}") from None
                log.info("sqld for %s: %s; again on other ports", location, exc)
        node = Node(
            location, process, SqldAdmin(process.admin_url, self.http, self.admin_key), primary
        )
        self.nodes[location] = node
        return node

    async def stop_node(self, location: str) -> None:
        node = self.nodes.pop(location, None)
        if node is None:
            return
        for key in [k for k in self.proxies if k[1] == location]:
            await self.unexpose(*key)
        await asyncio.to_thread(node.process.stop)

    def node(self, location: str) -> Node:
        node = self.nodes.get(location)
        if node is None or node.restarting or not node.process.alive():
            what = "the primary sqld" if location == PRIMARY else f"the {location} replica sqld"
            raise unavailable(what)
        return node

    # --- proxies ---

    async def expose(
        self, database: str, location: str, port: int, on_upload: UploadHandler | None = None
    ) -> int:
        """Serve ``database`` at ``location`` on 127.0.0.1:``port`` (0: a new stable port)."""
        key = (database, location)
        existing = self.proxies.get(key)
        if existing is not None:
            return existing.port or 0
        if limits.max_listeners() <= limits.LISTENERS:
            raise ApiError(
                507,
                f"the local Turso serves at most {limits.max_listeners():,} database instances on this "
                f"machine (one listening port each, within the open-file limit of {limits.fd_limit():,}): "
                f"{database} ({location}) is not served; delete databases or replica locations first",
            )
        node = self.nodes[location]
        proxy = NamespaceProxy(database, node.process.http_port, on_upload)
        proxy.upload_dir = self.root / "uploads"
        if self.sync is None:
            self.sync = SyncServer(
                self.root / "syncv2", lambda: self.primary.process.http_port, self.http
            )
        proxy.sync = self.sync
        proxy.tally.location = location
        proxy.tally.sink = self.counted
        # Closed until the control plane has marked it (archived 502, encryption key, sync grant):
        # a request in between must not reach sqld unchecked.
        proxy.answer_all = NOT_YET_SERVED
        if not port:
            bound = await self._bind_stable(proxy, database, location)
        else:
            bound = await self._bind_kept(proxy, database, location, port)
        self.reserved.add(bound)
        self.proxies[key] = proxy
        self._by_database.setdefault(database, {})[location] = proxy
        return bound

    def proxies_of(self, database: str) -> list[NamespaceProxy]:
        """The proxies of ``database``'s instances (an index: no scan of every instance's)."""
        return list(self._by_database.get(database, {}).values())

    def _next_stable(self) -> int:
        """The next port of :data:`STABLE_PORTS` none of this org's instances has, from where this
        data dir's scan last stopped (each data dir starts at its own place in the range, so two local
        Turso processes rarely reach for the same ports)."""
        low, high = STABLE_PORTS
        if self._cursor is None:
            self._cursor = zlib.crc32(str(self.root.absolute()).encode("utf-8")) % (high - low)
        for _ in range(high - low):
            port = low + self._cursor
            self._cursor = (self._cursor + 1) % (high - low)
            if port not in self.reserved:
                return port
        raise ApiError(507, f"every port of 127.0.0.1:{low}-{high - 1} is given to a database")

    async def _bind_stable(self, proxy: NamespaceProxy, database: str, location: str) -> int:
        last: OSError | None = None
        for _ in range(STABLE_ATTEMPTS):
            port = self._next_stable()
            try:
                return await proxy.start(port)
            except OSError as exc:  # another program listens there (maybe a whole run of ports: a
                last = exc  # fleet of another data dir), go on from a random place in the range
                self._cursor = random.randrange(STABLE_PORTS[1] - STABLE_PORTS[0])
        reason = last.strerror if last is not None else "none free"
        raise ApiError(
            500,
            f"no port for {database} ({location}) on 127.0.0.1 within {STABLE_ATTEMPTS} tries of "
            f"{STABLE_PORTS[0]}-{STABLE_PORTS[1] - 1}: {reason}",
        )

    async def _bind_kept(
        self, proxy: NamespaceProxy, database: str, location: str, port: int
    ) -> int:
        try:
            return await proxy.start(port)
        except OSError as exc:
            # Another program took the stable port while the local Turso was stopped: serve the
            # database on a new one rather than not at all, and say so (its URL changes).
            try:
                bound = await self._bind_stable(proxy, database, location)
            except ApiError as again:
                raise ApiError(
                    500,
                    f"port 127.0.0.1:{port} for {database} ({location}) is taken "
                    f"({exc.strerror}) and no other port could be bound ({again.message})",
                ) from None
            note = (
                f"{database} ({location}): 127.0.0.1:{port} is held by another program; "
                f"now served on 127.0.0.1:{bound} (its URL changed)"
            )
            log.warning("%s", note)
            self.moved.append(note)
            return bound

    async def unexpose(self, database: str, location: str | None = None) -> None:
        served = self._by_database.get(database, {})
        for where in [loc for loc in served if location in (None, loc)]:
            proxy = self.proxies.pop((database, where))
            del served[where]
            self.reserved.discard(proxy.port or 0)
            await proxy.stop()
        if not served:
            self._by_database.pop(database, None)

    # --- watchdog ---

    def start_watchdog(self, interval: float = 0.5) -> None:
        if self._watchdog is None:
            self._watchdog = asyncio.create_task(self._watch(interval))

    async def _watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            for node in list(self.nodes.values()):
                if node.restarting or node.process.alive():
                    continue
                node.restarting = True
                log.warning("sqld for %s died; restarting it", node.location)
                try:
                    await asyncio.to_thread(node.process.start)
                    node.restarts += 1
                except SqldError as exc:
                    log.error("restarting sqld for %s failed: %s", node.location, exc)
                finally:
                    node.restarting = False

    async def close(self) -> None:
        if self._closing is not None and not self._closing.done():
            with contextlib.suppress(Exception):
                await self._closing
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        for proxy in self.proxies.values():
            await proxy.stop()
        self.proxies.clear()
        self._by_database.clear()
        for location in sorted(self.nodes, key=lambda loc: loc == PRIMARY):
            await self.stop_node(location)
