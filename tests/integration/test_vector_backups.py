"""Databases with a libSQL vector index (F32_BLOB, libsql_vector_idx, vector_top_k) on real sqld:
verified backups to .sql and .db, imports of those backups into new and existing databases
answering the same neighbours, and the index's shadow tables hidden from every table list."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path

import libsql
import pytest
from fixtures.cli import USERS_AND_EVENTS, Env, fill, local_env, run
from fixtures.local_turso import started_org

from tursotui.libsql import HranaClient
from tursotui.libsql.result import StatementLike
from tursotui.local.host.service import LocalTurso
from tursotui.ops.backup import source_row_counts
from tursotui.ops.browse.session import SqlSession

ROWS = 40
QUERY = "[1, 0.05, 0.3]"
TOP_K = (
    "SELECT m.id FROM vector_top_k('movies_idx', vector(?), 3) AS v "
    "JOIN movies AS m ON m.rowid = v.id"
)
EXACT = "SELECT id FROM movies ORDER BY vector_distance_cos(emb, vector(?)), id LIMIT 3"


def embedding(i: int) -> str:
    """Distinct directions, so the nearest neighbours have no ties."""
    return f"[{math.cos(i * 0.15):.6f}, {math.sin(i * 0.15):.6f}, {i / ROWS:.6f}]"


MOVIES: tuple[StatementLike, ...] = (
    "CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT NOT NULL, emb F32_BLOB(3))",
    "CREATE INDEX movies_idx ON movies (libsql_vector_idx(emb))",
    *[
        ("INSERT INTO movies VALUES (?, ?, vector(?))", [i, f"movie {i}", embedding(i)])
        for i in range(1, ROWS + 1)
    ],
    # A user table whose name only looks internal: it is listed, backed up and imported.
    "CREATE TABLE notes_shadowbox (id INTEGER PRIMARY KEY, body TEXT)",
    "INSERT INTO notes_shadowbox VALUES (1, 'kept')",
)
USER_TABLES = {"users": 120, "events": 40, "movies": ROWS, "notes_shadowbox": 1}


async def _seed(directory: Path, binary: Path) -> None:
    async with started_org(
        directory,
        binary,
        groups={"default": ["sjc"]},
        databases=[("app", "default"), ("other", "default")],
    ) as turso:
        await fill(turso, "app", [*USERS_AND_EVENTS, *MOVIES])
        await fill(turso, "other", ["CREATE TABLE keep (x)", "INSERT INTO keep VALUES (1)"])


@pytest.fixture
def env(tmp_path: Path, sqld_binary: Path) -> Env:
    made = local_env(tmp_path, sqld_binary)
    asyncio.run(_seed(made.turso_dir, sqld_binary))
    return made


async def _query(
    env: Env, binary: Path, database: str, statements: Sequence[tuple[str, list[object]]]
) -> tuple[list[list[object]], dict[str, int], list[str]]:
    """Rows of each statement on ``database``, its user tables' row counts and the browser's
    table list (the local Turso started again)."""
    async with LocalTurso(env.turso_dir, recovery_interval=0, binary=binary) as turso:
        platform = turso.platform_client(max_retries=0)
        try:
            url = (await platform.get_database(database)).url
            token = (await platform.create_database_token(database)).jwt
            async with HranaClient(url, token) as sql:
                results = [await sql.execute(s, args) for s, args in statements]
                counts = await source_row_counts(sql)
            session = await SqlSession.open(platform, database, read_only=True)
            try:
                listed = await session.tables()
                schema = await session.schema()
            finally:
                await session.aclose()
        finally:
            await platform.aclose()
    assert not any("_shadow" in name and name != "notes_shadowbox" for _, name, _ in schema)
    return [[row[0] for row in r.rows] for r in results], counts, listed


def _neighbours(env: Env, binary: Path, database: str) -> list[object]:
    (top, exact), counts, listed = asyncio.run(
        _query(env, binary, database, [(TOP_K, [QUERY]), (EXACT, [QUERY])])
    )
    assert top == exact, f"{database}: vector_top_k {top} != exact {exact}"
    assert "movies_idx_shadow" not in counts and "libsql_vector_meta_shadow" not in counts
    assert counts["movies"] == ROWS and counts["notes_shadowbox"] == 1
    assert "movies" in listed and "notes_shadowbox" in listed
    assert not {"movies_idx_shadow", "libsql_vector_meta_shadow"} & set(listed)
    return top


def test_vector_database_backs_up_verified_and_imports_with_the_same_neighbours(
    env: Env, capsys: pytest.CaptureFixture[str], sqld_binary: Path
) -> None:
    expected = _neighbours(env, sqld_binary, "app")
    assert len(expected) == 3

    as_sql = run(env, capsys, "backup", "app", "--json", "--no-prune")
    assert as_sql.code == 0, as_sql.err
    data = as_sql.json()
    assert data["verified"] is True and data["integrity"] == "ok"
    assert data["tables"] == USER_TABLES
    assert data["vector_indexes"] == ["movies_idx"] and data["notes"] == []
    dump = Path(str(data["path"]))
    assert dump.is_file() and "libsql_vector_idx" in dump.read_text()

    as_db = run(env, capsys, "backup", "app", "--format", "db", "--dir", str(env.root / "db"))
    assert as_db.code == 0, as_db.err
    assert "4 tables, 201 rows match" in as_db.out
    assert "vectors   movies_idx: vector_top_k answers in the backup" in as_db.out
    [db_file] = list((env.root / "db").iterdir())
    conn = libsql.connect(str(db_file))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert [r[0] for r in conn.execute(TOP_K, (QUERY,)).fetchall()] == expected
    finally:
        conn.close()

    listing = run(env, capsys, "backup", "--list", "--json").json()
    assert [b["path"] for b in listing["backups"]] == [str(dump)]  # type: ignore[union-attr]

    preview = run(env, capsys, "import", str(dump), "--new", "from-sql", "--dry-run", "--json")
    assert preview.code == 0, preview.err
    assert preview.json()["source"]["tables"] == USER_TABLES  # type: ignore[index]
    assert preview.json()["source"]["vector_indexes"] == ["movies_idx"]  # type: ignore[index]

    for source, name in ((dump, "from-sql"), (db_file, "from-db")):
        created = run(env, capsys, "import", str(source), "--new", name, "--yes", "--json")
        assert created.code == 0, created.err
        assert created.json()["tables"] == USER_TABLES
        assert _neighbours(env, sqld_binary, name) == expected

    into = run(env, capsys, "import", str(dump), "--into", "other", "--yes", "--json")
    assert into.code == 0, into.err
    assert into.json()["tables"] == USER_TABLES
    assert _neighbours(env, sqld_binary, "other") == expected
