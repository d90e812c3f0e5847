"""The operations on Platform API tokens and the audit log (tursotui/ops/api_tokens.py, ops/audit.py) against
a scripted Platform API (httpx.MockTransport, no sqld): what is refused before anything is sent, what is sent,
how the answers read, and the Free plan's refusal of audit logs as turso-cli words it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tursotui.ops.api_tokens import (
    SCOPES,
    check_scopes,
    create_api_token,
    find_api_token,
    permissions_of,
    scope_of,
    token_json,
)
from tursotui.ops.audit import audit_log, check_paging
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.tokens import TokenLedger
from tursotui.platform import ApiToken, Forbidden, PlatformClient

TOKEN = "tok_SECRET_0123456789abcdefghijklmnop"


def jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'EdDSA'})}.{part(claims)}.c2lnbmF0dXJl"


class Api:
    """A scripted Platform API recording every request."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    def client(self) -> PlatformClient:
        return PlatformClient(
            TOKEN,
            organization="my-org",
            base_url="https://api.turso.tech",
            transport=httpx.MockTransport(self),
            max_retries=0,
        )


def created(claims: dict[str, object]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(200, json={"token": "ci"})
        return httpx.Response(200, json={"name": "ci", "id": "abc", "token": jwt(claims)})

    return answer


def test_scopes_are_turso_clis_and_an_unknown_one_is_named() -> None:
    assert SCOPES[:3] == ("read", "db:create", "db:delete")
    assert check_scopes(["read", " db:create", "read", "full-access"]) == (
        "read",
        "db:create",
        "full-access",
    )
    with pytest.raises(InputError, match="unknown scope 'db:drop': use one of read, db:create"):
        check_scopes(["db:drop"])


def test_scope_and_permissions_read_as_turso_cli_shows_them() -> None:
    assert scope_of(ApiToken(name="a")) == "all"
    assert scope_of(ApiToken(name="a", organization="o")) == "o"
    assert scope_of(ApiToken(name="a", organization="o", group="g", scopes=("read",))) == "o/g"
    assert permissions_of(ApiToken(name="a", organization="o")) == "-"
    assert permissions_of(ApiToken(name="a", scopes=("read",))) == "read-only"
    assert permissions_of(ApiToken(name="a", scopes=SCOPES)) == "full-access"
    assert permissions_of(ApiToken(name="a", scopes=("db:create", "read"))) == "read, db:create"
    assert token_json(ApiToken(name="a", organization="o"))["expires_at"] is None


async def test_the_token_is_created_for_the_organization_with_its_group_and_scopes() -> None:
    api = Api(created({"iat": 1, "jti": "abc"}))
    async with api.client() as platform:
        new = await create_api_token(
            platform, "ci", group="tenants", scopes=["read", "db:create"], target="cloud"
        )
    (sent,) = api.requests
    assert sent.url.path == "/v1/auth/api-tokens/ci" and sent.url.query == b""
    assert json.loads(sent.content) == {
        "organization": "my-org",
        "group": "tenants",
        "scopes": ["read", "db:create"],
    }
    assert (new.name, new.id, new.expires_at) == ("ci", "abc", None)
    assert "token" not in repr(new) and new.token not in repr(new)
    assert new.describe() == (
        "API token ci (id abc) for group tenants of my-org with scopes read, db:create, expires never "
        "(Turso Cloud's API tokens cannot expire: revoke it when no longer needed)"
    )
    assert new.to_json(include_token=False).keys() == {
        "name",
        "id",
        "organization",
        "group",
        "scopes",
        "expires_at",
    }


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"group": "g"}, "a group-scoped token needs at least one --scope"),
        ({"scopes": ["read"]}, "--scope is only for a group-scoped token"),
        ({"expiration": "30d", "target": "cloud"}, "Turso Cloud's API tokens do not expire"),
        ({"expiration": "soon"}, "invalid expiration 'soon'"),
    ],
)
async def test_refused_before_anything_is_sent(kwargs: dict[str, object], says: str) -> None:
    api = Api(created({}))
    async with api.client() as platform:
        with pytest.raises(InputError, match=says):
            await create_api_token(platform, "ci", **kwargs)  # type: ignore[arg-type]
        with pytest.raises(InputError, match="invalid API token name"):
            await create_api_token(platform, "-bad")
    assert api.requests == []


async def test_an_expiration_goes_to_the_local_turso_and_comes_back_in_the_token() -> None:
    api = Api(created({"iat": 1_000, "exp": 1_000 + 86_400}))
    async with api.client() as platform:
        new = await create_api_token(platform, "ci", expiration="1d", target="local")
    assert api.requests[0].url.params["expiration"] == "1d"
    assert new.expires_at is not None and int(new.expires_at.timestamp()) == 87_400


async def test_a_server_that_ignores_the_expiration_has_the_token_revoked_at_once() -> None:
    api = Api(created({"iat": 1_000}))
    async with api.client() as platform:
        with pytest.raises(OpsError, match=r"did not confirm the expiration 1d .* it was revoked"):
            await create_api_token(platform, "ci", expiration="1d", target="local")
    assert [r.method for r in api.requests] == ["POST", "DELETE"]
    assert api.requests[1].url.path == "/v1/auth/api-tokens/ci"


async def test_find_names_the_tokens_there_are() -> None:
    api = Api(lambda r: httpx.Response(200, json={"tokens": [{"name": "a"}, {"name": "b"}]}))
    async with api.client() as platform:
        assert (await find_api_token(platform, "b")).name == "b"
        with pytest.raises(OpsError, match=r"no API token named 'c' \(there are: a, b\)"):
            await find_api_token(platform, "c")


async def test_audit_log_on_the_free_plan_says_so_and_other_refusals_stay_as_they_are() -> None:
    starter = {"error": "upgrade", "code": "feature_not_available_for_starter_plan"}
    api = Api(lambda r: httpx.Response(403, json=starter))
    async with api.client() as platform:
        with pytest.raises(OpsError, match=r"not available on the free \(starter\) plan"):
            await audit_log(platform)
    assert api.requests[0].url.params["page_size"] == "25"
    scoped = Api(lambda r: httpx.Response(403, json={"error": "scoped to group g"}))
    async with scoped.client() as platform:
        with pytest.raises(Forbidden, match="scoped to group g"):
            await audit_log(platform)


async def test_audit_log_page_reads_as_a_table_and_json() -> None:
    entry = {
        "code": "db-create",
        "message": "created database a",
        "origin": "cli",
        "author": "ci",
        "created_at": "2026-12-05T01:59:40Z",
        "data": {"name": "a"},
    }
    body = {
        "audit_logs": [entry],
        "pagination": {"page": 2, "page_size": 1, "total_pages": 3, "total_rows": 3},
    }
    api = Api(lambda r: httpx.Response(200, json=body))
    async with api.client() as platform:
        view = await audit_log(platform, page=2, page_size=1)
    assert view.rows() == [["2026-12-05 01:59:40", "ci", "db-create", "cli", "created database a"]]
    assert view.summary() == "page 2 of 3: 1 of 3 entries, newest first; next: --page 3"
    assert view.to_json() == body


def test_paging_is_checked() -> None:
    check_paging(1, 1000)
    with pytest.raises(InputError, match="pages start at 1"):
        check_paging(0, 10)
    with pytest.raises(InputError, match="from 1 to 1000"):
        check_paging(1, 1001)


async def test_the_local_turso_gets_the_default_expiration_and_the_ledger_an_entry(
    tmp_path: Path,
) -> None:
    api = Api(created({"iat": 1_000, "exp": 1_000 + 90 * 86_400}))
    ledger = TokenLedger.in_data_dir(tmp_path)
    async with api.client() as platform:
        new = await create_api_token(
            platform, "ci", group="g", scopes=["read-only"], target="local", ledger=ledger
        )
    assert api.requests[0].url.params["expiration"] == "90d"
    (entry,) = ledger.entries()
    assert (entry.scope, entry.name, entry.group, entry.organization, entry.target) == (
        "api",
        "ci",
        "g",
        "my-org",
        "local",
    )
    assert entry.subject == "API token ci (group g)" and entry.authorization == "read-only"
    assert entry.expires_at == "1970-04-01T00:16:40Z" and new.expires_at is not None
    assert new.token not in ledger.path.read_text()


async def test_a_cloud_token_is_recorded_in_the_ledger_without_an_expiry(tmp_path: Path) -> None:
    api = Api(created({"iat": 1_000}))
    ledger = TokenLedger.in_data_dir(tmp_path)
    async with api.client() as platform:
        await create_api_token(platform, "ci", target="cloud", ledger=ledger)
    assert "expiration" not in api.requests[0].url.params
    (entry,) = ledger.entries()
    assert (entry.scope, entry.name, entry.expires_at, entry.authorization) == (
        "api",
        "ci",
        None,
        "full-access",
    )


def not_json(request: httpx.Request) -> httpx.Response:
    if request.method == "DELETE":
        return httpx.Response(200, json={"token": "ci"})
    return httpx.Response(200, json={"name": "ci", "id": "abc", "token": "a.%%%not-base64.c2ln"})


async def test_an_undecodable_token_with_an_expiration_asked_is_revoked(tmp_path: Path) -> None:
    api = Api(not_json)
    ledger = TokenLedger.in_data_dir(tmp_path)
    async with api.client() as platform:
        with pytest.raises(OpsError, match=r"did not confirm the expiration 90d .* it was revoked"):
            await create_api_token(platform, "ci", target="local", ledger=ledger)
    assert [r.method for r in api.requests] == ["POST", "DELETE"]
    assert ledger.entries() == []


async def test_an_undecodable_token_without_an_expiration_is_shown_with_none() -> None:
    api = Api(not_json)
    async with api.client() as platform:
        new = await create_api_token(platform, "ci", target="cloud")
    assert [r.method for r in api.requests] == ["POST"]
    assert new.expires_at is None and new.token == "a.%%%not-base64.c2ln"
