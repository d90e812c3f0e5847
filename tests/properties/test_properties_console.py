"""Bad input at scale (hypothesis) for the console's two free-text inputs: the table browser's search box, sort
and page requests, run on a real SQLite copy of the xSwarm schema; and the SQL console's statement splitter and
read-only classifier, checked against sqlite3's own parser (``complete_statement``, the authorizer on EXPLAIN).
Zero crashes, zero writes, exactly the rows a Python filter finds."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tursotui.ops.browse.offline import OfflineReplica
from tursotui.ops.browse.query import (
    Direction,
    PageRequest,
    Search,
    TableInfo,
    hidden_table,
    prefix_upper_bound,
)
from tursotui.ops.browse.view import next_sort, page_request
from tursotui.ops.sql.statements import is_read, split_statements
from tursotui.support.xswarm import INSERT_USER, SCHEMA, TEST_USERS, generated_users

CASES = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

INJECTIONS = (
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    '" OR ""="',
    "%",
    "_",
    "%*",
    "_*",
    "a%*",
    "a_*",
    "*a",
    "a*b",
    "**",
    "\x00",
    "a\x00*",
    "\\",
    "'",
    "''",
    "--",
    "/*",
    ");--",
    "?",
    ":name",
    "$1",
    "ü*",
    "\U0010ffff*",
    "\ud7ff*",
    "NULL",
)
# Stored values chosen to trip LIKE wildcards, quoting, NUL, collation and the prefix upper bound.
ODD_VALUES = (
    "a%b@x", "a_b@x", "axb@x", "a%", "a_", "a", "A", "ab", "a'b", 'a"b', "a\\b", "a*", "*",
    "'; DROP TABLE users; --", "%", "_", "a\x00b", "a\x00", "\x00", "ü@x", "üb", "日本@x",
    "\U0001f600", "\U0010ffff", "\U0010ffff\U0010ffff", "\U0010ffffa", "\ud7ff", "\ud7ffx", "\ue000",
    "", " a", "a ", "NULL", "x" * 3000,
)  # fmt: skip
SEARCHED = ("email", "phone", "xswarm_phone", "stripe_customer_id")
WRITE_ACTIONS = {
    getattr(sqlite3, name)
    for name in dir(sqlite3)
    if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_"))
    or name
    in (
        "SQLITE_INSERT",
        "SQLITE_UPDATE",
        "SQLITE_DELETE",
        "SQLITE_ALTER_TABLE",
        "SQLITE_ATTACH",
        "SQLITE_DETACH",
        "SQLITE_REINDEX",
        "SQLITE_ANALYZE",
    )
}


# -- the xSwarm database --------------------------------------------------------------------------------------


def _rows() -> list[tuple[str | None, ...]]:
    rows = list(TEST_USERS) + list(generated_users(30))
    for n, value in enumerate(ODD_VALUES):
        rows.append(
            (
                f"odd-{n:03d}",
                value,
                value if n % 2 else None,
                f"odd{n}@xswarm.ai",
                value if n % 3 else None,
                "free",
                "hal-9000",
                "hey hal",
                value if n % 4 != 1 else None,
                None,
            )
        )
    return rows


@pytest.fixture(scope="module")
def xswarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("browse") / "xswarm.db"
    conn = sqlite3.connect(path)
    for statement in SCHEMA:
        conn.execute(statement)
    conn.executemany(INSERT_USER, _rows())
    conn.commit()
    conn.close()
    yield path


def _snapshot(path: Path) -> tuple[Any, ...]:
    conn = sqlite3.connect(path)
    try:
        master = conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
        rows = conn.execute("SELECT rowid, * FROM users ORDER BY rowid").fetchall()
        return (master, rows, path.read_bytes())
    finally:
        conn.close()


class _Watched:
    """A writable connection whose authorizer records every write it is asked to prepare."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.other = sqlite3.connect(path, isolation_level=None)
        self.writes: list[tuple[int, str | None]] = []

        def authorize(action: int, arg1: str | None, *_: Any) -> int:
            if action in WRITE_ACTIONS:
                self.writes.append((action, arg1))
                return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK

        self.conn.set_authorizer(authorize)

    def run(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        changes = self.conn.total_changes
        version = self.other.execute("PRAGMA data_version").fetchone()
        rows = self.conn.execute(sql, args).fetchall()
        assert self.writes == []
        assert self.conn.total_changes == changes
        assert self.other.execute("PRAGMA data_version").fetchone() == version
        return rows


@pytest.fixture(scope="module")
def browser(
    xswarm: Path,
) -> Iterator[tuple[OfflineReplica, TableInfo, _Watched, dict[int, dict[str, Any]]]]:
    before = _snapshot(xswarm)
    replica = OfflineReplica(xswarm)
    info = replica.table_info("users")
    watched = _Watched(xswarm)
    conn = sqlite3.connect(xswarm)
    conn.row_factory = sqlite3.Row
    table = {r["rowid"]: dict(r) for r in conn.execute("SELECT rowid, * FROM users")}
    conn.close()
    yield replica, info, watched, table
    watched.conn.close()
    watched.other.close()
    assert _snapshot(xswarm) == before  # nothing the browser ran wrote anything


def _order_key(value: Any, rowid: int) -> tuple[bool, bytes, int]:
    """SQLite's order for TEXT/NULL (NULLs first, BINARY = UTF-8 bytes) then the key."""
    return (value is not None, value.encode() if isinstance(value, str) else b"", rowid)


def _raw_searches() -> st.SearchStrategy[str]:
    prefixes = st.sampled_from([v for v in ODD_VALUES if v] + ["+1555", "cus_", "test@", "ada."])
    cut = prefixes.flatmap(lambda v: st.integers(1, len(v)).map(lambda i: v[:i]))
    return st.one_of(
        st.sampled_from(INJECTIONS),
        st.sampled_from((*ODD_VALUES, "test@example.com", "+15551234567", "+18005551001")),
        st.text(max_size=30),
        st.text(alphabet="a_%*'\"\\ ;-\x00ü\U0010ffff", max_size=12),
        st.text(alphabet="ab%_*'", min_size=2000, max_size=4000),
        st.tuples(cut, st.sampled_from(["", "*", " *", "* ", "*", "**"])).map("".join),
    )


# -- table browser: search box ---------------------------------------------------------------------------------


@CASES
@given(column=st.sampled_from(SEARCHED), raw=_raw_searches(), limit=st.integers(1, 200))
def test_search_box_binds_the_text_and_finds_exactly_the_matching_rows(
    browser: tuple[OfflineReplica, TableInfo, _Watched, dict[int, dict[str, Any]]],
    column: str,
    raw: str,
    limit: int,
) -> None:
    replica, info, watched, table = browser
    assert column in info.searchable
    search = Search.parse(column, raw)
    if search is None:
        assert raw.strip() in ("", "*")
        return
    assert search.text and search.mode == ("prefix" if raw.strip().endswith("*") else "exact")
    request = PageRequest(info, limit, "first", search=search)
    query = request.build()
    # The SQL is the same whatever was typed: the text is only ever a bound value.
    placeholder = PageRequest(info, 1, "first", search=Search(column, "x", search.mode)).build()
    if search.mode == "exact" or prefix_upper_bound(search.text) is not None:
        assert query.sql == placeholder.sql
    assert query.args[0] == search.text
    if len(search.text) >= 3 and search.text not in placeholder.sql:
        assert search.text not in query.sql

    got = watched.run(query.sql, query.args)  # a writable connection: the SQL itself never writes
    page = replica.page(request)  # the browser's own read path
    assert [r[0] for r in got] == [k[0] for k in page.keys]

    if search.mode == "exact":
        expected = [rid for rid, row in table.items() if row[column] == search.text]
    else:
        expected = [
            rid
            for rid, row in table.items()
            if isinstance(row[column], str) and row[column].startswith(search.text)
        ]
    expected.sort(key=lambda rid: _order_key(table[rid][column], rid))
    event(f"{search.mode}: {'rows found' if expected else 'no rows'}")
    assert [k[0] for k in page.keys] == expected[:limit]
    assert all(dict(zip(page.columns, row, strict=True))[column] is not None for row in page.rows)


# -- table browser: sort choice and page requests --------------------------------------------------------------


@CASES
@given(
    sort_steps=st.integers(0, 8),
    raw=st.one_of(st.none(), _raw_searches()),
    column=st.sampled_from(SEARCHED),
    size=st.integers(1, 9),
    moves=st.lists(st.sampled_from(["first", "next", "prev", "last"]), min_size=1, max_size=12),
)
def test_paging_walks_the_table_in_order_whatever_the_sort_and_search(
    browser: tuple[OfflineReplica, TableInfo, _Watched, dict[int, dict[str, Any]]],
    sort_steps: int,
    raw: str | None,
    column: str,
    size: int,
    moves: list[Direction],
) -> None:
    replica, info, watched, table = browser
    sort: str | None = None
    for _ in range(sort_steps):  # the sort key cycles through the key and the indexed columns only
        sort = next_sort(info.sortable, sort)
        assert sort is None or sort in info.sortable
    search = Search.parse(column, raw) if raw is not None else None
    order_col = search.column if search else sort

    def matches(row: dict[str, Any]) -> bool:
        if search is None:
            return True
        value = row[search.column]
        if search.mode == "exact":
            return bool(value == search.text)
        return isinstance(value, str) and value.startswith(search.text)

    model = sorted(
        (rid for rid, row in table.items() if matches(row)),
        key=lambda rid: _order_key(table[rid][order_col], rid) if order_col else (True, b"", rid),
    )
    request = page_request(info, size, "first", sort, search, None)
    assert request is not None
    page = replica.page(request)
    shown = [k[0] for k in page.keys]
    assert shown == model[:size]
    event(f"{'several' if len(model) > size * 3 else 'few'} pages, sort {order_col}")
    for move in moves:
        request = page_request(info, size, move, sort, search, page)
        if request is None:  # only an empty page has no next/previous page
            assert not page.rows and move in ("next", "prev")
            continue
        query = request.build()
        watched.run(query.sql, query.args)
        page = replica.page(request)
        got = [k[0] for k in page.keys]
        if move == "first":
            want = model[:size]
        elif move == "last":
            want = model[-size:]
        elif move == "next":
            after = model.index(shown[-1]) + 1
            want = model[after : after + size]
        else:
            before = model.index(shown[0])
            want = model[max(0, before - size) : before]
        assert got == want, (move, shown)
        shown = got


@CASES
@given(
    prefix=st.text(min_size=1, max_size=6),
    tail=st.text(max_size=4),
    other=st.text(max_size=8),
)
def test_prefix_upper_bound_brackets_exactly_the_strings_with_the_prefix(
    prefix: str, tail: str, other: str
) -> None:
    upper = prefix_upper_bound(prefix)
    inside = (prefix + tail).encode()
    if upper is None:
        assert set(prefix) == {"\U0010ffff"}
        return
    bound = upper.encode()  # always encodable (no surrogates), so it can be bound
    assert prefix.encode() <= inside < bound
    if other.encode() >= prefix.encode() and other.encode() < bound:
        assert other.startswith(prefix)


def test_prefix_search_regressions(xswarm: Path) -> None:
    """Found by the properties: U+D7FF's successor was a lone surrogate (binding it raised
    UnicodeEncodeError), and a prefix of U+10FFFF alone matched nothing."""
    assert prefix_upper_bound("\ud7ff") == "\ue000"
    assert prefix_upper_bound("a\ud7ff") == "a\ue000"
    assert prefix_upper_bound("\U0010ffff") is None
    replica = OfflineReplica(xswarm)
    info = replica.table_info("users")
    for raw, emails in (
        ("\ud7ff*", ["\ud7ff", "\ud7ffx"]),
        ("\U0010ffff*", ["\U0010ffff", "\U0010ffffa", "\U0010ffff\U0010ffff"]),
    ):
        search = Search.parse("email", raw)
        page = replica.page(PageRequest(info, 50, search=search))
        assert [dict(zip(page.columns, r, strict=True))["email"] for r in page.rows] == emails


_NAMES = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=10)


@settings(CASES, max_examples=60)
@given(
    table=_NAMES,
    columns=st.lists(_NAMES, min_size=1, max_size=4),
    values=st.lists(_NAMES, max_size=5),
)
def test_any_table_and_column_names_are_quoted(
    tmp_path_factory: pytest.TempPathFactory, table: str, columns: list[str], values: list[str]
) -> None:
    if table.lower().startswith("sqlite_") or len({c.lower() for c in columns}) < len(columns):
        return  # SQLite itself refuses these
    path = tmp_path_factory.mktemp("names") / "odd.db"
    conn = sqlite3.connect(path)
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    conn.execute(f'CREATE TABLE "{table.replace(chr(34), chr(34) * 2)}" ({quoted})')
    conn.executemany(
        f'INSERT INTO "{table.replace(chr(34), chr(34) * 2)}" VALUES ({", ".join("?" for _ in columns)})',
        [tuple(v for _ in columns) for v in values],
    )
    conn.commit()
    conn.close()
    before = path.read_bytes()
    replica = OfflineReplica(path)
    assert [name for name, _ in replica.tables()] == ([] if hidden_table(table) else [table])
    info = replica.table_info(table)
    assert [c.name for c in info.columns] == columns
    for sort in (None, *info.sortable):
        for direction in ("first", "last"):
            page = replica.page(PageRequest(info, 50, direction, sort))
            assert page.columns == tuple(columns)
            assert sorted(r[0] for r in page.rows) == sorted(values)
    assert path.read_bytes() == before


# -- SQL console: splitting and read-only classification -------------------------------------------------------

_READ_TEMPLATES = (
    "SELECT * FROM users WHERE email = {s}",
    "select count(*) from usage where id <> {s}",
    "VALUES (1), ({s})",
    "WITH x AS (SELECT {s} AS v) SELECT v FROM x",
    "SELECT replace(email, 'a', {s}) FROM users",
    "SELECT {s} AS insert_into_users",
    "PRAGMA table_info(users)",
    'PRAGMA main.index_list("users")',
    "PRAGMA user_version",
    "pragma integrity_check",
    "EXPLAIN SELECT {s}",
    "EXPLAIN QUERY PLAN SELECT * FROM users WHERE id = {s}",
    "EXPLAIN DELETE FROM users WHERE id = {s}",
)
_WRITE_TEMPLATES = (
    "INSERT INTO users(id, email, xswarm_email) VALUES ({s}, {s}, {s})",
    "REPLACE INTO usage(id, user_id, period_start, period_end) VALUES ({s}, 'u', 1, 2)",
    "UPDATE users SET phone = {s}",
    "DELETE FROM users WHERE id = {s}",
    "WITH x AS (SELECT {s} AS v) DELETE FROM users WHERE id IN (SELECT v FROM x)",
    "with x(v) as (values ({s})) insert into usage(id, user_id, period_start, period_end) "
    "select v, v, 1, 2 from x",
    "WITH x AS MATERIALIZED (SELECT 1) UPDATE users SET phone = {s}",
    "WITH x AS (SELECT 1) REPLACE INTO subscription_items VALUES ({s}, 'u', 's', NULL, NULL)",
    "CREATE TABLE t_new(a)",
    "CREATE TEMP TABLE t_tmp(a)",
    "CREATE INDEX i_new ON users(phone)",
    "CREATE VIEW v_new AS SELECT {s}",
    "CREATE TRIGGER tr AFTER INSERT ON users BEGIN DELETE FROM usage WHERE id = {s}; END",
    "DROP TABLE usage",
    "DROP INDEX idx_users_email",
    "ALTER TABLE users ADD COLUMN c_new",
    "ATTACH {s} AS other",
    "DETACH other",
    "PRAGMA user_version = 7",
    "PRAGMA main.user_version=7",
    'PRAGMA "user_version" = 7',
    "PRAGMA user_version(7)",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA foreign_keys = ON",
    "PRAGMA /* c */ user_version = 7",
    "REINDEX",
    "ANALYZE",
)
_OTHER = ("BEGIN", "COMMIT", "BEGIN IMMEDIATE", "ROLLBACK", "SAVEPOINT s", "RELEASE s", "VACUUM")
_NOISE = st.sampled_from(
    ["", " ", "\n", "\t\n  ", "-- c;\n", "/* ; */ ", "/* x\n y */\n", "-- 'open\n", "--\n"]
)
_LITERAL = st.text(
    alphabet=st.one_of(st.sampled_from(list(";'\"-/*\n BEGIN END")), st.characters(codec="utf-8")),
    max_size=12,
).map(lambda t: "'" + t.replace("\x00", "").replace("'", "''") + "'")


@st.composite
def _statement(draw: st.DrawFn) -> str:
    template = draw(st.sampled_from(_READ_TEMPLATES + _WRITE_TEMPLATES + _OTHER))
    text = template.replace("{s}", draw(_LITERAL))
    return (
        draw(st.sampled_from([text, text.lower(), text.upper()])) if "{s}" not in template else text
    )


def _sqlite_writes(stmt: str) -> bool | None:
    """What sqlite3 itself says: True when preparing ``stmt`` asks for a write (authorizer on EXPLAIN, which never
    runs it), False when it does not, None when SQLite cannot parse it. PRAGMAs count as writes when they set a
    value or write on their own."""
    conn = sqlite3.connect(":memory:")
    try:
        for statement in SCHEMA:
            conn.execute(statement)
        seen: list[tuple[int, str | None, str | None]] = []

        def authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
            seen.append((action, arg1, arg2))
            return sqlite3.SQLITE_OK

        conn.set_authorizer(authorize)
        body = stmt.rstrip().rstrip(";")
        try:
            conn.execute(f"EXPLAIN {body}").fetchall()
        except sqlite3.Error:
            seen.clear()
            try:  # maybe an EXPLAIN itself (EXPLAIN EXPLAIN is a syntax error): it never writes
                conn.execute(body).fetchall()
            except (sqlite3.Error, ValueError):
                return None
            cursor = conn.execute(body)
            if cursor.description and cursor.description[0][0] in ("addr", "id"):
                return False
            return None
        except ValueError:  # NUL or several statements
            return None
        for action, name, arg2 in seen:
            arg1 = name.lower() if name else name  # pragma names as typed
            if action in WRITE_ACTIONS:
                return True
            if action == sqlite3.SQLITE_PRAGMA and (
                arg1 in ("optimize", "incremental_vacuum", "wal_checkpoint")
                or (
                    arg2 is not None
                    and arg1
                    not in (
                        "table_info",
                        "table_xinfo",
                        "index_list",
                        "index_info",
                        "index_xinfo",
                        "foreign_key_list",
                        "foreign_key_check",
                        "integrity_check",
                        "quick_check",
                    )
                )
            ):
                return True
        return False
    finally:
        conn.close()


def _junk_stops(text: str, position: int) -> list[int]:
    """Every position reachable from ``position`` over whitespace, semicolons and comments only (what the
    splitter may drop), in order; the last one is where something else starts (or the end)."""
    stops = [position]
    while position < len(text):
        if text[position].isspace() or text[position] == ";":
            position += 1
        elif text.startswith("--", position):
            cut = text.find("\n", position)
            position = len(text) if cut < 0 else cut + 1
        elif text.startswith("/*", position):
            cut = text.find("*/", position + 2)
            position = len(text) if cut < 0 else cut + 2
        else:
            break
        stops.append(position)
    return stops


def _junk(text: str) -> bool:
    return _junk_stops(text, 0)[-1] == len(text)


def _check_split(text: str) -> list[str]:
    pieces = split_statements(text)
    position = 0
    for n, piece in enumerate(pieces):
        assert piece and piece == piece.strip()
        assert not _junk(piece), piece  # no comment-only "statement" is sent to the server
        # Only whitespace, semicolons and comments were dropped before it.
        starts = [p for p in _junk_stops(text, position) if text.startswith(piece, p)]
        assert starts, (piece, text[position : position + 200])
        if n < len(pieces) - 1:
            assert sqlite3.complete_statement(piece.replace("\x00", " "))
        position = starts[0] + len(piece)
    assert _junk(text[position:]), text[position:]
    return pieces


@CASES
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(alphabet=list(";'\"`[]-/*\n\r abcSELECTBEGINEND"), max_size=120),
        st.text(alphabet=";'-*/\n x", min_size=3000, max_size=6000),
        st.lists(st.tuples(_NOISE, _statement()), max_size=5).map(
            lambda parts: ";".join(n + s for n, s in parts)
        ),
    )
)
def test_splitting_any_text_keeps_every_statement_in_order(text: str) -> None:
    _check_split(text)


@CASES
@given(
    st.lists(st.tuples(_NOISE, _statement()), min_size=1, max_size=6),
    _NOISE,
    st.booleans(),
)
def test_split_statements_come_back_whole_and_no_write_is_called_a_read(
    parts: list[tuple[str, str]], trailing: str, last_semicolon: bool
) -> None:
    text = (
        ";".join(noise + stmt for noise, stmt in parts) + (";" if last_semicolon else "") + trailing
    )
    pieces = _check_split(text)
    expected = [(noise + stmt + ";").strip() for noise, stmt in parts]
    if (
        not last_semicolon
    ):  # what follows belongs to the last statement (a comment, or a `;` inside one)
        expected[-1] = (parts[-1][0] + parts[-1][1] + trailing).strip()
    assert pieces == expected
    for piece in pieces:
        writes = _sqlite_writes(piece)
        if writes:
            assert not is_read(piece), piece


@CASES
@given(st.text(max_size=80), st.sampled_from(_WRITE_TEMPLATES), _LITERAL)
def test_arbitrary_text_is_never_a_read_when_sqlite_says_it_writes(
    junk: str, template: str, literal: str
) -> None:
    for candidate in (junk, f"/*{junk.replace('*/', '')}*/ " + template.replace("{s}", literal)):
        for piece in split_statements(candidate):
            if _sqlite_writes(piece):
                assert not is_read(piece), piece


@pytest.mark.parametrize(
    ("stmt", "read"),
    [
        ("WITH x AS (SELECT 1) INSERT INTO usage(id) SELECT * FROM x", False),
        ("with x as (select 1) delete from users", False),
        ("PRAGMA user_version = 5", False),
        ("PRAGMA user_version(5)", False),
        ("PRAGMA optimize", False),
        ("PRAGMA user_version", True),
        ("PRAGMA table_info(users);", True),
        ("WITH x AS (SELECT 1) SELECT * FROM x", True),
        ("EXPLAIN DELETE FROM users", True),
    ],
)
def test_read_classification_regressions(stmt: str, read: bool) -> None:
    """Found by the properties: WITH … INSERT/UPDATE/DELETE and value-setting PRAGMAs were called reads."""
    assert is_read(stmt) is read
    assert _sqlite_writes(stmt) is (not read)


def test_a_trailing_comment_is_not_a_statement() -> None:
    """Found by the properties: ``SELECT 1; -- note`` sent ``-- note`` to the server as a second statement."""
    assert split_statements("SELECT 1; -- note") == ["SELECT 1;"]
    assert split_statements("SELECT 1;\n-- a\n-- b") == ["SELECT 1;"]
    assert split_statements("-- only a comment") == []


def test_a_nul_or_a_long_unterminated_paste_is_split_quickly() -> None:
    """Found by the properties: a NUL made the splitter raise ValueError, and a long paste inside an unterminated
    string re-checked every ``;`` on every line (cubic: 5 s for 3,000 lines; 20,000 took far longer)."""
    assert split_statements("SELECT '\x00;'; SELECT 2") == ["SELECT '\x00;';", "SELECT 2"]
    text = "SELECT '" + ";\n" * 20_000
    started = time.perf_counter()
    assert split_statements(text) == [text.strip()]
    assert time.perf_counter() - started < 5
