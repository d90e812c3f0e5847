"""The local Turso's storage figure is the database's size, not its file sizes added up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tursotui.local.engine.filesize import database_bytes


def _logical(conn: sqlite3.Connection) -> int:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int(pages) * int(size)


def test_a_wal_database_is_counted_by_its_pages_not_data_plus_wal(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "data")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "PRAGMA wal_autocheckpoint=0"
    )  # every write stays in data-wal, as between sqld checkpoints
    conn.execute("CREATE TABLE t (x BLOB)")
    for _ in range(
        5
    ):  # the same pages written again and again: the WAL grows, the database does not
        conn.execute("DELETE FROM t")
        conn.executemany("INSERT INTO t VALUES (randomblob(4000))", [()] * 100)
        conn.commit()
    files = (tmp_path / "data").stat().st_size + (tmp_path / "data-wal").stat().st_size
    logical = _logical(conn)
    assert files > 3 * logical  # what the local Turso used to report
    assert database_bytes(tmp_path) == logical
    conn.close()


def test_without_a_wal_index_the_file_size_is_the_answer(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "data")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    conn.commit()
    assert database_bytes(tmp_path) == (tmp_path / "data").stat().st_size == _logical(conn)
    conn.close()


def test_a_torn_or_missing_index_falls_back_and_no_files_is_zero(tmp_path: Path) -> None:
    assert database_bytes(tmp_path) == 0
    (tmp_path / "data").write_bytes(b"\0" * 8192)
    (tmp_path / "data-shm").write_bytes(b"\1" * 48 + b"\2" * 48)  # the two header copies disagree
    assert database_bytes(tmp_path) == 8192
    (tmp_path / "data-shm").write_bytes(b"short")
    assert database_bytes(tmp_path) == 8192
