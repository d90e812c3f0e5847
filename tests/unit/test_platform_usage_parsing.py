"""The organization's usage read fast (10,000 databases on each full refresh) and still checked: the fast path
of plain integers gives what the checked reading gives, anything else is read (or named) field by field, and a
database's instances are read when first asked for, with the field named then."""

from __future__ import annotations

import copy
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from tursotui.platform import DatabaseUsage, OrganizationUsage, UsageCounters
from tursotui.platform.errors import ResponseFormatError


def org(databases: object) -> dict[str, Any]:
    return {"uuid": "o1", "usage": {"rows_read": 3, "databases": 2}, "databases": databases}


def test_plain_and_checked_readings_agree() -> None:
    plain = {"rows_read": 7, "rows_written": 3, "storage_bytes": 8192}
    odd = {"rows_read": 7.0, "rows_written": 3, "storage_bytes": 8192.0, "bytes_synced": None}
    assert (
        UsageCounters.from_json(plain)
        == UsageCounters.from_json(odd)
        == UsageCounters(7, 3, 8192, 0)
    )


@pytest.mark.parametrize(
    ("database", "named"),
    [
        ({"uuid": 5}, "organization.databases[0].uuid to be a string, got number"),
        (
            {"uuid": "d", "total": {"rows_read": "9"}},
            "databases[0].total.rows_read to be an integer",
        ),
        (
            {"uuid": "d", "usage": {"rows_read": True}},
            "databases[0].usage.rows_read to be an integer",
        ),
        ({"uuid": "d", "total": []}, "databases[0].total to be an object, got array"),
        ({"uuid": "d", "instances": {}}, "databases[0].instances to be an array, got object"),
        ("d", "organization.databases[0] to be an object, got string"),
    ],
)
def test_a_bad_database_is_named(database: object, named: str) -> None:
    with pytest.raises(ResponseFormatError, match="expected") as caught:
        OrganizationUsage.from_json(org([database]))
    assert named in str(caught.value)


def test_databases_not_a_list_is_named() -> None:
    with pytest.raises(ResponseFormatError, match=r"organization\.databases to be an array"):
        OrganizationUsage.from_json(org({"d": 1}))


def test_instances_are_read_when_asked_and_named_then() -> None:
    bad = {"uuid": "i1", "usage": {"rows_read": "x"}}
    usage = OrganizationUsage.from_json(
        org([{"uuid": "d", "total": {"rows_read": 4}, "instances": [bad]}])
    )
    (db,) = usage.databases
    assert db.total == UsageCounters(rows_read=4)
    with pytest.raises(ResponseFormatError) as caught:
        db.instances  # noqa: B018
    assert "organization.databases[0].instances[0].usage.rows_read to be an integer" in str(
        caught.value
    )
    # read alone (GET …/databases/{db}/usage), everything is checked at once
    with pytest.raises(ResponseFormatError, match=r"instances\[0\]\.usage\.rows_read"):
        DatabaseUsage.from_json({"uuid": "d", "total": {"rows_read": 4}, "instances": [bad]})


def test_a_database_without_a_total_is_summed_from_its_instances_at_once() -> None:
    instances = [
        {"uuid": "i1", "usage": {"rows_read": 5, "storage_bytes": 4096}},
        {"uuid": "i2", "usage": {"rows_read": 1, "storage_bytes": 4000}},
    ]
    (db,) = OrganizationUsage.from_json(org([{"uuid": "d", "instances": instances}])).databases
    assert (db.total.rows_read, db.total.storage_bytes) == (6, 4096)
    assert [i.uuid for i in db.instances] == ["i1", "i2"]


def test_database_usage_is_a_value() -> None:
    data = {
        "uuid": "d",
        "total": {"rows_read": 2},
        "instances": [{"uuid": "i", "usage": {"rows_read": 2}}],
    }
    lazy = OrganizationUsage.from_json(org([data])).databases[0]
    eager = DatabaseUsage.from_json(data)
    assert lazy == eager and hash(lazy) == hash(eager) and lazy != DatabaseUsage("d")
    assert copy.deepcopy(lazy) == eager
    assert "InstanceUsage(uuid='i'" in repr(lazy)
    with pytest.raises(FrozenInstanceError):
        lazy.uuid = "other"  # type: ignore[misc]
    assert DatabaseUsage("d").instances == () and DatabaseUsage("d").total == UsageCounters()
