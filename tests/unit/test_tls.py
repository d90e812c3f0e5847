"""The HTTP clients' TLS (support/tls.py): no CA bundle is loaded to create a client, one is loaded for the
whole process on the first request that needs it, and a plain-HTTP loopback SQL client never loads one."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest

from tursotui.libsql import HranaClient
from tursotui.platform import PlatformClient
from tursotui.support import tls


@pytest.fixture
def bundle_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the CA bundles httpx is asked to load (the process's context starts unbuilt)."""
    loads: list[int] = []
    real = httpx.create_ssl_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        if kwargs.get("verify", args[0] if args else True) is True:  # a context given is only used
            loads.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    monkeypatch.setattr(httpx._transports.default, "create_ssl_context", counting)
    monkeypatch.setattr(tls, "_verified", None)
    return loads


@pytest.fixture
async def http_server() -> AsyncIterator[str]:
    """A plain HTTP/1.1 server on 127.0.0.1 answering every request ``200 ok``."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head:
                break
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


async def test_creating_clients_loads_no_bundle(bundle_loads: list[int]) -> None:
    platform = PlatformClient("token-abc", organization="acme")
    sql = HranaClient("libsql://db-acme.turso.io", "token-abc")
    try:
        assert bundle_loads == []
    finally:
        await platform.aclose()
        await sql.aclose()


async def test_the_first_request_loads_one_bundle_for_every_client(
    bundle_loads: list[int], http_server: str
) -> None:
    first, second = tls.LazyTransport(), tls.LazyTransport()
    async with (
        httpx.AsyncClient(transport=first, base_url=http_server) as one,
        httpx.AsyncClient(transport=second, base_url=http_server) as two,
    ):
        assert not first.started and bundle_loads == []
        assert (await one.get("/a")).text == "ok"
        assert first.started and not second.started
        assert (await two.get("/b")).text == "ok"
        assert (await one.get("/c")).text == "ok"
    assert bundle_loads == [1]  # the second transport reused the process's context
    assert tls.verified_tls() is tls.verified_tls()
    assert tls.verified_tls().verify_mode == ssl.CERT_REQUIRED


async def test_a_closed_lazy_transport_refuses_requests(http_server: str) -> None:
    transport = tls.LazyTransport()
    await transport.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", f"{http_server}/x"))


async def test_loopback_sql_over_plain_http_loads_no_bundle(
    bundle_loads: list[int], http_server: str
) -> None:
    sql = HranaClient(http_server, "token-abc")
    try:
        assert (await sql._http.get(f"{http_server}/health")).text == "ok"
    finally:
        await sql.aclose()
    assert bundle_loads == []
