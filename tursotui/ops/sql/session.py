"""One console run, or one ``db shell`` script, on ONE Hrana stream (D18).

``BEGIN; …; COMMIT;`` is one transaction and a ``PRAGMA`` holds for the rest of the run, as in a sqlite3
shell. Each statement goes to ``/v3/pipeline`` with a ``get_autocommit`` request in the same round trip, so
the session always knows whether a transaction is open; inside one, statements are guarded
(``not(is_autocommit)``, D20) and one the server skipped because it had already rolled the transaction back
says so. A result larger than one pipeline answer (sqld's 10 MB ``RESPONSE_TOO_LARGE``) is read again from
``/v3/cursor``, row by row, keeping the first ``row_cap`` rows (reads only: a write is never run twice).

Turso's limits while a transaction is open: a write transaction holding the lock longer than 5 s while
another writer waits is rolled back (TRANSACTION_TIMEOUT), and a stream idle for 10 s is dropped with its
transaction. A dropped stream is reopened: outside a transaction the statement is sent again on the new
stream (the server never ran it) with a note that earlier PRAGMAs are gone; inside one the statement fails
with a message saying the transaction was rolled back. A run that ends inside a transaction is rolled back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

from tursotui.libsql import HranaClient, LibsqlError, ResultSet, Statement, Stream
from tursotui.libsql.errors import HranaError, StreamExpiredError
from tursotui.libsql.values import Args
from tursotui.ops.sql.outcome import ROW_CAP, StatementOutcome
from tursotui.ops.sql.statements import is_read

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSACTION_LOCK_SECONDS = 5
"""sqld's TRANSACTION_TIMEOUT: a write lock held this long is taken away when another writer waits."""
STREAM_IDLE_SECONDS = 10
"""sqld's stream expiry (hrana/http/stream.rs EXPIRATION): a stream without a request this long is gone."""
COUNT_LIMIT = 1_000_000
"""Rows of a streamed result counted (not kept) after the cap; past this, reading stops."""
TOO_LARGE = "RESPONSE_TOO_LARGE"

REOPENED = (
    "The stream had expired (no request for more than 10 s): a new one was opened and the statement "
    "sent on it; PRAGMA settings made earlier in this run no longer apply."
)
LOST_TRANSACTION = (
    "the stream expired (no request for more than 10 s): the server rolled back the open transaction, "
    "so nothing since BEGIN was committed. A new stream is open; run the transaction again"
)
ENDED_IN_TRANSACTION = "The run ended inside a transaction (no COMMIT): it was rolled back, nothing of it was committed."


def transaction_banner(seconds: float) -> str:
    """What the console shows while a transaction is open, with Turso's limits."""
    return (
        f"● TRANSACTION OPEN {seconds:.0f} s · the server drops it after {STREAM_IDLE_SECONDS} s idle, "
        f"or after {TRANSACTION_LOCK_SECONDS} s holding the write lock while another writer waits"
    )


class SqlSession:
    """Statements of one run on one stream of ``client``: ``async with SqlSession(client) as s: await s.run(o)``.

    ``notes`` collects what the operator should know about the run (a reopened stream, a rollback at the
    end). ``clock`` is monotonic seconds (tests pass their own)."""

    def __init__(
        self,
        client: HranaClient,
        *,
        row_cap: int = ROW_CAP,
        read_only: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if row_cap < 1:
            raise ValueError("the row cap must be at least 1")
        self.client = client
        self.row_cap = row_cap
        self.read_only = read_only
        self.clock = clock
        self.stream: Stream = client.stream()
        self.began_at: float | None = None
        self.notes: list[str] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def in_transaction(self) -> bool:
        """A transaction is open on the stream (as of the last statement's answer)."""
        return self.stream.autocommit is False

    def transaction_seconds(self) -> float | None:
        """How long the open transaction has been open; None outside a transaction."""
        if not self.in_transaction or self.began_at is None:
            return None
        return self.clock() - self.began_at

    async def execute(self, sql: str, args: Args | None = None) -> ResultSet:
        """One statement on the session's stream (e.g. EXPLAIN QUERY PLAN, which must see the run's own
        uncommitted tables); errors are raised."""
        statement = Statement(sql, args)
        return await self._on_stream(lambda s: s.run(statement, in_transaction=self.in_transaction))

    async def run(self, outcome: StatementOutcome) -> None:
        """Run ``outcome.sql`` on the stream and record its result or error in ``outcome``."""
        started = time.perf_counter()
        guarded = self.in_transaction
        try:
            result = await self._on_stream(lambda s: s.run(outcome.sql, in_transaction=guarded))
        except LibsqlError as exc:
            if isinstance(exc, HranaError) and exc.code == TOO_LARGE:
                await self._too_large(outcome, started)
            else:
                outcome.fail(exc, read_only=self.read_only)
        else:
            outcome.record(result, self.row_cap, started)
        self._track_transaction()

    async def _too_large(self, outcome: StatementOutcome, started: float) -> None:
        """A result over the server's response limit: a read is streamed from ``/v3/cursor`` instead."""
        if not is_read(outcome.sql):
            outcome.error = (
                "the server would not send the result: it is larger than its 10 MB response limit "
                "(RESPONSE_TOO_LARGE); add a LIMIT or return fewer columns"
            )
            outcome.code = TOO_LARGE
            return
        guarded = self.in_transaction
        try:
            read = await self._on_stream(
                lambda s: s.cursor(
                    outcome.sql,
                    in_transaction=guarded,
                    max_rows=self.row_cap,
                    stop_after=self.row_cap + COUNT_LIMIT,
                )
            )
        except LibsqlError as exc:
            outcome.fail(exc, read_only=self.read_only)
            return
        outcome.record(read.result, self.row_cap, started, measured=True)
        outcome.total_rows = read.rows_seen
        outcome.complete = read.complete
        outcome.rows_read = outcome.rows_written = None
        outcome.streamed = True

    def _track_transaction(self) -> None:
        if not self.in_transaction:
            self.began_at = None
        elif self.began_at is None:
            self.began_at = self.clock()

    async def _on_stream(self, call: Callable[[Stream], Awaitable[T]]) -> T:
        """``call(stream)``; a stream the server dropped is reopened (see the module)."""
        was_in_transaction = self.in_transaction
        try:
            return await call(self.stream)
        except HranaError as exc:
            if not (isinstance(exc, StreamExpiredError) or self.stream.closed_by_server):
                raise
            log.debug("the stream was dropped by the server: %s", exc)
        self.stream = self.client.stream()
        self.began_at = None
        if was_in_transaction:
            raise StreamExpiredError(LOST_TRANSACTION, "STREAM_EXPIRED")
        self.notes.append(REOPENED)
        return await call(self.stream)

    async def close(self) -> None:
        """Roll back a transaction the run left open (noted), then close the stream."""
        if self.in_transaction:
            try:
                await self.stream.send(
                    [{"type": "execute", "stmt": {"sql": "ROLLBACK"}}], close=True
                )
            except LibsqlError as exc:
                log.debug("rolling back at the end of a run failed (the server drops it): %s", exc)
            self.notes.append(ENDED_IN_TRANSACTION)
            self.began_at = None
        await self.stream.close()
