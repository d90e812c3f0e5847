"""A SQL connection to one database for the browser and the restore check (no Textual).

The token is the session's (``tursotui.ops.session_tokens``): the configured one when it belongs to the
database, else the one the session holds or mints once; read-only in read-only mode, so sqld itself refuses
writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tursotui.libsql import HranaClient, ResultSet
from tursotui.libsql.values import Value
from tursotui.ops.browse.query import (
    INDEX_COLUMNS,
    LIST_TABLES,
    TABLE_COLUMNS,
    TABLE_SQL,
    PageRequest,
    Query,
    TableInfo,
    hidden_names,
    q,
    table_info,
    user_table_names,
)
from tursotui.ops.sql.scan import FullScan, full_scan
from tursotui.platform import PlatformClient

if TYPE_CHECKING:
    from tursotui.ops.tokens import TokenLedger

TOKEN_EXPIRATION = "1d"  # noqa: S105 (a lifetime, not a secret)


@dataclass(frozen=True)
class Page:
    request: PageRequest
    columns: tuple[str, ...]
    """Without the key aliases."""
    keys: tuple[tuple[Value, ...], ...]
    rows: tuple[tuple[Value, ...], ...]
    rows_read: int | None
    sql: str

    @property
    def boundary_first(self) -> tuple[Value, ...]:
        return self._order_values(0)

    @property
    def boundary_last(self) -> tuple[Value, ...]:
        return self._order_values(len(self.rows) - 1)

    def _order_values(self, index: int) -> tuple[Value, ...]:
        if not self.rows:
            return ()
        order = self.request.order_columns()
        keys = self.request.table.key_columns
        row = dict(zip(self.columns, self.rows[index], strict=True))
        key = dict(zip(keys, self.keys[index], strict=True))
        return tuple(key[c] if c in key else row.get(c) for c in order)


class SqlSession:
    """``await SqlSession.open(platform, "db", read_only=True)``; ``aclose()`` when done."""

    def __init__(self, database: str, client: HranaClient, token: str, *, read_only: bool) -> None:
        self.database = database
        self.client = client
        self.token = token
        self.read_only = read_only

    @classmethod
    async def open(
        cls,
        platform: PlatformClient,
        name: str,
        *,
        read_only: bool,
        ledger: TokenLedger | None = None,
        target: str = "",
    ) -> SqlSession:
        """A session on ``name`` with the session's token for it; one minted here (a day) gets a session entry
        in ``ledger``, and later sessions on ``name`` reuse it."""
        from tursotui.ops.access import mint_session_token, sql_client

        database = await platform.get_database(name)
        token = await mint_session_token(
            platform,
            database,
            read_only=read_only,
            ledger=ledger,
            target=target,
            expiration=TOKEN_EXPIRATION,
        )
        return cls(name, sql_client(platform, database, token), token, read_only=read_only)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def execute(self, query: Query) -> ResultSet:
        return await self.client.execute(query.sql, list(query.args))

    async def full_scan(self, request: PageRequest) -> FullScan | None:
        """Whether ``request``'s page reads the whole table (no index for its search): the SQL console's check."""
        query = request.build()
        return await full_scan(self.client, query.sql, query.args)

    async def tables(self) -> list[str]:
        result = await self.client.execute(LIST_TABLES)
        return user_table_names(result.rows)

    async def table_info(self, name: str) -> TableInfo:
        results = await self.client.batch(
            [
                (TABLE_COLUMNS, [name]),
                (INDEX_COLUMNS, [name]),
                (TABLE_SQL, [name]),
            ],
            transactional=False,
        )
        columns, indexes, ddl = results
        return table_info(name, columns.rows, indexes.rows, ddl.scalar())

    async def page(self, request: PageRequest) -> Page:
        query = request.build()
        result = await self.execute(query)
        n = len(request.table.key_columns)
        keys = tuple(tuple(row[:n]) for row in result.rows)
        rows = tuple(tuple(row[n:]) for row in result.rows)
        if request.direction in ("prev", "last"):
            keys, rows = keys[::-1], rows[::-1]
        return Page(request, result.columns[n:], keys, rows, result.rows_read, query.sql)

    async def row_counts(self, tables: list[str]) -> dict[str, int]:
        if not tables:
            return {}
        results = await self.client.batch(
            [(f"SELECT count(*) FROM {q(t)}", []) for t in tables],  # noqa: S608
            transactional=False,
        )
        return {t: int(r.scalar() or 0) for t, r in zip(tables, results, strict=True)}

    async def schema(self) -> list[tuple[str, str, str]]:
        """(type, name, sql) of every user object, for comparing two databases."""
        result = await self.client.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " ORDER BY type, name"
        )
        hidden = hidden_names(result.rows)
        return [
            (str(r[0]), str(r[1]), str(r[3]))
            for r in result.rows
            if str(r[1]).lower() not in hidden and str(r[2]).lower() not in hidden
        ]
