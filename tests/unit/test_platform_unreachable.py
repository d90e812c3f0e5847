"""A Platform API that cannot be reached says which host and why: no network or DNS (not retried: a second
later the name still does not resolve), refused (retried, as any transport failure), timed out; and a refused
token is said as such (ops/snapshot.py failure_text)."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

from tursotui.ops.snapshot import failure_text
from tursotui.platform import ConnectionFailed, PlatformClient, PlatformError, Timeout, Unauthorized

HOST = "api.turso.tech"


def client(error: Exception, attempts: list[str]) -> PlatformClient:
    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.host)
        raise error

    async def no_wait(_: float) -> None:
        return None

    return PlatformClient(
        "tok-secret-123",
        organization="acme",
        transport=httpx.MockTransport(handler),
        max_retries=4,
        sleep=no_wait,
    )


async def failure(error: Exception) -> tuple[PlatformError, list[str]]:
    attempts: list[str] = []
    async with client(error, attempts) as api:
        with pytest.raises(PlatformError) as caught:
            await api.list_databases()
    return caught.value, attempts


async def test_a_dns_failure_names_the_host_and_is_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "tursotui.platform")
    error, attempts = await failure(httpx.ConnectError("[Errno -2] Name or service not known"))
    assert isinstance(error, ConnectionFailed) and error.kind == "dns"
    assert attempts == [HOST]  # once, not 5 times
    assert "cannot resolve api.turso.tech: no network or DNS" in str(error)
    assert failure_text(error, HOST).startswith("cannot resolve api.turso.tech: no network or DNS")
    assert not caplog.records  # nothing said about retrying


async def test_a_dns_failure_is_recognised_by_the_socket_error_it_wraps() -> None:
    wrapped = httpx.ConnectError("connect failed")
    wrapped.__cause__ = socket.gaierror(-3, "Temporary failure in name resolution")
    error, attempts = await failure(wrapped)
    assert isinstance(error, ConnectionFailed) and error.kind == "dns" and len(attempts) == 1


async def test_refused_is_retried_then_named() -> None:
    error, attempts = await failure(httpx.ConnectError("[Errno 111] Connection refused"))
    assert isinstance(error, ConnectionFailed) and error.kind == "refused"
    assert len(attempts) == 5
    text = failure_text(error, HOST)
    assert text.startswith("api.turso.tech refused the connection")
    assert "[after 5 attempts]" in str(error)


async def test_a_timeout_names_the_host() -> None:
    error, attempts = await failure(httpx.ConnectTimeout("timed out"))
    assert isinstance(error, Timeout) and len(attempts) == 5
    assert failure_text(error, HOST).startswith(
        "api.turso.tech did not answer: no connect within 5 s"
    )


async def test_a_refused_token_is_said_so_and_never_shown() -> None:
    async with PlatformClient(
        "tok-secret-123",
        organization="acme",
        transport=httpx.MockTransport(
            lambda r: httpx.Response(401, json={"error": "token invalid"})
        ),
    ) as api:
        with pytest.raises(Unauthorized) as caught:
            await api.list_databases()
    text = failure_text(caught.value, HOST)
    assert text.startswith("the API token was refused by api.turso.tech (401: token invalid)")
    assert "TURSO_API_TOKEN" in text and "tok-secret-123" not in text
