"""Contract tests: every PlatformClient method against the Platform API OpenAPI spec (openapi-core).

For each method, a MockTransport handler validates the request the client built against the spec, checks it
hit the expected operation, answers with the spec's OWN example body for that operation (see
``SpecValidator.example_response``: media-type example, schema example, or assembled from property examples),
validates that response too, and the test asserts the client parsed it into the right typed values.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fixtures.contract import Example, SpecValidator

from tursotui.platform import (
    CreatedApiToken,
    DatabaseToken,
    PlatformClient,
    Seed,
)
from tursotui.platform.local_ext import LocalExtensions

TOKEN = "platform-token-0123456789abcdef"
ORG = "my-org"


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return SpecValidator.default()


class ContractServer:
    """A MockTransport handler answering one spec operation with the spec's example, validating both ways."""

    def __init__(
        self,
        validator: SpecValidator,
        operation_id: str,
        *,
        body: Any = None,
        status: int = 200,
    ) -> None:
        self.validator = validator
        self.operation_id = operation_id
        self.example: Example = validator.example_response(operation_id, str(status))
        self.body = self.example.body if body is None else body
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.validator.validate_request(request)
        assert self.validator.operation_id(request) == self.operation_id
        if self.body is None:
            response = httpx.Response(self.status)
        else:
            response = httpx.Response(self.status, json=self.body)
        self.validator.validate_response(request, response)
        return response

    @property
    def request(self) -> httpx.Request:
        assert len(self.requests) == 1, [str(r.url) for r in self.requests]
        return self.requests[0]

    def json_sent(self) -> Any:
        return json.loads(self.request.content)


@pytest.fixture
async def serve(validator: SpecValidator) -> AsyncIterator[Any]:
    clients: list[PlatformClient] = []

    def make(operation_id: str, **kwargs: Any) -> tuple[PlatformClient, ContractServer]:
        server = ContractServer(validator, operation_id, **kwargs)
        client = PlatformClient(TOKEN, organization=ORG, transport=httpx.MockTransport(server))
        clients.append(client)
        return client, server

    yield make
    for client in clients:
        await client.aclose()


# -- the map every client method must be in --------------------------------------------------------------------

OPERATIONS = {
    "list_organizations": "listOrganizations",
    "get_organization": "getOrganization",
    "list_locations": "listLocations",
    "closest_region": None,  # https://region.turso.io is not part of the spec (checked in test_closest_region)
    "list_databases": "listDatabases",
    "create_database": "createDatabase",
    "get_database": "getDatabase",
    "delete_database": "deleteDatabase",
    "get_database_configuration": "getDatabaseConfiguration",
    "update_database_configuration": "updateDatabaseConfiguration",
    "list_instances": "listDatabaseInstances",
    "get_instance": "getDatabaseInstance",
    "database_usage": "getDatabaseUsage",
    "database_stats": "getDatabaseStats",
    "database_queries": None,  # turso-cli's GET …/usage/queries: not in the spec (test_database_queries)
    "wakeup_database": None,  # turso-cli's POST …/wakeup: not in the spec (test_wakeup_database)
    "upload_dump": None,  # turso-cli's POST …/databases/dumps: not in the spec (test_upload_dump)
    "create_database_token": "createDatabaseToken",
    "rotate_database_tokens": "invalidateDatabaseTokens",
    "list_groups": "listGroups",
    "get_group": "getGroup",
    "create_group": "createGroup",
    "delete_group": "deleteGroup",
    "add_location": "addLocationToGroup",
    "remove_location": "removeLocationFromGroup",
    "unarchive_group": "unarchiveGroup",
    "create_group_token": "createGroupToken",
    "rotate_group_tokens": "invalidateGroupTokens",
    "organization_usage": "getOrganizationUsage",
    "list_plans": "listOrganizationPlans",
    "get_subscription": "getOrganizationSubscription",
    "validate_token": "validateAPIToken",
    "list_api_tokens": "listAPITokens",
    "create_api_token": "createAPIToken",
    "revoke_api_token": "revokeAPIToken",
    "list_audit_logs": "listOrganizationAuditLogs",
}


def test_every_client_method_has_a_contract_test() -> None:
    public = {
        name
        for name, member in inspect.getmembers(PlatformClient)
        if not name.startswith("_") and inspect.iscoroutinefunction(member) and name != "aclose"
    }
    # The local Turso's own endpoints are not Platform API operations (tests/integration/test_local_api.py).
    public -= {name for name in vars(LocalExtensions) if not name.startswith("_")}
    assert public
    assert public == set(OPERATIONS)
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(OPERATIONS) <= tested


def test_operation_map_matches_the_spec(validator: SpecValidator) -> None:
    ids = set(validator.operation_ids())
    assert {op for op in OPERATIONS.values() if op} <= ids


@pytest.mark.parametrize("operation_id", SpecValidator.default().operation_ids())
def test_spec_example_satisfies_its_own_schema(validator: SpecValidator, operation_id: str) -> None:
    """Every operation's 200 example (as assembled from the spec) validates against the spec itself."""
    method, template, _ = validator.operation(operation_id)
    path = re.sub(r"\{[^}]+\}", "x", template)
    request = httpx.Request(
        method, f"https://api.turso.tech{path}", headers={"Authorization": "Bearer t"}
    )
    example = validator.example_response(operation_id)
    if example.body is None:
        response = httpx.Response(200)
    else:
        response = httpx.Response(200, json=example.body)
    validator.validate_response(request, response)


# -- organizations and regions ---------------------------------------------------------------------------------


async def test_list_organizations(serve: Any) -> None:
    api, server = serve("listOrganizations")
    orgs = await api.list_organizations()
    (expected,) = server.body
    assert isinstance(server.body, list)  # the spec's bare array
    assert len(orgs) == 1
    org = orgs[0]
    assert (org.name, org.slug, org.type) == (expected["name"], expected["slug"], expected["type"])
    assert (org.name, org.slug, org.type) == ("personal", "iku", "personal")
    assert org.plan_id == "developer" and org.plan_timeline == "monthly"
    assert org.overages is False and org.blocked_reads is False and org.blocked_writes is False
    assert org.platform == "vercel" and org.require_mfa is False
    assert server.request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_get_organization(serve: Any) -> None:
    api, server = serve("getOrganization")
    org = await api.get_organization()
    assert org.slug == server.body["organization"]["slug"] == "iku"
    assert server.request.url.path == f"/v1/organizations/{ORG}"
    other = await api.get_organization("other-org")
    assert other.slug == "iku"
    assert server.requests[1].url.path == "/v1/organizations/other-org"


async def test_list_locations(serve: Any) -> None:
    api, server = serve("listLocations")
    locations = await api.list_locations()
    assert server.example.source == "schema example"
    assert locations == server.body["locations"]
    assert locations["aws-us-east-1"] == "AWS US East (Virginia)"


async def test_closest_region(validator: SpecValidator) -> None:
    """Not on api.turso.tech and not in the spec: no token goes there, and the validator knows no such op."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"server": "aws-eu-west-1", "client": "aws-eu-west-1"})

    async with PlatformClient(TOKEN, transport=httpx.MockTransport(handler)) as api:
        region = await api.closest_region()
    assert (region.server, region.client) == ("aws-eu-west-1", "aws-eu-west-1")
    assert str(seen[0].url) == "https://region.turso.io"
    assert "Authorization" not in seen[0].headers
    assert validator.operation_id(seen[0]) is None


# -- databases -------------------------------------------------------------------------------------------------


async def test_list_databases(serve: Any) -> None:
    api, server = serve("listDatabases")
    databases = await api.list_databases()
    expected = server.body["databases"][0]
    assert server.example.synthesized == (
        "$.databases[0].parent.id",
        "$.databases[0].parent.name",
    )
    (db,) = databases
    assert db.name == expected["Name"] == "my-db"
    assert db.db_id == "0eb771dd-6906-11ee-8553-eaa7715aeaf2"
    assert db.hostname == "[databaseName]-[organizationSlug].turso.io"
    assert db.primary_region == "aws-us-east-1" and db.regions == ("aws-us-east-1",)
    assert db.group == "default"
    assert (db.block_reads, db.block_writes, db.delete_protection) == (False, False, False)
    assert db.parent is not None
    assert db.parent.branched == datetime(2025, 4, 15, 13, 14, 34, 468213, tzinfo=UTC)
    assert db.url == "libsql://[databaseName]-[organizationSlug].turso.io"


async def test_list_databases_with_filters(serve: Any) -> None:
    api, server = serve("listDatabases")
    await api.list_databases(group="default", parent="0eb771dd")
    assert server.request.url.params["group"] == "default"
    assert server.request.url.params["parent"] == "0eb771dd"


async def test_create_database(serve: Any) -> None:
    api, server = serve("createDatabase")
    created = await api.create_database(
        "restored",
        "default",
        seed=Seed.restore("my-db", datetime(2023, 12, 20, 9, 46, 8, tzinfo=UTC)),
        size_limit=256 * 1024 * 1024,
    )
    assert server.json_sent() == {
        "name": "restored",
        "group": "default",
        "seed": {
            "type": "database",
            "name": "my-db",
            "value": "my-db",
            "timestamp": "2023-12-20T09:46:08Z",
        },
        "size_limit": "268435456",
    }
    assert created.name == "my-db"
    assert created.db_id == "0eb771dd-6906-11ee-8553-eaa7715aeaf2"
    assert created.hostname == server.body["database"]["Hostname"]


async def test_create_database_for_upload(serve: Any) -> None:
    api, server = serve("createDatabase")
    await api.create_database("imported", "default", seed=Seed.upload())
    assert server.json_sent()["seed"] == {"type": "database_upload"}


async def test_create_database_with_remote_encryption(serve: Any) -> None:
    api, server = serve("createDatabase")
    encryption = {
        "encryption_key": "a2V5LWtleS1rZXkta2V5LWtleS1rZXkta2V5LWtleS0=",
        "encryption_cipher": "aes256gcm",
    }
    await api.create_database("vault", "default", remote_encryption=encryption)
    assert server.json_sent() == {
        "name": "vault",
        "group": "default",
        "remote_encryption": encryption,
    }


async def test_get_database(serve: Any) -> None:
    api, server = serve("getDatabase")
    db = await api.get_database("my-db")
    assert server.request.url.path == f"/v1/organizations/{ORG}/databases/my-db"
    assert db.name == "my-db" and db.group == "default"
    assert db.delete_protection is False


async def test_delete_database(serve: Any) -> None:
    api, server = serve("deleteDatabase")
    assert await api.delete_database("my-db") == "my-db"
    assert server.request.method == "DELETE"


async def test_get_database_configuration(serve: Any) -> None:
    api, _ = serve("getDatabaseConfiguration")
    config = await api.get_database_configuration("my-db")
    assert config.size_limit == "10000"
    assert config.allow_attach is True and config.delete_protection is True
    assert (config.block_reads, config.block_writes) == (False, False)
    assert config.allowed_ips == ("203.0.113.7", "10.0.0.0/8")
    assert config.allowed_aws_vpc_ids == ("vpce-0fe6c8807461bba49",)


async def test_update_database_configuration(serve: Any) -> None:
    api, server = serve("updateDatabaseConfiguration")
    config = await api.update_database_configuration(
        "my-db", delete_protection=True, block_writes=False, allowed_ips=[], size_limit="1gb"
    )
    assert server.request.method == "PATCH"
    assert server.json_sent() == {
        "size_limit": "1gb",
        "block_writes": False,
        "delete_protection": True,
        "allowed_ips": [],
    }
    assert config.delete_protection is True


async def test_list_instances(serve: Any) -> None:
    api, server = serve("listDatabaseInstances")
    (instance,) = await api.list_instances("my-db")
    assert instance.uuid == "0be90471-6906-11ee-8553-eaa7715aeaf2"
    assert (instance.name, instance.region, instance.type) == ("aws-us-east-1",) * 2 + ("primary",)
    assert instance.is_primary
    assert instance.hostname == server.body["instances"][0]["hostname"]


async def test_get_instance(serve: Any) -> None:
    api, server = serve("getDatabaseInstance")
    instance = await api.get_instance("my-db", "aws-us-east-1")
    assert server.request.url.path.endswith("/databases/my-db/instances/aws-us-east-1")
    assert instance.name == "aws-us-east-1" and instance.is_primary


async def test_database_usage(serve: Any) -> None:
    api, server = serve("getDatabaseUsage")
    usage = await api.database_usage(
        "my-db",
        datetime(2023, 1, 1, tzinfo=UTC),
        "2023-02-01T00:00:00Z",
    )
    assert server.request.url.params["from"] == "2023-01-01T00:00:00Z"
    assert server.request.url.params["to"] == "2023-02-01T00:00:00Z"
    assert "total" in server.body["database"]  # the spec's name for the total
    assert usage.uuid == "0eb771dd-6906-11ee-8553-eaa7715aeaf2"
    assert [i.uuid for i in usage.instances] == [
        "cd831986-94e5-11ee-a6fe-7a52e1f7759a",
        "0be90471-6906-11ee-8553-eaa7715aeaf2",
    ]
    assert usage.instances[0].usage.storage_bytes == 4096
    assert usage.total.storage_bytes == 8192
    assert (usage.total.rows_read, usage.total.rows_written, usage.total.bytes_synced) == (0, 0, 0)


async def test_database_stats(serve: Any) -> None:
    api, _ = serve("getDatabaseStats")
    stats = await api.database_stats("my-db")
    (query,) = stats.top_queries
    assert query.query.startswith("SELECT COUNT(*), CustomerID FROM Orders")
    assert (query.rows_read, query.rows_written) == (123, 4567)


async def test_database_queries(validator: SpecValidator) -> None:
    """turso-cli's shape: a bare array of the spec's DatabaseStatsOutput; ``count``/``elapsed_ms`` when sent."""
    example = validator.example_response("getDatabaseStats").body["top_queries"][0]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        timed = {
            "query": "select 1",
            "rows_read": 1,
            "rows_written": 0,
            "count": 4,
            "elapsed_ms": 2,
        }
        return httpx.Response(200, content=json.dumps([example, timed] if len(seen) == 1 else None))

    async with PlatformClient(
        TOKEN, organization=ORG, transport=httpx.MockTransport(handler)
    ) as api:
        plain, timed = await api.database_queries("my-db", from_=datetime(2026, 12, 4, tzinfo=UTC))
        assert await api.database_queries("my-db") == []  # null: none
    assert (plain.rows_read, plain.rows_written, plain.count, plain.mean_ms) == (
        123,
        4567,
        None,
        None,
    )
    assert (timed.count, timed.elapsed_ms, timed.mean_ms) == (4, 2.0, 0.5)
    assert seen[0].url.path == f"/v1/organizations/{ORG}/databases/my-db/usage/queries"
    assert seen[0].url.params["from"] == "2026-12-04T00:00:00Z"
    assert validator.operation_id(seen[0]) is None  # not a spec operation


async def test_wakeup_database(validator: SpecValidator) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async with PlatformClient(
        TOKEN, organization=ORG, transport=httpx.MockTransport(handler)
    ) as api:
        await api.wakeup_database("my-db")
    assert (seen[0].method, seen[0].url.path) == (
        "POST",
        f"/v1/organizations/{ORG}/databases/my-db/wakeup",
    )
    assert validator.operation_id(seen[0]) is None


async def test_upload_dump(validator: SpecValidator, tmp_path: Any) -> None:
    """turso-cli's ``UploadDump``: the dump as the multipart field ``file``, ``{"dump_url"}`` back."""
    seen: list[httpx.Request] = []
    dump = tmp_path / "data.sql"
    dump.write_text("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCOMMIT;\n")

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"dump_url": "https://dumps.example/abc"})

    async with PlatformClient(
        TOKEN, organization=ORG, transport=httpx.MockTransport(handler)
    ) as api:
        assert await api.upload_dump(dump) == "https://dumps.example/abc"
    request = seen[0]
    assert (request.method, request.url.path) == (
        "POST",
        f"/v1/organizations/{ORG}/databases/dumps",
    )
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.read()
    assert b'name="file"' in body and b"BEGIN TRANSACTION;" in body
    assert validator.operation_id(request) is None


async def test_create_database_token(serve: Any) -> None:
    jwt = "eyJhbGciOiJFZERTQSJ9.e30.signature-part"
    api, server = serve("createDatabaseToken", body={"jwt": jwt})
    assert server.example.synthesized == ("$.jwt",)  # the spec has no example JWT
    token = await api.create_database_token(
        "my-db", expiration="2w1d30m", authorization="read-only"
    )
    assert isinstance(token, DatabaseToken) and token.jwt == jwt
    assert jwt not in repr(token)
    assert server.request.url.params["expiration"] == "2w1d30m"
    assert server.request.url.params["authorization"] == "read-only"
    assert server.request.content == b""


async def test_create_database_token_with_read_attach(serve: Any) -> None:
    api, server = serve("createDatabaseToken")
    token = await api.create_database_token("my-db", read_attach=["other-db"])
    assert token.jwt == "string"  # the synthesized placeholder
    assert server.request.url.params["expiration"] == "never"
    assert server.json_sent() == {"permissions": {"read_attach": {"databases": ["other-db"]}}}


async def test_rotate_database_tokens(serve: Any) -> None:
    api, server = serve("invalidateDatabaseTokens")
    assert server.example.source == "no content"
    assert await api.rotate_database_tokens("my-db") is None
    assert server.request.method == "POST"


# -- groups ----------------------------------------------------------------------------------------------------


async def test_list_groups(serve: Any) -> None:
    api, _ = serve("listGroups")
    (group,) = await api.list_groups()
    assert group.name == "default"
    assert group.uuid == "0a28102d-6906-11ee-8553-eaa7715aeaf2"
    assert group.locations == ("aws-us-east-1",)
    assert group.primary == "us-east-1"  # sic: the spec's example mixes old and new location codes
    assert group.version == "v0.23.7" and group.delete_protection is False


async def test_get_group(serve: Any) -> None:
    api, server = serve("getGroup")
    group = await api.get_group("default")
    assert server.request.url.path == f"/v1/organizations/{ORG}/groups/default"
    assert group.name == "default"


async def test_create_group(serve: Any) -> None:
    api, server = serve("createGroup")
    group = await api.create_group("new-group", "aws-us-east-1", extensions="all")
    assert server.json_sent() == {
        "name": "new-group",
        "location": "aws-us-east-1",
        "extensions": "all",
    }
    assert group.name == "default"


async def test_delete_group(serve: Any) -> None:
    api, server = serve("deleteGroup")
    group = await api.delete_group("default")
    assert server.request.method == "DELETE" and group.name == "default"


async def test_add_location(serve: Any) -> None:
    api, server = serve("addLocationToGroup")
    assert server.example.source == "media type example"
    group = await api.add_location("default", "aws-eu-west-1")
    assert server.request.url.path.endswith("/groups/default/locations/aws-eu-west-1")
    assert group.locations == ("aws-us-east-1", "aws-eu-west-1")
    assert group.primary == "aws-us-east-1" and group.replicas == ("aws-eu-west-1",)
    assert group.archived is False and group.uuid == "f1dec998-8f7f-11ee-907d-a2a821fd08b9"


async def test_remove_location(serve: Any) -> None:
    api, server = serve("removeLocationFromGroup")
    group = await api.remove_location("default", "aws-eu-west-1")
    assert server.request.method == "DELETE"
    assert group.name == "default"


async def test_unarchive_group(serve: Any) -> None:
    api, server = serve("unarchiveGroup")
    group = await api.unarchive_group("default")
    assert server.request.url.path.endswith("/groups/default/unarchive")
    assert group.name == "default"


async def test_create_group_token(serve: Any) -> None:
    api, server = serve("createGroupToken", body={"jwt": "header.payload.signature"})
    token = await api.create_group_token("default", expiration="1d")
    assert token.jwt == "header.payload.signature"
    assert server.request.url.params["expiration"] == "1d"
    assert server.request.url.params["authorization"] == "full-access"


async def test_rotate_group_tokens(serve: Any) -> None:
    api, server = serve("invalidateGroupTokens")
    await api.rotate_group_tokens("default")
    assert server.request.url.path.endswith("/groups/default/auth/rotate")


# -- billing ---------------------------------------------------------------------------------------------------


async def test_organization_usage(serve: Any) -> None:
    api, _ = serve("getOrganizationUsage")
    usage = await api.organization_usage()
    assert usage.uuid == "fa72ba58-7db3-436b-bcab-14b83eb1dd88"
    totals = usage.usage
    assert (totals.rows_read, totals.rows_written) == (1_000_000_000, 25_000_000)
    assert (totals.databases, totals.locations, totals.groups) == (500, 3, 1)
    assert (totals.storage_bytes, totals.bytes_synced) == (9_000_000_000, 3_000_000_000)
    (db,) = usage.databases
    assert db.total.storage_bytes == 8192 and len(db.instances) == 2


async def test_list_plans(serve: Any) -> None:
    api, _ = serve("listOrganizationPlans")
    (plan,) = await api.list_plans()
    assert plan.name == "starter" and plan.is_free and not plan.has_overages
    assert plan.price == "0"
    assert [(p.value, p.timeline) for p in plan.prices] == [("29", "monthly")]
    q = plan.quotas
    assert (q.rows_read, q.rows_written, q.databases) == (1_000_000_000, 25_000_000, 500)
    assert (q.locations, q.storage_bytes, q.groups, q.bytes_synced) == (
        3,
        9_000_000_000,
        1,
        3_000_000_000,
    )


async def test_get_subscription(serve: Any) -> None:
    api, server = serve("getOrganizationSubscription")
    assert server.example.synthesized == ("$.subscription.overages",)
    sub = await api.get_subscription()
    assert (sub.name, sub.plan, sub.timeline, sub.overages) == (
        "scaler",
        "scaler",
        "monthly",
        False,
    )
    assert not sub.is_free


# -- platform API tokens and audit logs ------------------------------------------------------------------------


async def test_validate_token(serve: Any) -> None:
    api, _ = serve("validateAPIToken")
    validation = await api.validate_token()
    assert validation.exp == 999
    assert validation.expires_at == datetime(1970, 1, 1, 0, 16, 39, tzinfo=UTC)
    assert not validation.never_expires


async def test_list_api_tokens(serve: Any) -> None:
    api, _ = serve("listAPITokens")
    (token,) = await api.list_api_tokens()
    assert (token.name, token.id) == ("my-token", "clGFZ4STEe6fljpFzIum8A")
    assert (token.organization, token.group) == ("my-org", "default")
    assert token.scopes == ("db:create", "db:configure", "db:mint-token")
    assert token.created_at == "2026-05-21"


async def test_create_api_token(serve: Any) -> None:
    api, server = serve("createAPIToken")
    created = await api.create_api_token(
        "ci bot", organization="my-org", group="default", scopes=["db:create", "read-only"]
    )
    assert server.request.url.raw_path == b"/v1/auth/api-tokens/ci%20bot"
    assert server.json_sent() == {
        "organization": "my-org",
        "group": "default",
        "scopes": ["db:create", "read-only"],
    }
    assert isinstance(created, CreatedApiToken)
    assert (created.name, created.id, created.token) == (
        "my-token",
        "clGFZ4STEe6fljpFzIum8A",
        "...",
    )


async def test_create_api_token_unrestricted_sends_no_body(serve: Any) -> None:
    api, server = serve("createAPIToken")
    await api.create_api_token("legacy")
    assert server.request.content == b""


async def test_revoke_api_token(serve: Any) -> None:
    api, server = serve("revokeAPIToken", body={"token": "my-token"})
    assert await api.revoke_api_token("my-token") == "my-token"
    assert server.request.method == "DELETE"


async def test_list_audit_logs(serve: Any) -> None:
    api, server = serve("listOrganizationAuditLogs")
    page = await api.list_audit_logs(page=1, page_size=10)
    assert server.request.url.params["page"] == "1"
    assert server.request.url.params["page_size"] == "10"
    (entry,) = page.entries
    assert (entry.code, entry.origin, entry.author) == ("db-create", "cli", "iku")
    assert entry.created == datetime(2023, 12, 20, 9, 46, 8, tzinfo=UTC)
    assert (page.page, page.page_size, page.total_pages, page.total_rows) == (1, 10, 1, 1)
    assert not page.has_next


# -- the client against a base URL other than the spec's server --------------------------------------------------


async def test_contract_holds_on_another_base_url(validator: SpecValidator) -> None:
    """The local Turso serves the same API on another origin and path prefix; the validator rebases."""
    prefixed = SpecValidator(base_urls=["http://127.0.0.1:8765/turso"])
    server = ContractServer(prefixed, "getDatabase")
    transport = prefixed.wrap(server)
    async with PlatformClient(
        TOKEN, organization=ORG, base_url="http://127.0.0.1:8765/turso", transport=transport
    ) as api:
        db = await api.get_database("my-db")
    assert db.name == "my-db"
    assert (
        str(server.request.url)
        == f"http://127.0.0.1:8765/turso/v1/organizations/{ORG}/databases/my-db"
    )
    assert len(transport.exchanges) == 1
