"""Hrana streams (one server connection kept by a baton) and interactive transactions.

Each answer carries a new baton that must be sent with the next request of the stream; a baton
works once. The server forgets a stream after 10 s without a request (the next request gets
HTTP 400 → :class:`StreamExpiredError`). After a transport failure the baton's fate is
unknown, so the stream is marked broken: the server expires it on its own.

:meth:`Stream.run` sends one statement with a ``get_autocommit`` request in the same round trip,
so the caller always knows whether a transaction is open (:attr:`Stream.autocommit`); inside
one, the statement is guarded (``not(is_autocommit)``, D20). :meth:`Stream.cursor` reads a
statement's rows from ``/v3/cursor`` one by one, keeping at most ``max_rows`` (no response-size
limit applies there; sqld reports no rows read/written for it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeAlias

from tursotui.libsql.errors import HranaError, TransactionTimeoutError
from tursotui.libsql.protocol import (
    AUTOCOMMIT_PROBE,
    CLOSE,
    GET_AUTOCOMMIT,
    BatchPlan,
    CursorFold,
    batch_request,
    batch_result,
    describe_request,
    describe_result,
    execute_request,
    execute_result,
    guarded_steps,
    ok_response,
    sequence_request,
    skipped_in_transaction,
)
from tursotui.libsql.result import (
    Description,
    ResultSet,
    Statement,
    StatementLike,
)
from tursotui.libsql.values import Args, JsonDict

if TYPE_CHECKING:
    from tursotui.libsql.hrana import HranaClient

logger = logging.getLogger("tursotui.libsql")

TransactionMode: TypeAlias = Literal["deferred", "immediate", "exclusive"]


@dataclass(frozen=True)
class CursorResult:
    """A statement read from ``/v3/cursor``: its first ``max_rows`` rows in ``result``, how many
    rows were seen, and whether every row was read (False: reading stopped at ``stop_after``)."""

    result: ResultSet
    rows_seen: int
    complete: bool


class Stream:
    """A server-side connection kept across requests: temp tables, PRAGMAs and an open
    ``BEGIN`` survive between calls. Requests on one stream are sent one at a time."""

    def __init__(self, client: HranaClient) -> None:
        self._client = client
        self._baton: str | None = None
        self._base_url: str | None = None
        self._started = False
        self._closed = False
        self._closed_by_server = False
        self._lock = asyncio.Lock()
        self.autocommit: bool | None = None
        """Outside a transaction (True), inside one (False), or not known yet (None), as of the
        last answer that said (:meth:`run`, :meth:`cursor`, :meth:`is_autocommit`)."""

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._started else "new")
        return f"Stream({self._client.url!r}, {state})"

    @property
    def closed(self) -> bool:
        return self._closed

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
    def closed_by_server(self) -> bool:
        """The server ended this stream (no baton in its answer): its state is gone."""
        return self._closed_by_server

    async def _exchange(
        self,
        call: Callable[[str | None, str | None], Awaitable[tuple[str | None, str | None]]],
        *,
        close: bool = False,
    ) -> None:
        """One request on this stream: ``call(baton, base_url)`` returns the next baton/base_url."""
        if self._closed_by_server:
            raise HranaError(
                "the server closed this stream (it sent no baton): its state, including any "
                "open transaction, is gone"
            )
        if self._closed:
            raise HranaError("this stream is closed; open a new one")
        try:
            baton, base_url = await call(self._baton, self._base_url)
        except BaseException:
            # Unknown whether the server used the baton: this stream cannot continue.
            self._closed = True
            self.autocommit = None
            raise
        self._started = True
        self._baton = baton
        self._base_url = base_url or self._base_url
        if baton is None:
            self._closed = True
            self._closed_by_server = not close

    async def send(self, requests: list[JsonDict], *, close: bool = False) -> list[Any]:
        """Send raw Hrana requests on this stream (``close`` appends a ``close`` request)."""
        to_send = [*requests, CLOSE] if close else requests
        answer: list[Any] = []

        async def call(baton: str | None, base_url: str | None) -> tuple[str | None, str | None]:
            new_baton, new_base, results = await self._client._pipeline(
                to_send, baton=baton, base_url=base_url
            )
            answer.extend(results)
            return new_baton, new_base

        async with self._lock:
            await self._exchange(call, close=close)
        return answer[: len(requests)]

    async def run(self, statement: StatementLike, *, in_transaction: bool = False) -> ResultSet:
        """One statement, and the transaction state after it (:attr:`autocommit`), in one round
        trip. ``in_transaction``: run it only if the connection is still inside a transaction
        (a skipped statement raises ``TRANSACTION_CLOSED``)."""
        steps = guarded_steps([statement], guard=in_transaction)
        results = await self.send([{"type": "batch", "batch": {"steps": steps}}, GET_AUTOCOMMIT])
        self._note_autocommit(results[1])
        plan = BatchPlan(count=1, begin=False, commit=False, guarded=in_transaction)
        try:
            return batch_result(results[0], plan, self._client._secrets)[0]
        except HranaError as exc:
            exc.step = None  # one statement: no position to name
            raise

    def _note_autocommit(self, result: Any) -> None:
        """Read a ``get_autocommit`` answer; a server without it (Hrana 2) leaves it unknown."""
        response = result.get("response") if isinstance(result, dict) else None
        value = response.get("is_autocommit") if isinstance(response, dict) else None
        self.autocommit = value if isinstance(value, bool) else None

    async def cursor(
        self,
        statement: StatementLike,
        *,
        in_transaction: bool = False,
        max_rows: int,
        stop_after: int | None = None,
    ) -> CursorResult:
        """Run one statement through ``/v3/cursor``, keeping its first ``max_rows`` rows and
        reading no further than ``stop_after`` rows (default: every row). The transaction state
        after it is read from an :data:`AUTOCOMMIT_PROBE` step (no extra round trip)."""
        if max_rows < 0:
            raise ValueError("max_rows must be 0 or more")
        limit = stop_after if stop_after is not None else 1 << 62
        fold = CursorFold(max_rows=max_rows, stop_after=max(limit, max_rows, 1))
        steps = [*guarded_steps([statement], guard=in_transaction), AUTOCOMMIT_PROBE]

        async def call(baton: str | None, base_url: str | None) -> tuple[str | None, str | None]:
            return await self._client._cursor(steps, fold, baton=baton, base_url=base_url)

        async with self._lock:
            await self._exchange(call)
        complete = fold.ended or fold.error is not None
        if complete:
            self.autocommit = None if fold.probe_failed else fold.probe_ran
        if fold.error is not None:
            fold.error.step = None
            raise fold.error
        if not fold.step_began and in_transaction:
            skipped = skipped_in_transaction(0)
            skipped.step = None
            raise skipped
        if not fold.step_began:
            raise HranaError("the server skipped the statement and said nothing about it")
        result = ResultSet(
            columns=fold.columns,
            decltypes=fold.decltypes,
            rows=tuple(fold.rows or ()),
            affected_row_count=fold.affected_row_count,
            last_insert_rowid=ResultSet.from_hrana(
                {"last_insert_rowid": fold.last_insert_rowid}
            ).last_insert_rowid,
        )
        return CursorResult(result, fold.seen, complete)

    async def execute(self, sql: str, args: Args | None = None) -> ResultSet:
        results = await self.send([execute_request(sql, args)])
        return execute_result(results[0], self._client._secrets)

    async def batch(
        self, statements: Sequence[StatementLike], *, transactional: bool = False
    ) -> list[ResultSet]:
        """Like :meth:`HranaClient.batch`, on this stream (not transactional by default)."""
        request, plan = batch_request(statements, transactional=transactional)
        if plan.count == 0:
            return []
        results = await self.send([request])
        return batch_result(results[0], plan, self._client._secrets)

    async def executescript(self, sql: str) -> None:
        results = await self.send([sequence_request(sql)])
        ok_response(results[0], "sequence", self._client._secrets)

    async def describe(self, sql: str) -> Description:
        results = await self.send([describe_request(sql)])
        return describe_result(results[0], self._client._secrets)

    async def is_autocommit(self) -> bool:
        """False while a transaction is open on this stream (Hrana v3 servers only)."""
        results = await self.send([{"type": "get_autocommit"}])
        return bool(ok_response(results[0], "get_autocommit")["is_autocommit"])

    async def close(self) -> None:
        """Close the stream on the server. Best effort: a stream that is already gone is fine."""
        if self._closed:
            return
        if not self._started:
            self._closed = True
            return
        try:
            await self.send([], close=True)
        except HranaError as exc:
            logger.debug("closing a stream failed (it expires on its own): %s", exc)
        finally:
            self._closed = True


class Transaction:
    """An interactive transaction on its own stream; see :meth:`HranaClient.transaction`.

    ``BEGIN`` is sent together with the first statement (no extra round trip), ``COMMIT`` or
    ``ROLLBACK`` together with ``close``. A block that sent nothing sends nothing.
    """

    def __init__(self, client: HranaClient, begin_sql: str = "BEGIN DEFERRED") -> None:
        self._stream = Stream(client)
        self._secrets = client._secrets
        self._begin_sql = begin_sql
        self._state: Literal["new", "open", "done"] = "new"
        self._began_at: float | None = None
        self._timed_out = False

    def __repr__(self) -> str:
        return f"Transaction({self._begin_sql!r}, {self._state})"

    @property
    def finished(self) -> bool:
        return self._state == "done"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.commit()
            elif self._state == "open":
                with suppress(HranaError):
                    await self.rollback()
        finally:
            self._state = "done"
            await self._stream.close()

    async def execute(self, sql: str, args: Args | None = None) -> ResultSet:
        if self._state == "new":
            try:
                return (await self._begin_with([Statement(sql, args)]))[0]
            except HranaError as exc:
                exc.step = None
                raise
        self._check_open()
        with self._note_timeout():
            # Guarded (D20): never run outside a transaction the server already rolled back.
            return await self._stream.run(Statement(sql, args), in_transaction=True)

    async def batch(self, statements: Sequence[StatementLike]) -> list[ResultSet]:
        """Several statements in one round trip inside this transaction (stops at the first
        failure, which is raised with its ``step``; the transaction stays open)."""
        if len(statements) == 0:
            return []
        if self._state == "new":
            return await self._begin_with(statements)
        steps = guarded_steps(statements, guard=True)
        results = await self._send([{"type": "batch", "batch": {"steps": steps}}])
        plan = BatchPlan(count=len(steps), begin=False, commit=False, guarded=True)
        with self._note_timeout():
            return batch_result(results[0], plan, self._secrets)

    async def _begin_with(self, statements: Sequence[StatementLike]) -> list[ResultSet]:
        """BEGIN and the first statements in one round trip; they run only if BEGIN worked."""
        request, plan = batch_request(
            statements, transactional=True, begin=self._begin_sql, commit=False
        )
        results = await self._stream.send([request])
        self._state = "open"
        self._began_at = time.monotonic()
        with self._note_timeout():
            return batch_result(results[0], plan, self._secrets)

    async def commit(self) -> None:
        """Commit and close the stream. Nothing to do when no statement was sent.

        Raises :class:`TransactionTimeoutError` (after closing) when the server already rolled
        the transaction back.
        """
        if self._timed_out and self._state == "open":
            await self._finish("ROLLBACK", check=False)
            raise TransactionTimeoutError(
                "nothing was committed: the server had already rolled this transaction back "
                "(it held the write lock longer than 5 s while another writer waited)",
                "TRANSACTION_TIMEOUT",
            )
        await self._finish("COMMIT")

    async def rollback(self) -> None:
        """Roll back and close the stream."""
        await self._finish("ROLLBACK", check=not self._timed_out)

    async def _finish(self, sql: str, *, check: bool = True) -> None:
        if self._state != "open":
            self._state = "done"
            return
        self._state = "done"
        results = await self._stream.send([execute_request(sql)], close=True)
        if check:
            ok_response(results[0], "execute", self._secrets)

    def _check_open(self) -> None:
        if self._state == "done":
            raise HranaError("this transaction is already committed or rolled back")

    async def _send(self, requests: list[JsonDict]) -> list[Any]:
        self._check_open()
        return await self._stream.send(requests)

    @contextmanager
    def _note_timeout(self) -> Iterator[None]:
        """Remember that the server rolled back, and say how long the transaction was open."""
        try:
            yield
        except TransactionTimeoutError as exc:
            self._timed_out = True
            if self._began_at is not None:
                elapsed = time.monotonic() - self._began_at
                exc.message = f"{exc.message} (open for {elapsed:.1f} s)"
            raise
