"""A deterministic SQL session for browser/restore UI tests: xswarm's schema in a sqlite3 file (no network)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tursotui.libsql import LocalDatabase, ResultSet
from tursotui.ops.browse.session import SqlSession
from tursotui.platform import PlatformClient
from tursotui.support.xswarm import INSERT_USER, SCHEMA, TEST_USERS

FAKE_SQL_TOKEN = "tursotui-test-sql-token-0123456789abcdef"

USERS: list[tuple[str | None, ...]] = [
    *TEST_USERS,
    *(
        (
            f"user-{n:04d}",
            f"user{n:04d}@example.com",
            f"+1555000{n:04d}",
            f"user{n:04d}@xswarm.ai",
            f"+1800555{n:04d}" if n % 3 else None,
            ("free", "premium", "enterprise")[n % 3],
            "hal-9000",
            "hey hal",
            f"cus_{n:06d}" if n % 2 else None,
            None,
        )
        for n in range(1, 121)
    ),
]


class FakeClient:
    """``execute``/``batch`` like HranaClient, on a local file; rows_read = rows returned (deterministic)."""

    def __init__(self, db: LocalDatabase, *, read_only: bool) -> None:
        self.db = db
        self.read_only = read_only

    def _run(self, sql: str, args: Any) -> ResultSet:
        if self.read_only and not sql.lstrip().upper().startswith(("SELECT", "WITH", "EXPLAIN")):
            from tursotui.libsql import HranaError

            raise HranaError("SQLITE_AUTH: the token is read-only")
        result = self.db.execute(sql, args or [])
        return replace(result, rows_read=len(result.rows), rows_written=result.affected_row_count)

    async def execute(self, sql: str, args: Any = None) -> ResultSet:
        return self._run(sql, args)

    async def batch(self, statements: Any, *, transactional: bool = True) -> list[ResultSet]:
        return [self._run(sql, args) for sql, args in statements]

    async def aclose(self) -> None:
        return None


def build_database(path: Path) -> LocalDatabase:
    db = LocalDatabase(path)
    for statement in SCHEMA:
        db.execute(statement)
    for row in USERS:
        db.execute(INSERT_USER.replace("INSERT OR IGNORE", "INSERT"), list(row))
    db.execute(
        "UPDATE users SET created_at = '2026-06-01 09:00:00', updated_at = '2026-06-01 09:00:00'"
    )
    return db


def install(monkeypatch: Any, tmp_path: Path) -> dict[str, LocalDatabase]:
    """Every ``SqlSession.open(platform, name)`` gets a sqlite file (the same one per name)."""
    files: dict[str, LocalDatabase] = {}

    async def fake_open(
        cls: type[SqlSession],
        platform: PlatformClient,
        name: str,
        *,
        read_only: bool,
        **_ledger: Any,
    ) -> SqlSession:
        if name not in files:
            files[name] = build_database(tmp_path / f"{name}.db")
        client = FakeClient(files[name], read_only=read_only)
        return SqlSession(name, client, FAKE_SQL_TOKEN, read_only=read_only)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlSession, "open", classmethod(fake_open))
    return files
