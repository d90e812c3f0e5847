"""Properties of ops/fleet.py: top N equals the head of a full sort, a filter only narrows, any text parses
or is refused with InputError."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tursotui.ops.errors import InputError
from tursotui.ops.fleet import (
    FleetQuery,
    FleetRow,
    SortKey,
    TopN,
    arrange,
    parse_filter,
    sort_rows,
)

words = st.text(alphabet="abcdeu-1:=", min_size=1, max_size=6)
usage = st.none() | st.integers(min_value=0, max_value=10**12)
rows = st.lists(
    st.builds(
        FleetRow,
        name=st.text(alphabet="abcde-0123", min_size=1, max_size=8),
        group=st.sampled_from(["", "prod", "eu", "default"]),
        location=st.sampled_from(["", "aws-eu-west-1", "aws-us-east-1"]),
        size=usage,
        rows_read=usage,
        rows_written=usage,
    ),
    max_size=40,
)


@given(rows, st.integers(min_value=1, max_value=50), st.sampled_from(list(SortKey)))
def test_top_n_is_the_head_of_the_full_sort(fleet: list[FleetRow], n: int, key: SortKey) -> None:
    top = TopN(n, key)
    top.extend(fleet)
    expected = sort_rows(fleet, key)[:n]
    got = top.result()
    assert [(r.name, key.value_of(r)) for r in got] == [(r.name, key.value_of(r)) for r in expected]


@given(st.lists(words, max_size=4).map(" ".join), rows)
def test_any_filter_text_parses_or_is_refused(text: str, fleet: list[FleetRow]) -> None:
    try:
        query = FleetQuery(parse_filter(text))
    except InputError as exc:
        assert exc.message.startswith("filter word '")  # names the word
        return
    got = arrange(fleet, query)
    assert got.total == len(fleet)
    assert got.matching == len(got.rows) <= len(fleet)
    assert all(query.filter.matches(row) for row in got.rows)
    # adding a word only narrows
    narrower = parse_filter(text + " a")
    assert {r.name for r in narrower(fleet)} <= {r.name for r in query.filter(fleet)}


@given(rows, st.sampled_from(list(SortKey)))
def test_a_sort_keeps_every_row_with_unknown_values_last(
    fleet: list[FleetRow], key: SortKey
) -> None:
    ordered = sort_rows(fleet, key)
    assert sorted(map(id, ordered)) == sorted(map(id, fleet))
    known = [key.value_of(r) is not None for r in ordered]
    if key is not SortKey.NAME:
        assert known == sorted(known, reverse=True)
