"""One statement's outcome in the SQL console and ``db shell``: its columns and rows (at most the row cap, with
how many the statement returned), rows read/written, the rows it changed, its duration, the server's error
(marked when read-only mode is why a write was refused) or that the operator cancelled it before a full scan;
``summary`` is its line in the status. Also how a value shows in a results cell (NULL, blob sizes, newlines as
⏎, cut to ``CELL_WIDTH``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tursotui.libsql import HranaClient, LibsqlError, ResultSet
from tursotui.libsql.errors import HranaError
from tursotui.ops.sql.statements import is_read, strip_comments

CELL_WIDTH = 60
ROW_CAP = 10_000
"""Rows one statement keeps for display or output; the rest are counted, not kept."""
READ_ONLY_REFUSED = (
    "read-only mode: the console's token is read-only, so the server refused this write"
)


@dataclass
class StatementOutcome:
    sql: str
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rows_read: int | None = None
    rows_written: int | None = None
    affected: int = 0
    error: str | None = None
    skipped: bool = False
    line: int | None = None
    """1-based line of the statement in the script or editor, when known."""
    total_rows: int | None = None
    """Rows the statement returned when more than ``rows`` kept (capped); None: ``len(rows)``."""
    complete: bool = True
    """False: reading stopped before the last row (``total_rows`` is then a lower bound)."""
    last_insert_rowid: int | None = None
    duration_ms: float | None = None
    """The server's query duration (``query_duration_ms``); for a streamed result, the time measured here."""
    code: str | None = None
    streamed: bool = False
    """Read row by row from ``/v3/cursor`` (a result larger than one pipeline answer)."""

    @property
    def capped(self) -> bool:
        return not self.complete or (self.total_rows or 0) > len(self.rows)

    async def execute(self, client: HranaClient, *, read_only: bool) -> None:
        """Run ``sql`` on ``client`` in one request of its own: the result, or the error, is recorded here."""
        started = time.perf_counter()
        try:
            result = await client.execute(self.sql)
        except LibsqlError as exc:
            self.fail(exc, read_only=read_only)
            return
        self.record(result, ROW_CAP, started)

    def record(
        self, result: ResultSet, row_cap: int, started: float, *, measured: bool = False
    ) -> None:
        """Keep ``result`` (its first ``row_cap`` rows) and its counts; its duration is the server's, or
        (``measured``, for a result the server does not time, as ``/v3/cursor``'s) the time since ``started``."""
        self.columns = result.columns
        self.rows = [tuple(r) for r in result.rows[:row_cap]]
        self.total_rows = len(result.rows)
        self.rows_read = result.rows_read
        self.rows_written = result.rows_written
        self.affected = result.affected_row_count
        self.last_insert_rowid = result.last_insert_rowid
        self.duration_ms = result.query_duration_ms
        if self.duration_ms is None and measured:
            self.duration_ms = (time.perf_counter() - started) * 1000

    def fail(self, exc: LibsqlError, *, read_only: bool) -> None:
        message = str(exc)
        if read_only and (not is_read(self.sql) or _refused_for_read_only(message)):
            message = f"{message} ({READ_ONLY_REFUSED})"
        self.error = message
        self.code = exc.code if isinstance(exc, HranaError) else None

    @property
    def returned_text(self) -> str:
        """How many rows the statement returned: ``40``, or ``more than 1,010,000`` when reading stopped."""
        total = f"{self.total_rows if self.total_rows is not None else len(self.rows):,}"
        return total if self.complete else f"more than {total}"

    @property
    def rows_text(self) -> str:
        """``3 rows``, or ``the first 10,000 of 50,000 rows`` when capped."""
        kept = len(self.rows)
        if not self.capped:
            return f"{kept:,} row{'s' if kept != 1 else ''}"
        return f"the first {kept:,} of {self.returned_text} rows"

    def summary(self, number: int) -> str:
        head = f"{number}. {short(strip_comments(self.sql), 40)}"
        if self.skipped:
            return f"{head} — cancelled (full scan)"
        if self.error is not None:
            return f"{head} — error: {self.error}"
        counts = f"read {_count(self.rows_read)} · written {_count(self.rows_written)}"
        shape = self.rows_text if self.columns else ""
        if not self.columns and self.affected:
            shape = f"{self.affected} changed"
        took = f" · {duration(self.duration_ms)}" if self.duration_ms is not None else ""
        return f"{head} — {shape + ' · ' if shape else ''}{counts}{took}"


def duration(ms: float | None) -> str:
    if ms is None:
        return "?"
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"<blob {len(value)} B>"
    text = str(value).replace("\n", "⏎")
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def _refused_for_read_only(message: str) -> bool:
    lowered = message.lower()
    return any(
        word in lowered
        for word in ("read-only", "readonly", "read only", "not allowed", "forbidden")
    )
