"""One statement's outcome in the SQL console: its columns and rows, rows read/written, the rows it changed,
the server's error (marked when read-only mode is why a write was refused) or that the operator cancelled it
before a full scan; ``execute`` runs it on an open connection and ``summary`` is its line in the status. Also how
a value shows in a results cell (NULL, blob sizes, newlines as ⏎, cut to ``CELL_WIDTH``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tursotui.libsql import HranaClient, LibsqlError
from tursotui.ops.sql.statements import is_read, strip_comments

CELL_WIDTH = 60
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

    async def execute(self, client: HranaClient, *, read_only: bool) -> None:
        """Run ``sql`` on ``client``: the result, or the error, is recorded here."""
        try:
            result = await client.execute(self.sql)
        except LibsqlError as exc:
            message = str(exc)
            if read_only and (not is_read(self.sql) or _refused_for_read_only(message)):
                message = f"{message} ({READ_ONLY_REFUSED})"
            self.error = message
            return
        self.columns = result.columns
        self.rows = [tuple(r) for r in result.rows]
        self.rows_read = result.rows_read
        self.rows_written = result.rows_written
        self.affected = result.affected_row_count

    def summary(self, number: int) -> str:
        head = f"{number}. {short(strip_comments(self.sql), 40)}"
        if self.skipped:
            return f"{head} — cancelled (full scan)"
        if self.error is not None:
            return f"{head} — error: {self.error}"
        counts = f"read {_count(self.rows_read)} · written {_count(self.rows_written)}"
        shape = f"{len(self.rows)} row{'s' if len(self.rows) != 1 else ''}" if self.columns else ""
        if not self.columns and self.affected:
            shape = f"{self.affected} changed"
        return f"{head} — {shape + ' · ' if shape else ''}{counts}"


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
