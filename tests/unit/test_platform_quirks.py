"""Each Platform API quirk from turso-facts.md, and model tolerance of unknown/missing fields.

Where a quirk is about the wire, the exchange also goes through the spec validator, to show the quirk stays
within the contract (undocumented query parameters and extra response fields are allowed by the spec).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fixtures.contract import SpecValidator

from tursotui.platform import (
    Database,
    DatabaseStats,
    DatabaseUsage,
    Forbidden,
    Group,
    Organization,
    Plan,
    PlanQuotas,
    PlatformClient,
    ResponseFormatError,
    Seed,
    Subscription,
    TokenValidation,
    format_expiration,
)

TOKEN = "platform-token-0123456789abcdef"


def api_with(handler: Any, validate: bool = True) -> PlatformClient:
    transport: httpx.AsyncBaseTransport = httpx.MockTransport(handler)
    if validate:
        transport = SpecValidator.default().wrap(transport)
    return PlatformClient(TOKEN, organization="my-org", transport=transport)


# -- organizations list is a bare array ------------------------------------------------------------------------


async def test_organizations_list_is_a_bare_array() -> None:
    body = [
        {"name": "personal", "slug": "iku", "type": "personal", "plan_id": "starter"},
        {
            "name": "Team",
            "slug": "team",
            "type": "team",
            "plan_id": "scaler_overages",
            "overages": True,
        },
    ]
    async with api_with(lambda r: httpx.Response(200, json=body)) as api:
        orgs = await api.list_organizations()
    assert [o.slug for o in orgs] == ["iku", "team"]
    assert orgs[0].is_free_plan and not orgs[1].is_free_plan
    async with api_with(
        lambda r: httpx.Response(200, json={"organizations": body}), validate=False
    ) as api:
        with pytest.raises(ResponseFormatError, match="expected organization list to be an array"):
            await api.list_organizations()


# -- database list: undocumented cursor pagination, or none ----------------------------------------------------


def _db(name: str) -> dict[str, Any]:
    return {
        "Name": name,
        "DbId": f"id-{name}",
        "Hostname": f"{name}-org.turso.io",
        "group": "default",
    }


async def test_database_list_follows_cursor_pagination() -> None:
    pages = {
        None: {"databases": [_db("a"), _db("b")], "pagination": {"next": "c1"}},
        "c1": {"databases": [_db("c")], "pagination": {"next": "c2"}},
        "c2": {"databases": [_db("d")], "pagination": {"next": None}},
    }
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    async with api_with(handler) as api:
        dbs = await api.list_databases(page_size=2, group="default")
    assert [d.name for d in dbs] == ["a", "b", "c", "d"]
    assert [u.params.get("cursor") for u in seen] == [None, "c1", "c2"]
    assert all(u.params["limit"] == "2" and u.params["group"] == "default" for u in seen)


async def test_database_list_without_pagination() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"databases": [_db("a")]})

    async with api_with(handler) as api:
        assert [d.name for d in await api.list_databases()] == ["a"]
    assert (
        len(seen) == 1 and "limit" not in seen[0].url.params and "cursor" not in seen[0].url.params
    )


async def test_database_list_with_empty_next_stops() -> None:
    body = {"databases": [], "pagination": {"next": ""}}
    async with api_with(lambda r: httpx.Response(200, json=body)) as api:
        assert await api.list_databases() == []


async def test_database_list_repeated_cursor_is_an_error() -> None:
    body = {"databases": [_db("a")], "pagination": {"next": "same"}}
    async with api_with(lambda r: httpx.Response(200, json=body)) as api:
        with pytest.raises(ResponseFormatError, match="pagination cursor 'same' repeated"):
            await api.list_databases()


# -- seeds: the source under the spec's `name` and turso-cli's `value` alike (D12) -----------------------------


def test_restore_seed_names_the_source_as_the_spec_and_turso_cli_both_do() -> None:
    when = datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    seed = Seed.restore("prod", when).to_json()
    assert seed == {
        "type": "database",
        "name": "prod",  # the spec, the TS Platform SDK
        "value": "prod",  # turso-cli's DBSeed (json:"value")
        "timestamp": "2024-05-01T12:30:00Z",
    }
    assert Seed.restore("prod", "2024-05-01T12:30:00.5Z").timestamp == "2024-05-01T12:30:00.5Z"
    assert Seed.copy("prod").to_json() == {"type": "database", "name": "prod", "value": "prod"}
    assert Seed.upload().to_json() == {"type": "database_upload"}
    ms = datetime(2024, 5, 1, 12, 30, 0, 250000, tzinfo=UTC)
    assert Seed.restore("p", ms).timestamp == "2024-05-01T12:30:00.250000Z"


def test_restore_seed_refuses_naive_timestamps() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Seed.restore("prod", datetime(2024, 5, 1, 12, 30))


async def test_restore_request_is_in_contract() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200, json={"database": {"Name": "restored", "DbId": "x", "Hostname": "h"}}
        )

    async with api_with(handler) as api:
        created = await api.create_database(
            "restored", "default", seed=Seed.restore("prod", datetime(2024, 1, 1, tzinfo=UTC))
        )
    assert created.url == "libsql://h"
    seed = json.loads(sent[0].content)["seed"]
    assert seed["name"] == seed["value"] == "prod"


# -- plans: free plan `starter`, `_overages` variants, 0/null quotas = unlimited ---------------------------------


def test_plans_free_overages_and_unlimited_quotas() -> None:
    starter = Plan.from_json(
        {"name": "starter", "price": "0", "quotas": {"databases": 100, "storage": 0}}
    )
    assert (
        starter.is_free and starter.quotas.databases == 100 and starter.quotas.storage_bytes is None
    )
    scaler = Plan.from_json(
        {
            "name": "scaler_overages",
            "price": 29,
            "quotas": {"databases": None, "rowsRead": 0, "groups": 5},
        }
    )
    assert scaler.has_overages and scaler.base_name == "scaler" and not scaler.is_free
    assert scaler.price == "29"
    assert scaler.quotas.databases is None and scaler.quotas.rows_read is None
    assert scaler.quotas.groups == 5
    assert Plan.from_json({"name": "developer"}).quotas == PlanQuotas()
    assert Subscription.from_json({"plan": "starter"}).is_free
    assert Subscription.from_json({"name": "scaler"}).plan == "scaler"


# -- database usage: `total` (spec) or `usage` (CLI, TS SDK) ---------------------------------------------------


@pytest.mark.parametrize("key", ["total", "usage"])
def test_database_usage_total_under_either_name(key: str) -> None:
    data = {
        "uuid": "db",
        "instances": [{"uuid": "i1", "usage": {"rows_read": 5, "storage_bytes": 4096}}],
        key: {"rows_read": 7, "rows_written": 3, "storage_bytes": 8192, "bytes_synced": 11},
    }
    usage = DatabaseUsage.from_json(data)
    assert (usage.total.rows_read, usage.total.rows_written) == (7, 3)
    assert (usage.total.storage_bytes, usage.total.bytes_synced) == (8192, 11)
    assert usage.instances[0].usage.rows_read == 5


def test_database_usage_without_total_sums_rows_and_counts_storage_once() -> None:
    data = {
        "uuid": "db",
        "instances": [
            {"uuid": "i1", "usage": {"rows_read": 5, "storage_bytes": 4096}},
            {"uuid": "i2", "usage": {"rows_read": 1, "storage_bytes": 4000}},
            {"uuid": "i3"},
        ],
    }
    usage = DatabaseUsage.from_json(data)
    # Every instance holds the same database: its size is not multiplied by the replicas.
    assert (usage.total.rows_read, usage.total.storage_bytes) == (6, 4096)


async def test_database_usage_with_cli_shape_passes_contract() -> None:
    body = {"database": {"uuid": "db", "instances": [], "usage": {"rows_read": 9}}}
    async with api_with(lambda r: httpx.Response(200, json=body)) as api:
        usage = await api.database_usage("my-db")
    assert usage.total.rows_read == 9


# -- stats: top_queries may be null ----------------------------------------------------------------------------


async def test_stats_top_queries_null() -> None:
    async with api_with(lambda r: httpx.Response(200, json={"top_queries": None})) as api:
        assert await api.database_stats("my-db") == DatabaseStats(top_queries=())


# -- error bodies with an optional code -------------------------------------------------------------------------


async def test_error_body_with_and_without_code() -> None:
    bodies = iter(
        [
            {"error": "not on the free plan", "code": "feature_not_available_for_starter_plan"},
            {"error": "forbidden"},
        ]
    )
    async with api_with(lambda r: httpx.Response(403, json=next(bodies)), validate=False) as api:
        with pytest.raises(Forbidden) as first:
            await api.list_groups()
        with pytest.raises(Forbidden) as second:
            await api.list_groups()
    assert first.value.code == "feature_not_available_for_starter_plan"
    assert (second.value.code, second.value.message) == (None, "forbidden")


# -- model tolerance ---------------------------------------------------------------------------------------------


def test_database_tolerates_cli_fields_case_variants_and_unknown_fields() -> None:
    db = Database.from_json(
        {
            "name": "legacy",
            "dbId": "abc",
            "hostname": "legacy-org.turso.io",
            "primaryRegion": "iad",
            "regions": ["iad", "fra", "nrt"],
            "type": "logical",
            "version": "0.24.32",
            "sleeping": True,
            "archived": False,
            "allow_attach": True,
            "schema": "parent-schema",
            "is_schema": False,
            "block_reads": True,
            "something_new": {"nested": [1, 2]},
        }
    )
    assert (db.name, db.db_id, db.hostname) == ("legacy", "abc", "legacy-org.turso.io")
    assert db.regions == ("iad", "fra", "nrt")  # the old short location codes still appear
    assert (db.type, db.version, db.sleeping, db.allow_attach) == ("logical", "0.24.32", True, True)
    assert db.schema == "parent-schema" and db.block_reads and db.delete_protection is None
    assert db.parent is None


def test_models_default_missing_optional_fields() -> None:
    assert Database.from_json({"Name": "x"}) == Database(name="x")
    assert Organization.from_json({"slug": "o"}).type == ""
    group = Group.from_json(
        {"name": "g", "primary": "aws-us-east-1", "locations": ["aws-us-east-1"]}
    )
    assert group.replicas == ()
    with pytest.raises(ResponseFormatError, match=r"expected database.regions\[1\] to be a string"):
        Database.from_json({"Name": "x", "regions": ["a", 2]})


def test_token_validation_never_expires() -> None:
    assert TokenValidation.from_json({"exp": -1}).expires_at is None
    assert TokenValidation.from_json({}).never_expires
    assert TokenValidation.from_json({"exp": 1700000000}).expires_at == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )


def test_format_expiration() -> None:
    assert format_expiration("never") == "never"
    assert format_expiration("2w1d30m") == "2w1d30m"
    assert format_expiration(timedelta(days=15, minutes=30)) == "15d30m"
    assert format_expiration(timedelta(hours=1, seconds=5)) == "1h5s"
    with pytest.raises(ValueError):
        format_expiration(timedelta(0))
    with pytest.raises(ValueError):
        format_expiration(" ")


async def test_invalid_authorization_rejected_by_contract() -> None:
    """The validator itself catches what the spec forbids (here an unknown authorization level)."""
    validator = SpecValidator.default()
    request = httpx.Request(
        "POST",
        "https://api.turso.tech/v1/organizations/o/databases/d/auth/tokens?authorization=admin",
        headers={"Authorization": "Bearer t"},
    )
    assert any("authorization" in e for e in validator.request_errors(request))


# -- the package never imports textual ---------------------------------------------------------------------------


def test_platform_does_not_import_textual() -> None:
    code = (
        "import sys, tursotui.platform, tursotui.platform.client; "
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
