"""The Platform API's uvicorn with :func:`uvicorn_limits`: slowloris closed, connections past the cap refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fixtures.local_turso import closed_by_server, serving
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tursotui.local.engine import limits


async def _ok(_request: object) -> JSONResponse:
    return JSONResponse({"ok": True})


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[int]:
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 1.0)
    monkeypatch.setattr(limits, "API_MAX_CONNECTIONS", 40)
    async with serving(Starlette(routes=[Route("/v1/ok", _ok)])) as port:
        yield port


async def _get(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /v1/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return data


async def test_a_slowloris_connection_is_closed_after_the_head_timeout(api: int) -> None:
    silent = await asyncio.open_connection("127.0.0.1", api)
    dripping = await asyncio.open_connection("127.0.0.1", api)
    dripping[1].write(b"GET /v1/ok HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert await closed_by_server(*silent, drip=False)
    assert await closed_by_server(*dripping, drip=True)
    # Keep-alive: a second request trickled after a first one is closed too.
    reader, writer = await asyncio.open_connection("127.0.0.1", api)
    writer.write(b"GET /v1/ok HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"200 OK" in await reader.readuntil(b'{"ok":true}')
    writer.write(b"GET /v1/ok HTTP/1.1\r\nX-Slow: ")
    assert await closed_by_server(reader, writer, drip=True)
    assert b"200 OK" in await _get(api)


async def test_connections_past_the_cap_get_503_and_are_closed(api: int) -> None:
    held = [await asyncio.open_connection("127.0.0.1", api) for _ in range(40)]
    try:
        await asyncio.sleep(0.1)
        refused = await _get(api)
        assert refused.startswith(b"HTTP/1.1 503") and b"too many connections" in refused
    finally:
        for _, writer in held:
            writer.close()
    for _ in range(50):  # the server sees the closes
        answer = await _get(api)
        if b"200 OK" in answer:
            break
        await asyncio.sleep(0.1)
    assert b"200 OK" in answer
