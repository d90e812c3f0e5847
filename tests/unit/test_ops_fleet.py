"""ops/fleet.py: the filter words, the sort keys, top N, the count text and the selection."""

from __future__ import annotations

import pytest

from tursotui.ops.errors import InputError
from tursotui.ops.fleet import (
    FleetQuery,
    FleetRow,
    Selection,
    SortKey,
    TopN,
    arrange,
    count_text,
    fleet_rows,
    parse_filter,
    parse_sort,
    sort_rows,
    top_n,
)
from tursotui.platform import Database, UsageCounters

ROWS = [
    FleetRow("tenant-00001", "prod-eu", "aws-eu-west-1", 4096, 900, 10),
    FleetRow("tenant-00002", "prod-us", "aws-us-east-1", 8192, 50, 70),
    FleetRow("analytics", "default", "aws-us-west-2", None, None, None),
    FleetRow("tenant-eu-7", "staging", "aws-us-east-1", 100, 1000, 0),
]


def names(rows: list[FleetRow]) -> list[str]:
    return [row.name for row in rows]


def test_a_bare_word_matches_name_group_or_location_case_insensitively() -> None:
    assert names(list(parse_filter("EU")(ROWS))) == ["tenant-00001", "tenant-eu-7"]
    assert names(list(parse_filter("west-2")(ROWS))) == ["analytics"]
    assert names(list(parse_filter("")(ROWS))) == names(ROWS)


def test_field_words_and_exclusions_and_exact_values() -> None:
    assert names(list(parse_filter("group:prod")(ROWS))) == ["tenant-00001", "tenant-00002"]
    assert names(list(parse_filter("loc:us-east -group:staging")(ROWS))) == ["tenant-00002"]
    assert names(list(parse_filter("group:=prod")(ROWS))) == []
    assert names(list(parse_filter("group:=PROD-EU")(ROWS))) == ["tenant-00001"]
    assert names(list(parse_filter("name:tenant location:eu")(ROWS))) == ["tenant-00001"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("grop:prod", "unknown field 'grop'"),
        ("group:", "no value after group:"),
        ("loc:=", "no value after loc:"),
        ("- tenant", "nothing to exclude"),
    ],
)
def test_a_bad_filter_word_is_named(text: str, said: str) -> None:
    with pytest.raises(InputError, match=said) as caught:
        parse_filter(text)
    assert caught.value.exit_code == 2


def test_sort_keys_largest_first_with_unknown_last_and_ties_by_name() -> None:
    assert names(sort_rows(ROWS, SortKey.NAME)) == [
        "analytics",
        "tenant-00001",
        "tenant-00002",
        "tenant-eu-7",
    ]
    assert names(sort_rows(ROWS, SortKey.SIZE)) == [
        "tenant-00002",
        "tenant-00001",
        "tenant-eu-7",
        "analytics",
    ]
    assert names(sort_rows(ROWS, SortKey.ROWS_WRITTEN))[:2] == ["tenant-00002", "tenant-00001"]
    assert names(sort_rows(ROWS, SortKey.USAGE))[:2] == ["tenant-eu-7", "tenant-00001"]
    assert parse_sort("rows_read") is SortKey.ROWS_READ
    assert SortKey.USAGE.next() is SortKey.NAME


def test_an_unknown_sort_names_the_choices() -> None:
    with pytest.raises(InputError, match="expected one of name, size, rows-read, rows-written"):
        parse_sort("biggest")


def test_top_n_keeps_only_n_and_matches_a_full_sort() -> None:
    assert names(top_n(ROWS, 2, SortKey.ROWS_READ)) == ["tenant-eu-7", "tenant-00001"]
    top = TopN(1, SortKey.NAME)
    top.extend(ROWS)
    assert names(top.result()) == ["analytics"] and top.seen == 4
    with pytest.raises(InputError, match="at least 1"):
        TopN(0, SortKey.NAME)
    with pytest.raises(InputError, match="at least 1"):
        FleetQuery(limit=0)


def test_arrange_counts_what_matches_and_describes_it() -> None:
    query = FleetQuery(parse_filter("tenant"), SortKey.SIZE, limit=2)
    got = arrange(ROWS, query)
    assert (names(got.rows), got.matching, got.total) == (
        ["tenant-00002", "tenant-00001"],
        3,
        4,
    )
    assert query.describe(2, 3, 4) == "top 2 of 3 matching (4 in all) · by size · filter tenant"
    assert count_text(312, 312, 10_000) == "312 of 10,000"
    assert count_text(10_000, 10_000, 10_000) == "10,000 databases"
    assert count_text(1, 1, 1) == "1 database"


def test_rows_from_databases_and_usage() -> None:
    dbs = [
        Database(name="a", group="g", primary_region="fra", delete_protection=True),
        Database(name="b"),
    ]
    rows = fleet_rows(dbs, {"a": UsageCounters(rows_read=3, rows_written=4, storage_bytes=9)})
    assert rows[0] == FleetRow("a", "g", "fra", 9, 3, 4, True, synced=0)
    assert rows[1].usage is None and rows[0].usage == 7


def test_selection_by_key() -> None:
    selection = Selection()
    assert selection.toggle("b") and selection.toggle("a") and not selection.toggle("b")
    selection.select(["c", "d"])
    assert list(selection) == ["a", "c", "d"] and "c" in selection
    assert selection.retain(["a", "d", "zz"]) == 1
    assert names(selection.chosen(ROWS)) == []
    selection.select(["analytics"])
    assert names(selection.chosen(ROWS)) == ["analytics"] and len(selection) == 3
    selection.unselect(["a"])
    selection.clear()
    assert len(selection) == 0


def test_without_a_sort_rows_keep_the_order_listed_and_top_n_is_the_first_n() -> None:
    got = arrange(ROWS, FleetQuery(parse_filter("tenant")))
    assert names(got.rows) == ["tenant-00001", "tenant-00002", "tenant-eu-7"]
    cut = arrange(ROWS, FleetQuery(limit=2))
    assert names(cut.rows) == ["tenant-00001", "tenant-00002"] and cut.matching == 4
    assert FleetQuery(limit=2).describe(2, 4, 4) == "top 2 of 4"
