"""Counts worded as English (walkthrough 24: "1 row", "expires in 1 hour"), and the one full-scan check
(ops/sql/scan.py) the SQL console and the table browser share, on a real SQLite plan."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tursotui.libsql import ResultSet
from tursotui.ops.browse.query import Column, PageRequest, Search, TableInfo
from tursotui.ops.setup_preview import expiry_words
from tursotui.ops.sql.outcome import StatementOutcome
from tursotui.ops.sql.scan import full_scan
from tursotui.ops.tokens import LedgerEntry, TokenWarning

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("remaining", "said"),
    [
        (timedelta(hours=1), "expires in 1 hour"),
        (timedelta(hours=5), "expires in 5 hours"),
        (timedelta(hours=30), "expires in 1 day"),
        (timedelta(days=3), "expires in 3 days"),
    ],
)
def test_token_warning_counts(remaining: timedelta, said: str) -> None:
    entry = LedgerEntry(
        fingerprint="ab12cd34",
        scope="database",
        database="xswarm-users",
        group="default",
        authorization="full-access",
        created_at="2026-11-25T12:00:00Z",
        expires_at=(NOW + remaining).isoformat(),
    )
    assert TokenWarning(entry, "expiring", remaining).message.endswith(said)


@pytest.mark.parametrize(
    ("expiration", "said"),
    [
        ("90d", "expires in 90 days"),
        ("1d", "expires in 1 day"),
        ("1h", "expires in 1 hour"),
        ("36h", "expires in 36 hours"),
        ("1w", "expires in 7 days"),
        ("90m", "expires in 90 minutes"),
        ("never", "never expires"),
    ],
)
def test_expiry_words(expiration: str, said: str) -> None:
    assert expiry_words(expiration) == said


def test_statement_summary_counts_rows() -> None:
    one = StatementOutcome("SELECT 1", ("1",), [(1,)], rows_read=1, rows_written=0)
    assert "— 1 row · read 1" in one.summary(1)
    two = StatementOutcome("SELECT 1", ("1",), [(1,), (2,)], rows_read=2, rows_written=0)
    assert "— 2 rows · read 2" in two.summary(1)


class SqliteClient:
    """``execute(sql, args)`` like HranaClient, on an in-memory SQLite database."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.executescript(
            "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT UNIQUE, phone TEXT);"
            "CREATE INDEX idx_users_email ON users(email);"
        )
        self.seen: list[str] = []

    async def execute(self, sql: str, args: Sequence[Any] | None = None) -> ResultSet:
        self.seen.append(sql)
        cursor = self.db.execute(sql, list(args or []))
        rows = cursor.fetchall()
        columns = tuple(d[0] for d in cursor.description or ())
        return ResultSet(columns=columns, rows=tuple(tuple(r) for r in rows))


USERS = TableInfo(
    "users",
    (Column("id", "TEXT", False, 1), Column("email", "TEXT"), Column("phone", "TEXT")),
    indexed=("email",),
)


async def test_full_scan_is_one_check_for_statements_and_searches() -> None:
    client = SqliteClient()
    scan = await full_scan(client, "SELECT * FROM users WHERE phone = '+1555'")
    assert scan is not None and scan.tables == ("users",) and "SCAN users" in scan.plan
    assert await full_scan(client, "SELECT * FROM users WHERE email = 'a@b.c'") is None
    assert await full_scan(client, "SELECT name FROM sqlite_master") is None
    assert await full_scan(client, "SELECT s.name FROM sqlite_schema s") is None
    assert await full_scan(client, "CREATE INDEX i ON users(phone)") is None  # no plan: not asked
    assert client.seen[-1].startswith("EXPLAIN QUERY PLAN SELECT s.name")

    by_phone = PageRequest(USERS, 20, search=Search("phone", "+1555")).build()
    scan = await full_scan(
        client, by_phone.sql, by_phone.args
    )  # bound values, as the browser runs it
    assert scan is not None and scan.tables == ("users",)
    by_email = PageRequest(USERS, 20, search=Search("email", "a", "prefix")).build()
    assert await full_scan(client, by_email.sql, by_email.args) is None
