"""Results and statements shared by the Hrana client and local database files."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from tursotui.libsql.errors import ProtocolError
from tursotui.libsql.values import Args, Value, decode_value

Row: TypeAlias = tuple[Value, ...]

_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


@dataclass(frozen=True)
class ResultSet:
    """The result of one statement.

    ``rows_read``, ``rows_written``, ``query_duration_ms`` and ``replication_index`` are ``None``
    when the server does not report them (local files never report reads/writes or an index;
    sqld leaves ``replication_index`` out of batch steps; ``/v3/cursor`` reports no counts), or
    reports them in a shape we do not read (they are parsed leniently, never failing a query). ``decltypes`` holds each column's
    declared type, ``None`` for expressions (and for every column of a local file).
    """

    columns: tuple[str, ...] = ()
    decltypes: tuple[str | None, ...] = ()
    rows: tuple[Row, ...] = ()
    affected_row_count: int = 0
    last_insert_rowid: int | None = None
    rows_read: int | None = None
    rows_written: int | None = None
    query_duration_ms: float | None = None
    replication_index: int | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def as_dicts(self) -> list[dict[str, Value]]:
        """Rows as ``{column: value}`` (a later duplicate column name wins)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Value:
        """The first column of the first row, ``None`` when there are no rows."""
        return self.rows[0][0] if self.rows and self.rows[0] else None

    @classmethod
    def from_hrana(cls, data: Any, *, replication_index: Any = None) -> ResultSet:
        """Decode a Hrana ``StmtResult``."""
        if not isinstance(data, dict):
            raise ProtocolError(f"malformed statement result from the server: {data!r}")
        try:
            cols = data.get("cols") or []
            columns = tuple(str(col.get("name") or "") for col in cols)
            decltypes = tuple(_opt_str(col.get("decltype")) for col in cols)
            rows = tuple(tuple(decode_value(v) for v in row) for row in data.get("rows") or [])
            index = data.get("replication_index", replication_index)
            return cls(
                columns=columns,
                decltypes=decltypes,
                rows=rows,
                affected_row_count=_opt_int(data.get("affected_row_count")) or 0,
                last_insert_rowid=_opt_int(data.get("last_insert_rowid")),
                rows_read=_opt_int(data.get("rows_read")),
                rows_written=_opt_int(data.get("rows_written")),
                query_duration_ms=_opt_float(data.get("query_duration_ms")),
                replication_index=_opt_int(index if index is not None else replication_index),
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise ProtocolError(f"malformed statement result from the server: {exc}") from exc


@dataclass(frozen=True)
class Description:
    """What the server knows about a statement without running it (Hrana ``describe``)."""

    params: tuple[str | None, ...]
    columns: tuple[str, ...]
    decltypes: tuple[str | None, ...]
    is_explain: bool
    is_readonly: bool

    @classmethod
    def from_hrana(cls, data: Any) -> Description:
        if not isinstance(data, dict):
            raise ProtocolError(f"malformed describe result from the server: {data!r}")
        cols = data.get("cols") or []
        return cls(
            params=tuple(_opt_str(p.get("name")) for p in data.get("params") or []),
            columns=tuple(str(c.get("name") or "") for c in cols),
            decltypes=tuple(_opt_str(c.get("decltype")) for c in cols),
            is_explain=bool(data.get("is_explain")),
            is_readonly=bool(data.get("is_readonly")),
        )


@dataclass(frozen=True)
class Statement:
    """One SQL statement with its arguments, as given to ``batch()``."""

    sql: str
    args: Args | None = field(default=None)


StatementLike: TypeAlias = str | Statement | tuple[str, Args | None] | tuple[str]


def as_statement(item: StatementLike) -> Statement:
    """Accept ``"sql"``, ``("sql", args)`` or :class:`Statement`."""
    if isinstance(item, Statement):
        return item
    if isinstance(item, str):
        return Statement(item)
    if isinstance(item, tuple) and 1 <= len(item) <= 2 and isinstance(item[0], str):
        args = item[1] if len(item) == 2 else None
        if args is not None and not isinstance(args, (Sequence, Mapping)):
            raise TypeError(f"statement arguments must be a sequence or a mapping: {item!r}")
        return Statement(item[0], args)
    raise TypeError(f"a statement is a str, (sql, args) or Statement, not {type(item).__name__}")


def _opt_int(value: Any) -> int | None:
    """An optional count or index, read leniently (D19): an integer, or a string of one (sqld sends
    ``replication_index`` as ``"3345"``); anything else (a timestamp-like string, a float, a list) is
    ``None`` rather than a failed query, since these fields are informative only."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
    return None


def _opt_float(value: Any) -> float | None:
    """An optional duration, read leniently: a number or a numeric string, else ``None``."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
