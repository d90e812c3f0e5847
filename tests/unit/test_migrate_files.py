"""Unit tests of tursotui.ops.migrate without a server: the folder's names, gaps and duplicates, checksums,
statements a migration may not hold, the ledger's status against the folder and the statements of one
database's transaction, schema normalisation and drift grouping, the bounded runner's cancel."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from tursotui.ops.errors import InputError
from tursotui.ops.migrate.drift import group_schemas
from tursotui.ops.migrate.files import checksum, load_migrations, parse_migration, parse_name
from tursotui.ops.migrate.fleet import run_bounded
from tursotui.ops.migrate.ledger import LEDGER, Applied, apply_statements, compare
from tursotui.ops.migrate.schema import (
    expected_schema,
    fingerprint,
    normalise_sql,
    normalised_schema,
)
from tursotui.platform import Database
from tursotui.support.xswarm import SCHEMA


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_a_folder_loads_in_order_and_other_files_are_left_alone(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path,
        {
            "0002_add_plan.sql": "ALTER TABLE users ADD COLUMN plan TEXT;",
            "0001_create_users.sql": ";\n".join(SCHEMA),
            "README.md": "notes",
        },
    )
    found = load_migrations(folder)
    assert [(m.id, m.name, m.file) for m in found] == [
        (1, "create_users", "0001_create_users.sql"),
        (2, "add_plan", "0002_add_plan.sql"),
    ]
    assert len(found[0].steps) == len(SCHEMA) and found[0].steps[1].line == 15
    assert found[1].label == "0002_add_plan"
    (tmp_path / "empty").mkdir()
    assert load_migrations(tmp_path / "empty") == []


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"1_x.sql": "SELECT 1"}, "migration file '1_x.sql': the name must be NNNN_name.sql"),
        ({"0001_Users.sql": "SELECT 1"}, "the name must be NNNN_name.sql"),
        ({"0001-users.sql": "SELECT 1"}, "the name must be NNNN_name.sql"),
        ({"0000_zero.sql": "SELECT 1"}, "numbers start at 0001"),
        (
            {"0001_a.sql": "SELECT 1", "0001_b.sql": "SELECT 2"},
            "migration number 0001 is used twice: 0001_a.sql and 0001_b.sql",
        ),
        (
            {"0001_a.sql": "SELECT 1", "0003_c.sql": "SELECT 3"},
            "migration 0002 is missing: 0003_c.sql follows 0001_a.sql",
        ),
        ({"0002_b.sql": "SELECT 1"}, "migrations start at 0001, but the first is 0002_b.sql"),
        ({"0001_a.sql": "-- nothing\n"}, "migration file 0001_a.sql: no SQL statement in it"),
        (
            {"0001_a.sql": "CREATE TABLE t(x);\nBEGIN;\nCOMMIT;"},
            "migration file 0001_a.sql, line 2: BEGIN is not allowed",
        ),
        ({"0001_a.sql": "VACUUM"}, "VACUUM is not allowed"),
    ],
)
def test_bad_folders_are_named(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as refused:
        load_migrations(_folder(tmp_path, files))
    assert message in refused.value.message


def test_a_missing_folder_and_non_utf8_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_migrations(tmp_path / "nope")
    (tmp_path / "0001_a.sql").write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match=r"0001_a\.sql is not UTF-8 text"):
        load_migrations(tmp_path)


def test_a_trigger_body_is_one_statement_and_line_endings_do_not_change_the_checksum() -> None:
    text = "CREATE TABLE t(x);\nCREATE TRIGGER r AFTER INSERT ON t BEGIN\n  SELECT 1;\nEND;\n"
    migration = parse_migration("0001_t.sql", text)
    assert len(migration.steps) == 2 and migration.steps[1].line == 2
    assert checksum(text) == checksum(text.replace("\n", "\r\n"))
    assert checksum(text) != checksum(text + " ")
    assert parse_name("0012_a_b9.sql") == (12, "a_b9")


def test_status_against_the_folder() -> None:
    one = parse_migration("0001_a.sql", "CREATE TABLE a(x);")
    two = parse_migration("0002_b.sql", "CREATE TABLE b(x);")
    fresh = compare("db", "g", [one, two], [])
    assert (fresh.state, fresh.pending) == ("pending", (1, 2)) and fresh.can_apply
    done = compare("db", "g", [one, two], [Applied(1, one.checksum, "t", 0.1)])
    assert (done.state, done.applied, done.pending) == ("pending", (1,), (2,))
    assert done.describe() == "1 applied; pending 0002"
    edited = compare("db", "g", [one, two], [Applied(1, "0" * 64, "t", None)])
    assert edited.state == "changed" and not edited.can_apply
    ahead = compare("db", "g", [one], [Applied(1, one.checksum, "t", 0), Applied(2, "x", "t", 0)])
    assert (ahead.state, ahead.unknown) == ("unknown", (2,))
    assert compare("db", "g", [one], [Applied(1, one.checksum, "t", 0)]).state == "up-to-date"


def test_a_file_numbered_below_an_applied_one_is_out_of_order() -> None:
    """A file added in the middle (0002 after 0003 was applied) would run after later ones: refused."""
    one, two, three = (
        parse_migration(f"000{i}_{n}.sql", f"CREATE TABLE {n}(x);")
        for i, n in ((1, "a"), (2, "b"), (3, "c"))
    )
    late = compare(
        "db",
        "g",
        [one, two, three],
        [Applied(1, one.checksum, "t", 0), Applied(3, three.checksum, "t", 0)],
    )
    assert (late.state, late.out_of_order, late.can_apply) == ("out-of-order", (2,), False)
    assert "numbered below the applied 0003: 0002" in late.describe()
    assert late.to_json()["out_of_order"] == [2]


def test_one_transaction_holds_the_ledger_and_every_statement() -> None:
    """The statements of one database's batch, run here on sqlite3 in one transaction: the ledger rows
    carry checksums and durations; a failing statement leaves nothing."""
    one = parse_migration("0001_a.sql", "CREATE TABLE a(x);\nINSERT INTO a VALUES (1);")
    two = parse_migration("0002_b.sql", "CREATE TABLE b(x);")
    statements, where = apply_statements([one, two])
    assert len(statements) == len(where) == 1 + 2 * 2 + 2 + 1
    assert [w[1] for w in where] == [-1, -1, 0, 1, -1, -1, 0, -1]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    for s in statements:
        conn.execute(s.sql, s.args or [])
    conn.execute("COMMIT")
    rows = conn.execute(f"SELECT id, checksum, duration FROM {LEDGER}").fetchall()
    assert rows == [(1, one.checksum, rows[0][2]), (2, two.checksum, rows[1][2])]
    assert all(isinstance(r[2], float) for r in rows)


def test_normalisation_ignores_whitespace_case_and_quotes_not_literals() -> None:
    a = normalise_sql(
        "CREATE TABLE \"Users\" (\n  id TEXT PRIMARY KEY ,\n  tier TEXT DEFAULT 'Free'\n);"
    )
    b = normalise_sql("create table [users](id text primary key, tier text default 'Free')")
    assert a == b == "create table users(id text primary key,tier text default 'Free')"
    assert normalise_sql("CREATE TABLE t(x DEFAULT 'A  B')") != normalise_sql(
        "CREATE TABLE t(x DEFAULT 'a b')"
    )
    assert normalise_sql("CREATE INDEX IF NOT EXISTS i ON t(x)") == "create index i on t(x)"


def test_the_normalised_schema_leaves_internal_objects_and_the_ledger_out() -> None:
    rows = [
        ("table", "users", "users", "CREATE TABLE users(id)"),
        ("index", "sqlite_autoindex_users_1", "users", None),
        ("table", "sqlite_sequence", "sqlite_sequence", "CREATE TABLE sqlite_sequence(name,seq)"),
        ("table", LEDGER, LEDGER, "CREATE TABLE x(id)"),
        ("table", "libsql_vector_meta_shadow", "x", "CREATE TABLE libsql_vector_meta_shadow(x)"),
        ("index", "emb_idx", "docs", "CREATE INDEX emb_idx ON docs(libsql_vector_idx(e))"),
        ("table", "emb_idx_shadow", "emb_idx_shadow", "CREATE TABLE emb_idx_shadow(i, v)"),
        ("table", "docs", "docs", "CREATE TABLE docs(e F32_BLOB(3))"),
        ("table", "notes_shadow", "notes_shadow", "CREATE TABLE notes_shadow(x)"),
    ]
    assert normalised_schema(rows) == [
        "table docs: create table docs(e f32_blob(3))",
        "table notes_shadow: create table notes_shadow(x)",
        "table users: create table users(id)",
        "index emb_idx: create index emb_idx on docs(libsql_vector_idx(e))",
    ]


def test_the_expected_schema_and_drift_groups(tmp_path: Path) -> None:
    one = parse_migration("0001_a.sql", ";\n".join(SCHEMA))
    expected = expected_schema([one])
    assert any(line.startswith("table users: create table users(id text") for line in expected)
    assert "foreign key(user_id) references users(id)" in expected[0]
    assert fingerprint(expected) == fingerprint(list(expected))
    extra = [*expected, "index extra: create index extra on users(phone)"]
    report = group_schemas(expected, {"a": expected, "b": list(expected), "c": extra}, {"d": "x"})
    assert report.drifted == ["c"] and not report.clean
    assert [g.databases for g in report.groups] == [("a", "b"), ("c",)]
    assert report.groups[1].diff[-1] == "+index extra: create index extra on users(phone)"
    bad = parse_migration("0002_b.sql", "CREATE TABLE users(x);")
    with pytest.raises(InputError, match=r"0002_b\.sql, line 1: table users already exists"):
        expected_schema([one, bad])


def test_the_runner_is_bounded_and_cancel_starts_none_new() -> None:
    databases = [Database(name=f"d{n}", group="g") for n in range(10)]
    running = 0
    most = 0
    cancel = asyncio.Event()

    async def work(db: Database) -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        if db.name == "d3":
            cancel.set()
        running -= 1
        return db.name

    done = asyncio.run(run_bounded(databases, work, 2, cancel=cancel))
    assert most == 2
    assert {"d0", "d1", "d2", "d3"} <= set(done) <= {"d0", "d1", "d2", "d3", "d4"}
