"""Properties of the SQL console's free-text inputs: any editor text or script splits without failing into
statements found where their line says; optional result metadata of any JSON shape never fails a query;
any typed database URL is either read or refused with InvalidUrlError, never another error."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tursotui.libsql import InvalidUrlError, ResultSet, parse_database_url
from tursotui.ops.sql.statements import split_statements, split_with_lines

SQLISH = st.text(
    alphabet=st.sampled_from(list("abc ;'\"\n-/*()BEGINDTRCASE\x00é")) | st.characters(),
    max_size=200,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
OPTIONAL_FIELDS = (
    "replication_index",
    "rows_read",
    "rows_written",
    "query_duration_ms",
    "last_insert_rowid",
    "affected_row_count",
)


@settings(max_examples=300, deadline=None)
@given(SQLISH)
def test_any_text_splits_into_statements_found_at_their_line(text: str) -> None:
    found = split_with_lines(text)
    assert [stmt for stmt, _ in found] == split_statements(text)
    lines = text.split("\n")
    position = 0
    for stmt, line in found:
        assert 1 <= line <= len(lines)
        assert stmt and stmt == stmt.strip()
        at = text.find(stmt, position)
        assert at >= 0, "each statement is a piece of the text, in order"
        assert text.count("\n", 0, at) + 1 <= line
        position = at + len(stmt)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(OPTIONAL_FIELDS), JSON))
def test_optional_metadata_of_any_shape_never_fails_a_query(fields: dict[str, Any]) -> None:
    result = ResultSet.from_hrana({"cols": [], "rows": [], **fields})
    for name in ("replication_index", "rows_read", "rows_written", "last_insert_rowid"):
        value = getattr(result, name)
        assert value is None or isinstance(value, int)
    assert isinstance(result.affected_row_count, int)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["turso://", "libsql://", "https://", "http://", "ws://", "", "ftp://"])
    | st.text(max_size=10),
    st.text(max_size=40),
)
def test_any_url_is_read_or_refused_clearly(scheme: str, rest: str) -> None:
    try:
        parsed = parse_database_url(scheme + rest)
    except InvalidUrlError as exc:
        assert str(exc)
        return
    assert parsed.base_url.startswith(("https://", "http://"))
    assert "?" not in parsed.base_url, "the query (a token in it) never stays in the base URL"
