"""How long and how many: the local Turso's listeners under slow or numerous clients.

Every listener of the local Turso (the Platform API served by uvicorn, each database instance's proxy)
closes a connection that has not sent a whole request head within :data:`HEADER_TIMEOUT`, closes an idle
keep-alive connection, and refuses connections past a cap with a 503 JSON answer instead of letting a
flood exhaust the file descriptors every database needs.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections.abc import Callable
from typing import ClassVar, TypedDict

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a whole request head, from its first byte or from the connection."""
IDLE_TIMEOUT = 30.0
"""Seconds a keep-alive proxy connection may wait between requests."""
BODY_TIMEOUT = 30.0
"""Seconds an upload may go without sending a byte."""
MAX_HEAD = 64 * 1024
"""A request head larger than this is refused (431 on the Platform API, dropped by the proxy)."""
API_MAX_CONNECTIONS = 256
"""Open connections to the Platform API; a connection past it gets a 503 and is closed (and uvicorn
answers 503 to requests while it is reached)."""
API_KEEP_ALIVE = 5
PER_LISTENER = 512
"""Open connections to one database instance's proxy (each holds 2 fds: client and sqld)."""


OVERALL: int | None = None
"""Open proxy connections in all listeners; None: :func:`overall_cap` works it out from the fd limit."""


LISTENERS = 0
"""Database instance listeners bound in this process (one fd each; kept by the proxies)."""
LISTENER_RESERVE = 4096
"""File descriptors never given to listeners: connections (at least ~1,000 of them), sqld's admin
client, state and log files, the Platform API."""


def fd_limit() -> int:
    """This process's open-file limit, raised to its hard limit first (once) where that is allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and soft != resource.RLIM_INFINITY:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return 65536 if soft == resource.RLIM_INFINITY else soft


def max_listeners() -> int:
    """Database instance listeners this process may hold: the fd limit minus :data:`LISTENER_RESERVE`
    (15,904 under the 20,000 of the machine the fleet was measured on)."""
    return max(64, fd_limit() - LISTENER_RESERVE)


def overall_cap() -> int:
    """Open proxy connections in all (2 fds each): a third of what the fd limit leaves after the
    listeners and 1,024 for the rest."""
    if OVERALL is not None:
        return OVERALL
    return max(64, min(8192, (fd_limit() - 1024 - LISTENERS) // 3))


class Slot:
    """One accepted proxy connection's place in its budget."""

    def __init__(self, budget: ConnectionBudget, close: Callable[[], None]) -> None:
        self.budget = budget
        self.close = close
        self.released = False

    def idle(self, waiting: bool) -> None:
        """Mark the connection as waiting for a request head (evictable) or not."""
        if waiting and not self.released:
            ConnectionBudget.waiting[self] = None
        else:
            ConnectionBudget.waiting.pop(self, None)

    def release(self) -> None:
        if not self.released:
            self.released = True
            ConnectionBudget.waiting.pop(self, None)
            self.budget.open -= 1
            ConnectionBudget.total -= 1


class ConnectionBudget:
    """Open connections of one listener, within :data:`PER_LISTENER` and the overall cap.

    Past the overall cap, a new connection takes the place of the one that has waited longest
    for a request head (a flood of idle connections spread over many databases cannot shut a
    client out of all of them); with none waiting, it is refused. Past :data:`PER_LISTENER` it
    is refused.
    """

    total = 0
    """Open connections of every budget in this process."""
    waiting: ClassVar[dict[Slot, None]] = {}
    """Connections waiting for a request head, oldest first (every budget)."""
    evicted = 0

    def __init__(self) -> None:
        self.open = 0
        self.refused = 0

    def acquire(self, close: Callable[[], None]) -> Slot | None:
        if self.open >= PER_LISTENER or (
            ConnectionBudget.total >= overall_cap() and not self._evict_one()
        ):
            self.refused += 1
            return None
        self.open += 1
        ConnectionBudget.total += 1
        return Slot(self, close)

    @staticmethod
    def _evict_one() -> bool:
        for slot in ConnectionBudget.waiting:  # the oldest waiting connection
            slot.release()
            slot.close()
            ConnectionBudget.evicted += 1
            return True
        return False


BUSY_BODY = b'{"error": "too many connections to the local Turso; retry soon"}'
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\nretry-after: 1\r\nconnection: close\r\n\r\n"
    % len(BUSY_BODY)
    + BUSY_BODY
)
"""The answer to a connection past a cap, written once before closing it."""
LINGER = 0.5
"""Seconds a refused connection stays half-open so its request is read, not reset (the reset would
drop the 503 before the client reads it)."""
MAX_LINGERING = 256
LINGER_BYTES = 16 << 20
"""What a closing proxy connection reads and drops at most while it lingers."""
_lingering = 0


def refuse(transport: asyncio.WriteTransport) -> None:
    """Answer :data:`BUSY` and close, after :data:`LINGER` s unless many refusals already linger."""
    global _lingering
    transport.write(BUSY)
    if _lingering >= MAX_LINGERING or not transport.can_write_eof():
        transport.close()
        return
    transport.write_eof()
    _lingering += 1

    def close() -> None:
        global _lingering
        _lingering -= 1
        transport.close()

    asyncio.get_running_loop().call_later(LINGER, close)


class RateLimitedLog(logging.Filter):
    """Let one record per ``interval`` seconds through for a message, counting those dropped.

    Installed on asyncio's logger: a listener out of file descriptors fails every accept, and each
    failure is a traceback (611,738 of them, 248 MB, in 60 s were measured before this filter).
    """

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[str, float] = {}
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        # One key per kind of message (asyncio's names the listening socket on a second line).
        key = f"{record.name}:{str(record.msg).partition(chr(10))[0]}"
        if record.exc_info and record.exc_info[1] is not None:
            key += (
                f":{type(record.exc_info[1]).__name__}:{getattr(record.exc_info[1], 'errno', '')}"
            )
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self.dropped += 1
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[key] = now
        if self.dropped:
            record.msg = f"{record.msg} ({self.dropped} similar messages dropped)"
            self.dropped = 0
        return True


_ASYNCIO_FILTER = RateLimitedLog()


def quiet_accept_errors() -> None:
    """Rate-limit asyncio's logger (accept errors on EMFILE, connection resets); idempotent."""
    logger = logging.getLogger("asyncio")
    if _ASYNCIO_FILTER not in logger.filters:
        logger.addFilter(_ASYNCIO_FILTER)


def _guarded_h11() -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a request-head timeout and a connection cap."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > API_MAX_CONNECTIONS:
                self._refused = True
                refuse(transport)
                return
            self._arm()

        def _arm(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(HEADER_TIMEOUT, self._head_timeout)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timeout(self) -> None:
            self._head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()  # no whole request head in time (slowloris)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # answered 503: what it sends is read and dropped until the close
            if self.conn.their_state is h11.IDLE:
                self._arm()  # a new request begins: its head has HEADER_TIMEOUT to arrive
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # the keep-alive timeout applies until the next request's first byte

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedH11Protocol


class UvicornLimits(TypedDict):
    """The ``uvicorn.Config`` keyword arguments :func:`uvicorn_limits` sets, typed as uvicorn takes them."""

    http: type[asyncio.Protocol]
    timeout_keep_alive: int
    limit_concurrency: int
    h11_max_incomplete_event_size: int
    backlog: int


def uvicorn_limits() -> UvicornLimits:
    """Keyword arguments for ``uvicorn.Config`` serving the Platform API (see the module doc)."""
    quiet_accept_errors()
    return {
        "http": _guarded_h11(),
        "timeout_keep_alive": API_KEEP_ALIVE,
        "limit_concurrency": API_MAX_CONNECTIONS,
        "h11_max_incomplete_event_size": MAX_HEAD,
        "backlog": 128,
    }
