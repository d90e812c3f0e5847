"""libSQL vector indexes in local files and dumps (no sqld): which tables are internal, counting
rows plain SQLite misreads, loading a vector dump with the libSQL engine (statement by statement),
verifying it, and what happens where that engine is missing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import libsql
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tursotui.libsql import LocalDatabase
from tursotui.libsql.engine import LibsqlFile
from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.local import internal_names, is_internal_table, user_tables
from tursotui.ops.backup import verify_dump
from tursotui.ops.browse.query import user_table_names
from tursotui.ops.errors import InputError, OpsError, VerificationError
from tursotui.ops.import_source import open_source, prepare_upload_copy
from tursotui.ops.vectors import load, statements

VECTOR_SQL = "CREATE INDEX {i} ON movies (libsql_vector_idx(emb, 'metric=cosine'))"


def schema(
    tables: Sequence[str], vector: Sequence[str] = (), plain: Sequence[str] = ()
) -> list[tuple[str, str, str, str]]:
    """``(type, name, tbl_name, sql)`` rows as ``sqlite_schema`` has them."""
    rows = [("table", t, t, f"CREATE TABLE {t} (x)") for t in tables]
    rows += [("index", i, "movies", VECTOR_SQL.format(i=i)) for i in vector]
    rows += [("index", i, "movies", f"CREATE INDEX {i} ON movies (title)") for i in plain]
    return rows


# -- the rule ----------------------------------------------------------------------------------------


def test_vector_index_tables_are_internal_only_for_an_existing_vector_index() -> None:
    rows = schema(
        [
            "movies",
            "libsql_vector_meta_shadow",
            "movies_idx_shadow",
            "notes_shadowbox",
            "orphan_shadow",
            "plain_idx_shadow",
        ],
        vector=["movies_idx"],
        plain=["plain_idx"],
    )
    rows.append(
        (
            "index",
            "movies_idx_shadow_idx",
            "movies_idx_shadow",
            "CREATE INDEX movies_idx_shadow_idx ON movies_idx_shadow (index_key)",
        )
    )
    assert user_tables(rows) == ["movies", "notes_shadowbox", "orphan_shadow", "plain_idx_shadow"]
    assert {
        "movies_idx_shadow",
        "movies_idx_shadow_idx",
        "libsql_vector_meta_shadow",
    } <= internal_names(rows)
    assert "movies_idx" not in internal_names(rows)  # the index itself is the user's
    assert not is_internal_table("notes_shadowbox") and not is_internal_table("movies_idx_shadow")


def test_the_rule_ignores_case_as_sqlite_does() -> None:
    rows = schema(["Movies", "MOVIES_IDX_shadow"], vector=["Movies_Idx"])
    assert user_tables(rows) == ["Movies"]


_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=24
)


@given(table=_names, indexes=st.lists(_names, max_size=4), plain=st.lists(_names, max_size=3))
def test_a_table_is_hidden_exactly_when_internal_by_name_or_a_vector_index_shadow(
    table: str, indexes: list[str], plain: list[str]
) -> None:
    rows = schema([table], vector=indexes, plain=plain)
    shadows = {f"{i}_shadow".lower() for i in indexes}
    expected_hidden = is_internal_table(table) or table.lower() in shadows
    assert (table not in user_tables(rows)) == expected_hidden
    assert (table not in user_table_names(rows)) == (
        expected_hidden or table.lower().startswith(("turso_", "__turso"))
    )


@given(stem=_names, suffix=_names)
def test_near_misses_of_a_shadow_name_stay_visible(stem: str, suffix: str) -> None:
    """``<index>_shadow`` plus anything (``notes_shadowbox``), or with no vector index of that
    name, is a user table."""
    table = f"{stem}_shadow{suffix}"
    assume(not is_internal_table(table) and table.lower() != f"{stem}_shadow".lower())
    assert user_tables(schema([table], vector=[stem])) == [table]
    assert user_tables(schema([f"{stem}_shadow"], plain=[stem])) == [f"{stem}_shadow"] or (
        is_internal_table(f"{stem}_shadow")
    )


# -- files built by libSQL ----------------------------------------------------------------------------


def make_vector_file(path: Path, rows: int = 9) -> None:
    conn = libsql.connect(str(path), isolation_level=None)
    conn.execute("CREATE TABLE movies (id INTEGER PRIMARY KEY, title TEXT, emb F32_BLOB(3))")
    conn.execute(VECTOR_SQL.format(i="movies_idx"))
    for i in range(1, rows + 1):
        conn.execute(
            "INSERT INTO movies VALUES (?, ?, vector(?))", (i, f"m{i}", f"[{i}, {i % 4}, 1]")
        )
    conn.execute("CREATE TABLE notes_shadowbox (x)")
    conn.execute("INSERT INTO notes_shadowbox VALUES ('a;b')")
    conn.close()


def make_vector_dump(tmp_path: Path) -> Path:
    """A dump like sqld's ``GET /dump`` (shadow tables included, the index last)."""
    made = tmp_path / "made.db"
    make_vector_file(made)
    conn = sqlite3.connect(made)
    lines = list(conn.iterdump())
    conn.close()
    dump = tmp_path / "vec.sql"
    dump.write_text("PRAGMA foreign_keys=OFF;\n" + "\n".join(lines) + "\n")
    return dump


@pytest.fixture
def vector_file(tmp_path: Path) -> Path:
    path = tmp_path / "vec.db"
    make_vector_file(path)
    return path


def test_local_database_lists_and_counts_a_vector_table(vector_file: Path) -> None:
    plain = sqlite3.connect(vector_file)
    assert plain.execute("SELECT count(*) FROM movies").fetchone() == (0,)  # the trap
    plain.close()
    with LocalDatabase(vector_file, read_only=True) as db:
        assert db.tables() == ["movies", "notes_shadowbox"]
        assert db.row_counts() == {"movies": 9, "notes_shadowbox": 1}


def test_libsql_errors_are_raised_not_hidden(vector_file: Path) -> None:
    with LibsqlFile(vector_file) as db:
        assert db.execute("PRAGMA synchronous=OFF") == []
        with pytest.raises(LocalDatabaseError, match="UNIQUE constraint failed"):
            db.execute("INSERT INTO movies (id) VALUES (1)")
    with pytest.raises(LocalDatabaseError, match="does not exist"):
        LibsqlFile(vector_file.with_name("missing.db"), read_only=True)


def test_statements_are_split_one_by_one(tmp_path: Path) -> None:
    sql = tmp_path / "s.sql"
    sql.write_text(
        "INSERT INTO t VALUES ('a;b'); INSERT INTO t VALUES (2);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
        "-- a comment; with a semicolon\nSELECT 3;\n"
    )
    with sql.open("rb") as fh:
        found = [(s.sql.strip(), s.line) for s in statements(fh, OpsError, None)]
    assert [line for _, line in found] == [1, 1, 2, 6]
    assert found[0][0] == "INSERT INTO t VALUES ('a;b');"
    assert found[2][0].startswith("CREATE TRIGGER") and found[2][0].endswith("END;")
    sql.write_text("CREATE TABLE t (x);\nINSERT INTO t VALUES ('unfinished")
    with sql.open("rb") as fh, pytest.raises(OpsError, match=r"line 2\): the file is truncated"):
        list(statements(fh, OpsError, None))


def test_a_failing_statement_is_named_and_nothing_after_it_runs(tmp_path: Path) -> None:
    dump = tmp_path / "bad.sql"
    dump.write_text(
        "BEGIN TRANSACTION;\nCREATE TABLE t (x PRIMARY KEY);\nINSERT INTO t VALUES (1);"
        " INSERT INTO t VALUES (1);\nINSERT INTO t VALUES (3);\nCOMMIT;\n"
    )
    with LibsqlFile(tmp_path / "out.db") as db, pytest.raises(OpsError) as caught:
        load(dump, db, cancel=threading.Event(), fail=OpsError)
    assert "statement at line 3 fails (UNIQUE constraint failed: t.x)" in str(caught.value)


async def test_a_vector_dump_verifies_and_builds_a_working_db(tmp_path: Path) -> None:
    dump = make_vector_dump(tmp_path)
    out = tmp_path / "backup.db"
    out.touch()
    report = await verify_dump(dump, db_path=out)
    assert report.tables == {"movies": 9, "notes_shadowbox": 1} and report.integrity == []
    assert report.vector_indexes == ["movies_idx"] and report.notes == []
    assert ("index", "movies_idx") in report.objects
    with LibsqlFile(out, read_only=True) as db:
        assert (
            len(db.execute("SELECT id FROM vector_top_k('movies_idx', vector('[1,1,1]'), 3)")) == 3
        )
        assert db.execute("PRAGMA journal_mode") == [("delete",)]


async def test_a_vector_dump_and_file_are_import_sources(tmp_path: Path, vector_file: Path) -> None:
    dump = make_vector_dump(tmp_path)
    for path in (dump, vector_file):
        with await open_source(path, scratch_dir=tmp_path) as source:
            assert {t.name: t.rows for t in source.tables} == {"movies": 9, "notes_shadowbox": 1}
            assert source.vector_indexes == ["movies_idx"]
    copy = prepare_upload_copy(vector_file, tmp_path)
    with LibsqlFile(copy, read_only=True) as db:
        assert db.execute("PRAGMA integrity_check") == [("ok",)]
        assert db.execute("SELECT count(*) FROM libsql_vector_meta_shadow") == [(1,)]


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tursotui.libsql.engine.engine", lambda: None)


@pytest.mark.usefixtures("no_engine")
async def test_without_the_engine_a_sql_backup_is_verified_but_the_vector_ddl(
    tmp_path: Path,
) -> None:
    dump = make_vector_dump(tmp_path)
    report = await verify_dump(dump, scratch_dir=tmp_path)
    assert report.tables == {"movies": 9, "notes_shadowbox": 1} and report.integrity == []
    assert report.vector_indexes == []
    assert report.notes == [
        "vector index movies_idx not verified: the libSQL engine (Python package libsql) is not "
        "available, so everything else was checked with plain SQLite"
    ]
    out = tmp_path / "backup.db"
    out.touch()
    with pytest.raises(VerificationError, match="use --format sql, or install libsql"):
        await verify_dump(dump, db_path=out)


@pytest.mark.usefixtures("no_engine")
async def test_without_the_engine_a_vector_import_source_is_refused_clearly(
    tmp_path: Path, vector_file: Path
) -> None:
    for path in (make_vector_dump(tmp_path), vector_file):
        with pytest.raises(
            InputError, match="has libSQL vector indexes: reading it needs the libSQL engine"
        ):
            await open_source(path, scratch_dir=tmp_path)


def test_plain_sqlite_cannot_check_a_vector_file(vector_file: Path) -> None:
    """Why the engine is needed at all (if this starts passing, the fallback can go)."""
    conn = sqlite3.connect(vector_file)
    with pytest.raises(sqlite3.OperationalError, match="libsql_vector_idx"):
        conn.execute("PRAGMA integrity_check").fetchall()
    conn.close()
