"""Client logic that needs a server misbehaving on purpose: an httpx MockTransport.

Everything a real server can do is tested against sqld; here only what sqld 0.24.32 cannot be
made to do: lack /v3, send a sticky ``base_url``, answer 429/500 or garbage, hang.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tursotui.libsql import (
    HranaClient,
    HranaConnectionError,
    HranaError,
    HranaTimeoutError,
    HttpError,
    InvalidUrlError,
    ProtocolError,
    StreamExpiredError,
    TransactionTimeoutError,
)
from tursotui.local.engine.sqld import free_port

Handler = Callable[[httpx.Request], httpx.Response]


def ok_execute(rows: list[list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    return {
        "type": "ok",
        "response": {
            "type": "execute",
            "result": {
                "cols": [{"name": "x", "decltype": None}],
                "rows": rows or [[{"type": "integer", "value": "1"}]],
                "affected_row_count": 0,
                "last_insert_rowid": None,
            },
        },
    }


CLOSED = {"type": "ok", "response": {"type": "close"}}


def ok_batch(steps: int) -> dict[str, Any]:
    result = ok_execute()["response"]["result"]
    return {
        "type": "ok",
        "response": {
            "type": "batch",
            "result": {"step_results": [result] * steps, "step_errors": [None] * steps},
        },
    }


def ok_result(request: dict[str, Any]) -> dict[str, Any]:
    if request["type"] == "close":
        return CLOSED
    if request["type"] == "batch":
        return ok_batch(len(request["batch"]["steps"]))
    return ok_execute()


def answer(request: httpx.Request, baton: str | None = None, **extra: Any) -> httpx.Response:
    """A Hrana answer with one ok result per request (execute, batch or close)."""
    body = json.loads(request.content)
    results = [ok_result(r) for r in body["requests"]]
    return httpx.Response(200, json={"baton": baton, "base_url": None, "results": results, **extra})


def client_with(handler: Handler, url: str = "https://db.example", **kwargs: Any) -> HranaClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return HranaClient(url, "secret-token-value", http=http, **kwargs)


async def test_falls_back_to_v2_when_v3_is_missing_and_remembers() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/v3/pipeline":
            return httpx.Response(404)
        closing = json.loads(request.content)["requests"][-1]["type"] == "close"
        return answer(request, baton=None if closing else "b")

    client = client_with(handler)
    assert client.pipeline_version is None
    assert (await client.execute("SELECT 1")).scalar() == 1
    assert client.pipeline_version == 2
    assert (await client.execute("SELECT 1")).scalar() == 1
    async with client.transaction() as tx:
        await tx.execute("SELECT 1")
    assert seen[:3] == ["/v3/pipeline", "/v2/pipeline", "/v2/pipeline"]
    assert "/v3/pipeline" not in seen[1:]


async def test_v3_is_kept_when_present() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answer(request)

    client = client_with(handler)
    await client.execute("SELECT 1")
    await client.execute("SELECT 1")
    assert seen == ["/v3/pipeline", "/v3/pipeline"]
    assert client.pipeline_version == 3


async def test_404_everywhere_is_an_error_not_a_version() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "Namespace `nope` doesn't exist"})

    client = client_with(handler)
    with pytest.raises(HttpError, match="doesn't exist") as missing:
        await client.execute("SELECT 1")
    assert missing.value.status == 404
    assert client.pipeline_version is None


async def test_one_shot_requests_end_with_close_and_send_the_token() -> None:
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer secret-token-value"
        assert request.headers["content-type"] == "application/json"
        bodies.append(json.loads(request.content))
        return answer(request)

    client = client_with(handler)
    await client.execute("SELECT ?", [1])
    await client.batch(["SELECT 1"], transactional=False)
    await client.batch(["SELECT 1", "SELECT 2"])
    for body in bodies:
        assert body["baton"] is None
        assert body["requests"][-1] == {"type": "close"}
    steps = bodies[2]["requests"][0]["batch"]["steps"]
    assert [s["stmt"]["sql"] for s in steps] == [
        "BEGIN DEFERRED",
        "SELECT 1",
        "SELECT 2",
        "COMMIT",
        "ROLLBACK",
    ]
    assert steps[0].get("condition") is None
    in_transaction = {"type": "not", "cond": {"type": "is_autocommit"}}  # D20, as @libsql/client
    assert steps[1]["condition"] == {
        "type": "and",
        "conds": [{"type": "ok", "step": 0}, in_transaction],
    }
    assert steps[3]["condition"] == {
        "type": "and",
        "conds": [{"type": "ok", "step": 2}, in_transaction],
    }
    assert steps[4]["condition"] == {"type": "not", "cond": {"type": "ok", "step": 3}}


async def test_stream_follows_baton_and_sticky_base_url() -> None:
    calls: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append((f"{request.url.host}{request.url.path}", body["baton"]))
        closing = body["requests"][-1]["type"] == "close"
        baton = None if closing else f"b{len(calls)}"
        return answer(request, baton=baton, base_url="https://replica-7.db.example/")

    client = client_with(handler)
    async with client.stream() as stream:
        await stream.execute("SELECT 1")
        await stream.execute("SELECT 2")
    assert calls == [
        ("db.example/v3/pipeline", None),
        ("replica-7.db.example/v3/pipeline", "b1"),
        ("replica-7.db.example/v3/pipeline", "b2"),
    ]
    # The sticky URL is per stream: a new one-shot goes to the database URL again.
    await client.execute("SELECT 3")
    assert calls[-1] == ("db.example/v3/pipeline", None)


async def test_stream_closed_by_the_server_says_so() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return answer(request, baton=None)

    client = client_with(handler)
    stream = client.stream()
    await stream.execute("SELECT 1")
    with pytest.raises(HranaError, match="server closed this stream"):
        await stream.execute("SELECT 2")


async def test_insecure_base_url_from_server_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return answer(request, baton="b", base_url="http://evil.example")

    client = client_with(handler)
    with pytest.raises(InvalidUrlError):
        await client.stream().execute("SELECT 1")


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (400, "Received a baton that has already been used", StreamExpiredError, "baton"),
        (
            400,
            '{"message":"The stream has expired due to inactivity","code":"STREAM_EXPIRED"}',
            StreamExpiredError,
            "10 s",
        ),
        (400, "Cannot deserialize client message from JSON", HttpError, "HTTP 400"),
        (429, '{"error":"DbCreateTimeout"}', HttpError, "too many"),
        (500, "internal error", HttpError, "server error"),
        (502, "<html>Bad Gateway</html>", HttpError, "HTTP 502"),
    ],
)
async def test_http_errors_map_to_types(status: int, body: str, error: type, text: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text=body)

    client = client_with(handler)
    with pytest.raises(error, match=text) as raised:
        await client.execute("SELECT 1")
    assert raised.value.status == status
    assert "secret-token-value" not in str(raised.value)


async def test_server_message_echoing_the_token_is_scrubbed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "bad token secret-token-value"})

    client = client_with(handler)
    with pytest.raises(HttpError) as raised:
        await client.execute("SELECT 1")
    assert "secret-token-value" not in str(raised.value)
    assert "secr…(18 chars)" in str(raised.value)


@pytest.mark.parametrize(
    "payload",
    [
        b"<html>captive portal</html>",
        b'{"results": "nope"}',
        b'{"baton": null, "results": []}',
        b'{"baton": null, "results": [{"type": "ok", "response": {"type": "close"}}, {}]}',
    ],
)
async def test_non_hrana_answers_are_protocol_errors(payload: bytes) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=payload)

    client = client_with(handler)
    with pytest.raises(ProtocolError):
        await client.execute("SELECT 1")


async def test_unknown_value_type_is_a_protocol_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        bad = ok_execute([[{"type": "decimal", "value": "1.0"}]])
        return httpx.Response(200, json={"baton": None, "results": [bad, CLOSED]})

    with pytest.raises(ProtocolError, match="decimal"):
        await client_with(handler).execute("SELECT 1")


async def test_blob_without_padding_decodes() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        row = [{"type": "blob", "base64": "AAE"}, {"type": "blob", "base64": "AAE="}]
        return httpx.Response(200, json={"baton": None, "results": [ok_execute([row]), CLOSED]})

    result = await client_with(handler).execute("SELECT 1")
    assert result.rows == ((b"\x00\x01", b"\x00\x01"),)


async def test_transaction_timeout_error_mentions_the_limit() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        first = body["requests"][0]
        if first["type"] == "batch" and first["batch"]["steps"][0]["stmt"]["sql"].startswith(
            "BEGIN"
        ):  # BEGIN + first statement
            return httpx.Response(200, json={"baton": "b1", "results": [ok_batch(2)]})
        if first["type"] == "execute" and first["stmt"]["sql"] == "ROLLBACK":
            error = {"message": "cannot rollback - no transaction is active"}
            return httpx.Response(
                200, json={"baton": None, "results": [{"type": "error", "error": error}, CLOSED]}
            )
        # A later statement: a guarded batch step and get_autocommit (the server rolled back).
        error = {"message": "Transaction timed out", "code": "TRANSACTION_TIMEOUT"}
        autocommit = {"type": "ok", "response": {"type": "get_autocommit", "is_autocommit": True}}
        return httpx.Response(
            200, json={"baton": "b2", "results": [{"type": "error", "error": error}, autocommit]}
        )

    client = client_with(handler)
    with pytest.raises(TransactionTimeoutError, match="5 s") as timed_out:
        async with client.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1)")
            await tx.execute("INSERT INTO t VALUES (2)")
    assert "open for" in str(timed_out.value)

    # Caught inside the block: the commit at the end says nothing was committed.
    with pytest.raises(TransactionTimeoutError, match="nothing was committed"):
        async with client.transaction() as tx:
            await tx.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(TransactionTimeoutError):
                await tx.execute("INSERT INTO t VALUES (2)")


async def test_connection_refused_is_a_connection_error() -> None:
    async with HranaClient(f"http://127.0.0.1:{free_port()}", "tok", timeout=2.0) as client:
        with pytest.raises(HranaConnectionError, match="cannot reach") as refused:
            await client.execute("SELECT 1")
        assert refused.value.__context__ is None  # no httpx request (with headers) attached
        assert not await client.health()


async def test_a_server_that_never_answers_times_out() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with HranaClient(f"http://127.0.0.1:{port}", timeout=0.3) as client:
            with pytest.raises(HranaTimeoutError, match="in time"):
                await client.execute("SELECT 1")
            with pytest.raises(HranaTimeoutError):
                async for _ in client.dump():
                    pass
    finally:
        server.close()
        await server.wait_closed()


def flaky(first: Exception, then: Handler) -> tuple[Handler, list[str]]:
    """A handler that fails its first call with ``first``, then answers with ``then``."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if len(calls) == 1:
            raise first
        return then(request)

    return handler, calls


def version_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="sqld 0.24.32")


async def test_get_is_retried_once_when_the_connection_drops() -> None:
    handler, calls = flaky(httpx.RemoteProtocolError("Server disconnected"), version_answer)
    assert await client_with(handler).version() == "sqld 0.24.32"
    assert calls == ["GET /version", "GET /version"]
    handler, calls = flaky(httpx.ReadError("reset"), version_answer)
    assert [c async for c in client_with(handler).dump()] == [b"sqld 0.24.32"]
    assert len(calls) == 2


async def test_refused_connection_is_retried_once() -> None:
    handler, calls = flaky(httpx.ConnectError("refused"), answer)
    assert (await client_with(handler).execute("SELECT 1")).scalar() == 1
    assert len(calls) == 2


async def test_post_that_may_have_run_is_never_retried() -> None:
    for error in (
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        httpx.ReadTimeout("slow"),
    ):
        handler, calls = flaky(error, answer)
        with pytest.raises(HranaConnectionError):
            await client_with(handler).execute("INSERT INTO t VALUES (1)")
        assert len(calls) == 1


async def test_post_after_an_error_answer_is_retried_when_unanswered() -> None:
    """sqld may answer 401 before reading a request body and drop the connection."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(len(calls))
        if len(calls) == 1:
            return httpx.Response(401, json={"error": "Unauthorized: `The JWT is invalid`"})
        if len(calls) == 2:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return answer(request)

    client = client_with(handler)
    with pytest.raises(HttpError):
        await client.execute("SELECT 1")
    assert (await client.execute("SELECT 1")).scalar() == 1
    assert len(calls) == 3


async def test_timeouts_are_not_retried() -> None:
    handler, calls = flaky(httpx.ConnectTimeout("slow connect"), version_answer)
    with pytest.raises(HranaTimeoutError):
        await client_with(handler).version()
    assert len(calls) == 1
