"""LocalDatabase: plain files through stdlib sqlite3, same ResultSet as the Hrana client."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tursotui.libsql import LocalDatabase, LocalDatabaseError, ResultSet, is_internal_table
from tursotui.libsql.values import INT64_MAX, INT64_MIN


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        '''
        PRAGMA journal_mode=WAL;
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, avatar BLOB);
        CREATE TABLE "odd ""name""" (x);
        INSERT INTO users (name, avatar) VALUES ('ada', x'00ff'), ('bob', NULL);
        INSERT INTO "odd ""name""" VALUES (1), (2), (3);
        CREATE TABLE _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER);
        CREATE TABLE _litestream_lock (id INTEGER);
        CREATE TABLE libsql_wasm_func_table (name TEXT);
        CREATE TABLE turso_cdc (x);
        CREATE TABLE turso_sync_last_change_id (x);
        CREATE TABLE turso_cdc_version (x);
        CREATE TABLE __turso_internal_seq_users (x);
        CREATE INDEX users_name ON users (name);
        ANALYZE;
        '''
    )
    conn.close()
    return path


def test_execute_returns_a_result_set(db_file: Path) -> None:
    with LocalDatabase(db_file) as db:
        result = db.execute("SELECT id, name, avatar FROM users ORDER BY id")
        assert isinstance(result, ResultSet)
        assert result.columns == ("id", "name", "avatar")
        assert result.rows == ((1, "ada", b"\x00\xff"), (2, "bob", None))
        assert result.decltypes == (None, None, None)
        assert result.rows_read is None
        assert result.rows_written is None
        assert result.replication_index is None
        assert result.last_insert_rowid is None
        assert isinstance(result.query_duration_ms, float)

        inserted = db.execute("INSERT INTO users (name) VALUES (?)", ["cy"])
        assert inserted.affected_row_count == 1
        assert inserted.last_insert_rowid == 3
        assert inserted.columns == ()
        updated = db.execute("UPDATE users SET name = upper(name)")
        assert updated.affected_row_count == 3
        assert updated.last_insert_rowid is None  # as sqld: only INSERT/REPLACE report it
        replaced = db.execute("-- note\n /* c */ replace INTO users (id, name) VALUES (3, 'cy')")
        assert replaced.last_insert_rowid == 3


def test_positional_and_named_args(db_file: Path) -> None:
    with LocalDatabase(db_file) as db:
        assert db.execute("SELECT ?, ?", (1, "x")).rows == ((1, "x"),)
        named = db.execute("SELECT :a, @b, $c", {"a": 1, "@b": True, ":c": None})
        assert named.rows == ((1, 1, None),)
        with pytest.raises(TypeError, match="sequence or a mapping"):
            db.execute("SELECT ?", "x")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="object"):
            db.execute("SELECT ?", [object()])
        with pytest.raises(OverflowError):
            db.execute("SELECT ?", [2**63])


@settings(max_examples=60, deadline=None)
@given(
    value=st.one_of(
        st.none(),
        st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
        st.floats(allow_nan=False),
        st.text(),
        st.binary(),
    )
)
def test_values_round_trip(value: object) -> None:
    with LocalDatabase(":memory:") as db:
        db.execute("CREATE TABLE v (x)")
        db.execute("INSERT INTO v VALUES (?)", [value])
        assert db.execute("SELECT x FROM v").rows == ((value,),)


def test_tables_hide_internal_ones(db_file: Path) -> None:
    with LocalDatabase(db_file, read_only=True) as db:
        tables = db.tables()
    assert tables == ['odd "name"', "users"]
    for hidden in (
        "sqlite_stat1",
        "_litestream_seq",
        "_litestream_lock",
        "libsql_wasm_func_table",
        "turso_cdc",
        "turso_sync_last_change_id",
        "turso_cdc_version",
        "__turso_internal_seq_users",
    ):
        assert hidden not in tables


@pytest.mark.parametrize(
    ("name", "internal"),
    [
        ("sqlite_sequence", True),
        ("SQLITE_STAT4", True),
        ("_litestream_seq", True),
        ("libsql_wasm_func_table", True),
        ("turso_cdc", True),
        ("turso_cdc_version", True),
        ("turso_sync_last_change_id", True),
        ("__turso_internal_seq_x", True),
        ("users", False),
        ("sqlitex", False),
        ("turso_cdc_extra", False),
        ("_litestrea", False),
        ("libsqlish", False),
    ],
)
def test_is_internal_table(name: str, internal: bool) -> None:
    assert is_internal_table(name) is internal


def test_row_counts_and_integrity(db_file: Path) -> None:
    with LocalDatabase(db_file, read_only=True) as db:
        counts = db.row_counts()
        assert counts["users"] == 2
        assert counts['odd "name"'] == 3
        assert "turso_cdc" not in counts
        assert db.integrity_check() == []


def test_integrity_check_reports_problems(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE t (a TEXT); CREATE INDEX t_a ON t (a);"
        "INSERT INTO t VALUES ('x'), ('y'), ('z');"
    )
    # Corrupt the index behind SQLite's back: rows and index entries no longer match.
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_schema SET sql = 'CREATE INDEX t_a ON t (a DESC)' WHERE name = 't_a'"
    )
    conn.commit()
    conn.close()
    with LocalDatabase(path, read_only=True) as db:
        problems = db.integrity_check()
    assert problems
    assert all(isinstance(p, str) for p in problems)


def test_read_only_refuses_writes_and_never_creates(tmp_path: Path, db_file: Path) -> None:
    missing = tmp_path / "nope" / "missing.db"
    with pytest.raises(LocalDatabaseError, match="does not exist"):
        LocalDatabase(missing, read_only=True)
    assert not missing.exists()
    assert not missing.parent.exists()
    with pytest.raises(LocalDatabaseError, match="does not exist"):
        LocalDatabase(tmp_path / "also-missing.db", create=False)

    with LocalDatabase(db_file, read_only=True) as db:
        with pytest.raises(LocalDatabaseError, match="read-only") as refused:
            db.execute("INSERT INTO users (name) VALUES ('eve')")
        assert refused.value.code == "SQLITE_READONLY"
    with LocalDatabase(db_file) as db:
        assert db.execute("SELECT count(*) FROM users").scalar() == 2


def test_paths_needing_uri_quoting_open_read_only(tmp_path: Path) -> None:
    path = tmp_path / "we?ird #dir %20" / "my db?.sqlite"
    path.parent.mkdir()
    sqlite3.connect(path).executescript("CREATE TABLE t (a); INSERT INTO t VALUES (1);")
    with LocalDatabase(path, read_only=True) as db:
        assert db.execute("SELECT a FROM t").scalar() == 1


def test_errors_are_clear(tmp_path: Path, db_file: Path) -> None:
    with LocalDatabase(db_file) as db:
        with pytest.raises(LocalDatabaseError, match="no such table: nope") as missing:
            db.execute("SELECT * FROM nope")
        assert missing.value.code == "SQLITE_ERROR"
        with pytest.raises(LocalDatabaseError):
            db.executescript("CREATE TABLE users (x);")
    with pytest.raises(LocalDatabaseError, match="closed"):
        db.execute("SELECT 1")
    not_db = tmp_path / "notes.txt"
    not_db.write_text("this is not a database, just some text that is long enough" * 100)
    with pytest.raises(LocalDatabaseError, match="not a database"):
        LocalDatabase(not_db, read_only=True)
    with pytest.raises(LocalDatabaseError, match="directory"):
        LocalDatabase(tmp_path)


def test_new_file_is_created_and_scripts_run(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with LocalDatabase(path) as db:
        db.executescript("CREATE TABLE t (a); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);")
        db.execute("BEGIN")
        db.execute("INSERT INTO t VALUES (3)")
        db.execute("ROLLBACK")
        assert db.row_counts() == {"t": 2}
    assert path.exists()
    assert "closed" in repr(db)


def test_invalid_utf8_text_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "bad-text.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (a TEXT)")
    conn.execute("INSERT INTO t VALUES (CAST(x'ff41' AS TEXT))")
    conn.commit()
    conn.close()
    with LocalDatabase(path, read_only=True) as db:
        assert db.execute("SELECT a FROM t").scalar() == "\ufffdA"


async def test_usable_from_worker_threads(db_file: Path) -> None:
    db = LocalDatabase(db_file)
    try:
        results = await asyncio.gather(
            *(asyncio.to_thread(db.execute, "SELECT count(*) FROM users") for _ in range(20))
        )
        assert {r.scalar() for r in results} == {2}
    finally:
        db.close()
