"""Errors, retries, malformed responses, timeouts and token redaction of the Platform API client."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from tursotui.platform import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    OrganizationNotSet,
    PaymentRequired,
    PlatformClient,
    PlatformError,
    RateLimited,
    ResponseFormatError,
    RetryPolicy,
    ServerError,
    Timeout,
    Unauthorized,
    Unprocessable,
)
from tursotui.platform.retry import parse_retry_after

TOKEN = "tok_SECRET_0123456789abcdefghijklmnop"

Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps:
    """An injected sleep that records delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Script:
    """A MockTransport handler playing a list of responses/exceptions in order (the last one repeats)."""

    def __init__(self, *steps: httpx.Response | Exception) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return step


def client(handler: Handler, sleeps: Sleeps | None = None, **kwargs: Any) -> PlatformClient:
    return PlatformClient(
        TOKEN,
        organization="my-org",
        transport=httpx.MockTransport(handler),
        sleep=sleeps or Sleeps(),
        **kwargs,
    )


# -- status codes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "reason"),
    [
        (400, BadRequest, "Bad Request"),
        (401, Unauthorized, "Unauthorized"),
        (402, PaymentRequired, "Payment Required"),
        (403, Forbidden, "Forbidden"),
        (404, NotFound, "Not Found"),
        (409, Conflict, "Conflict"),
        (422, Unprocessable, "Unprocessable Entity"),
        (429, RateLimited, "Too Many Requests"),
        (500, ServerError, "Server Error"),
        (502, ServerError, "Server Error"),
        (503, ServerError, "Server Error"),
    ],
)
async def test_status_maps_to_typed_error(
    status: int, cls: type[PlatformError], reason: str
) -> None:
    script = Script(httpx.Response(status, json={"error": "token expired"}))
    async with client(script, max_retries=0) as api:
        with pytest.raises(cls) as info:
            await api.list_organizations()
    err = info.value
    assert isinstance(err, PlatformError)
    assert (err.status, err.message, err.code) == (status, "token expired", None)
    assert (err.method, err.path) == ("GET", "/v1/organizations")
    assert str(err) == f"{status} {reason} from GET /v1/organizations: token expired"


async def test_error_code_is_kept_and_shown() -> None:
    body = {
        "error": "groups are limited on this plan",
        "code": "feature_not_available_for_starter_plan",
    }
    async with client(Script(httpx.Response(403, json=body))) as api:
        with pytest.raises(Forbidden) as info:
            await api.create_group("g2", "aws-us-east-1")
    assert info.value.code == "feature_not_available_for_starter_plan"
    assert str(info.value) == (
        "403 Forbidden from POST /v1/organizations/my-org/groups: groups are limited on this plan "
        "(code: feature_not_available_for_starter_plan)"
    )


async def test_error_without_json_body_uses_text_or_reason() -> None:
    async with client(
        Script(httpx.Response(502, text="<html>Bad gateway</html>")), max_retries=0
    ) as api:
        with pytest.raises(
            ServerError, match=r"502 Server Error from GET /v1/locations: <html>Bad gateway"
        ):
            await api.list_locations()
    async with client(Script(httpx.Response(404)), max_retries=0) as api:
        with pytest.raises(NotFound, match=r"404 Not Found from GET /v1/locations: Not Found$"):
            await api.list_locations()


async def test_unlisted_status_is_a_plain_platform_error() -> None:
    async with client(Script(httpx.Response(418, json={"error": "no coffee"}))) as api:
        with pytest.raises(PlatformError) as info:
            await api.list_locations()
    assert type(info.value) is PlatformError
    assert str(info.value) == "418 I'm a teapot from GET /v1/locations: no coffee"


async def test_organization_not_set() -> None:
    async with PlatformClient(TOKEN, transport=httpx.MockTransport(Script())) as api:
        with pytest.raises(OrganizationNotSet, match=r"set PlatformClient\.organization"):
            await api.list_databases()
        assert isinstance(OrganizationNotSet("x"), ValueError)


async def test_organization_is_settable_and_overridable() -> None:
    script = Script(httpx.Response(200, json={"groups": []}))
    async with PlatformClient(TOKEN, transport=httpx.MockTransport(script)) as api:
        api.organization = "first"
        await api.list_groups()
        await api.list_groups(org="second")
    assert [r.url.path for r in script.requests] == [
        "/v1/organizations/first/groups",
        "/v1/organizations/second/groups",
    ]


# -- retries ---------------------------------------------------------------------------------------------------


async def test_get_is_retried_on_5xx_then_succeeds() -> None:
    script = Script(
        httpx.Response(503, json={"error": "unavailable"}),
        httpx.Response(500, json={"error": "oops"}),
        httpx.Response(200, json={"locations": {"aws-us-east-1": "Virginia"}}),
    )
    sleeps = Sleeps()
    async with client(script, sleeps, backoff_base=0.5) as api:
        assert await api.list_locations() == {"aws-us-east-1": "Virginia"}
    assert len(script.requests) == 3
    assert len(sleeps.delays) == 2
    assert 0 <= sleeps.delays[0] <= 0.5 and 0 <= sleeps.delays[1] <= 1.0


async def test_retries_give_up_after_max_retries() -> None:
    script = Script(httpx.Response(500, json={"error": "down"}))
    sleeps = Sleeps()
    async with client(script, sleeps, max_retries=4) as api:
        with pytest.raises(ServerError) as info:
            await api.list_organizations()
    assert len(script.requests) == 5 and len(sleeps.delays) == 4
    assert info.value.attempts == 5
    assert str(info.value).endswith("down [after 5 attempts]")


async def test_delete_is_retried() -> None:
    script = Script(httpx.Response(502), httpx.Response(200, json={"database": "my-db"}))
    async with client(script) as api:
        assert await api.delete_database("my-db") == "my-db"
    assert [r.method for r in script.requests] == ["DELETE", "DELETE"]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={"error": "busy"}),
        httpx.Response(429, json={"error": "slow down"}),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("connection reset"),
    ],
    ids=["503", "429", "timeout", "connect"],
)
async def test_post_and_patch_are_never_retried(failure: httpx.Response | Exception) -> None:
    script = Script(failure)  # would succeed on a retry if one happened:
    script.steps.append(httpx.Response(200, json={"database": {"Name": "x"}}))
    script.steps.append(failure)
    sleeps = Sleeps()
    async with client(script, sleeps) as api:
        with pytest.raises(PlatformError):
            await api.create_database("x", "default")
    assert [r.method for r in script.requests] == ["POST"]
    assert sleeps.delays == []
    patch_script = Script(failure, httpx.Response(200, json={}))
    async with client(patch_script, sleeps) as api:
        with pytest.raises(PlatformError):
            await api.update_database_configuration("x", block_writes=True)
    assert [r.method for r in patch_script.requests] == ["PATCH"]
    assert sleeps.delays == []


async def test_4xx_is_not_retried() -> None:
    script = Script(httpx.Response(404, json={"error": "database not found"}))
    sleeps = Sleeps()
    async with client(script, sleeps) as api:
        with pytest.raises(NotFound):
            await api.get_database("missing")
    assert len(script.requests) == 1 and sleeps.delays == []


async def test_retry_after_seconds_is_respected() -> None:
    script = Script(
        httpx.Response(429, json={"error": "rate limited"}, headers={"Retry-After": "7"}),
        httpx.Response(200, json={"exp": -1}),
    )
    sleeps = Sleeps()
    async with client(script, sleeps) as api:
        assert (await api.validate_token()).never_expires
    assert sleeps.delays == [7.0]


async def test_retry_after_is_capped() -> None:
    script = Script(
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(200, json={"exp": -1}),
    )
    sleeps = Sleeps()
    async with client(script, sleeps, max_retry_after=30) as api:
        await api.validate_token()
    assert sleeps.delays == [30.0]


async def test_rate_limited_error_carries_retry_after() -> None:
    script = Script(httpx.Response(429, json={"error": "slow"}, headers={"Retry-After": "12"}))
    async with client(script, max_retries=0) as api:
        with pytest.raises(RateLimited) as info:
            await api.validate_token()
    assert info.value.retry_after == 12.0


async def test_retry_after_on_503_is_respected() -> None:
    script = Script(
        httpx.Response(503, headers={"Retry-After": "2"}),
        httpx.Response(200, json={"exp": -1}),
    )
    sleeps = Sleeps()
    async with client(script, sleeps) as api:
        await api.validate_token()
    assert sleeps.delays == [2.0]


def test_parse_retry_after() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    )
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None


def test_backoff_is_jittered_exponential_and_capped() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=10.0, rng=random.Random(1))
    for attempt in range(8):
        delays = [policy.delay(attempt) for _ in range(50)]
        ceiling = min(10.0, 2.0**attempt)
        assert all(0 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.should_retry("GET", 0) and policy.should_retry("delete", 3)
    assert not policy.should_retry("GET", 4)
    assert not policy.should_retry("POST", 0) and not policy.should_retry("PATCH", 0)
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


# -- transport failures ----------------------------------------------------------------------------------------


async def test_timeout_is_retried_then_reported() -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    sleeps = Sleeps()
    async with client(script, sleeps, max_retries=2) as api:
        with pytest.raises(Timeout) as info:
            await api.list_organizations()
    assert len(script.requests) == 3
    assert str(info.value) == (
        "Timed out from GET /v1/organizations: no read within 15 s [after 3 attempts]"
    )
    assert info.value.status is None
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_connect_timeout_message_uses_configured_timeout() -> None:
    script = Script(httpx.ConnectTimeout("timed out"))
    async with client(script, max_retries=0, timeout=httpx.Timeout(2.0, connect=1.5)) as api:
        with pytest.raises(Timeout, match=r"no connect within 1.5 s$"):
            await api.list_organizations()


async def test_connection_failure() -> None:
    script = Script(
        httpx.ConnectError("[Errno 111] Connection refused"), httpx.Response(200, json=[])
    )
    sleeps = Sleeps()
    async with client(script, sleeps) as api:
        assert await api.list_organizations() == []
    assert len(sleeps.delays) == 1
    async with client(
        Script(httpx.ConnectError("[Errno 111] Connection refused")), max_retries=0
    ) as api:
        with pytest.raises(
            ConnectionFailed, match=r"Connection failed from GET /v1/organizations: "
        ):
            await api.list_organizations()


async def test_default_timeouts() -> None:
    async with PlatformClient(TOKEN) as api:
        assert api._http.timeout.connect == 5.0
        assert api._http.timeout.read == 15.0
    async with PlatformClient(TOKEN, timeout=3) as api:
        assert api._http.timeout.read == 3.0 and api._http.timeout.connect == 3.0


async def test_one_http_client_is_reused_and_closed() -> None:
    script = Script(httpx.Response(200, json={"exp": -1}))
    api = client(script)
    http = api._http
    for _ in range(3):
        await api.validate_token()
    assert api._http is http and len(script.requests) == 3
    assert not api.closed
    await api.aclose()
    assert api.closed and http.is_closed


# -- malformed responses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'[{"name": "personal", "slug": "ik', "expected JSON, got malformed or truncated data"),
        (b"", "expected a JSON body, got an empty response"),
        (b"<html>proxy error</html>", "expected JSON, got malformed or truncated data"),
        (b'{"organizations": []}', "expected organization list to be an array, got object"),
        (b'[{"name": "personal"}]', "expected organization.slug to be a string, got null"),
        (
            b'[{"slug": "x", "overages": "yes"}]',
            "expected organization.overages to be a boolean, got string",
        ),
    ],
)
async def test_malformed_success_body(body: bytes, expected: str) -> None:
    script = Script(httpx.Response(200, content=body, headers={"Content-Type": "application/json"}))
    async with client(script) as api:
        with pytest.raises(ResponseFormatError) as info:
            await api.list_organizations()
    assert str(info.value).startswith("Unexpected response from GET /v1/organizations: ")
    assert expected in str(info.value)
    assert len(script.requests) == 1  # a bad body is not retried


async def test_wrong_nested_type_names_the_field() -> None:
    script = Script(
        httpx.Response(200, json={"database": {"uuid": "x", "total": {"rows_read": "many"}}})
    )
    async with client(script) as api:
        with pytest.raises(
            ResponseFormatError,
            match=r"expected response.database.total.rows_read to be an integer",
        ):
            await api.database_usage("my-db")


async def test_missing_wrapper_object() -> None:
    async with client(Script(httpx.Response(200, json={}))) as api:
        with pytest.raises(
            ResponseFormatError, match=r"expected response.database to be an object, got null"
        ):
            await api.get_database("my-db")


# -- the token never leaks -------------------------------------------------------------------------------------


def _assert_no_token(*texts: object) -> None:
    for text in texts:
        assert TOKEN not in str(text)
        assert TOKEN not in repr(text)


async def test_token_never_appears_in_errors_reprs_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    failures: list[httpx.Response | Exception] = [
        httpx.Response(401, json={"error": f"token {TOKEN} expired"}),
        httpx.Response(403, json={"error": "nope", "code": f"bad-{TOKEN}"}),
        httpx.Response(500, text=f"panic: bearer {TOKEN}"),
        httpx.Response(429, json={"error": "slow"}),
        httpx.Response(200, text=f'{{"echo": "{TOKEN}'),
        httpx.ConnectError(f"cannot connect with {TOKEN}"),
        httpx.ReadTimeout("timed out"),
    ]
    errors: list[PlatformError] = []
    for failure in failures:
        async with client(Script(failure), max_retries=1) as api:
            _assert_no_token(api)
            with pytest.raises(PlatformError) as info:
                await api.list_organizations()
            errors.append(info.value)
    for err in errors:
        _assert_no_token(err, err.message, err.code, *err.args)
        if err.__cause__ is not None:
            _assert_no_token(err.__cause__)
    assert any("tok_" in str(err) for err in errors)  # the masked form is still recognisable
    _assert_no_token(caplog.text, *[r.getMessage() for r in caplog.records])
    assert any("retrying" in r.getMessage() for r in caplog.records)


async def test_token_not_in_minted_secret_reprs() -> None:
    secret = "eyJhbGciOiJFZERTQSJ9.payload.signature"
    script = Script(httpx.Response(200, json={"name": "ci", "id": "abc", "token": secret}))
    async with client(script) as api:
        created = await api.create_api_token("ci", organization="my-org")
    assert created.token == secret
    assert secret not in repr(created) and secret not in str(created)


def test_invalid_token_is_refused_without_echoing_it() -> None:
    bad = "tok_with_newline_0123456789\n"
    with pytest.raises(ValueError) as info:
        PlatformClient(bad)
    assert bad.strip() not in str(info.value)
    with pytest.raises(ValueError, match="token is required"):
        PlatformClient("")


async def test_repr_masks_token() -> None:
    async with PlatformClient(TOKEN, organization="o") as api:
        text = repr(api)
    assert TOKEN not in text and "tok_" in text and "organization='o'" in text
    assert api.closed
