"""The Platform API's uvicorn with :func:`uvicorn_limits`: slowloris closed, connections past the cap refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tursotui.local.engine import limits
from tursotui.local.engine.sqld import free_port


async def _ok(_request: object) -> JSONResponse:
    return JSONResponse({"ok": True})


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[int]:
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 1.0)
    monkeypatch.setattr(limits, "API_MAX_CONNECTIONS", 40)
    port = free_port()
    app = Starlette(routes=[Route("/v1/ok", _ok)])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        **limits.uvicorn_limits(),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag only)
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


async def _get(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /v1/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return data


async def _closed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, drip: bool) -> bool:
    """Keep the head unfinished (one byte every 0.2 s when ``drip``) until the server closes, up to 10 s."""
    for _ in range(50):
        if drip:
            writer.write(b"X")
        try:
            if await asyncio.wait_for(reader.read(1024), 0.2) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionError:
            return True
    return False


async def test_a_slowloris_connection_is_closed_after_the_head_timeout(api: int) -> None:
    silent = await asyncio.open_connection("127.0.0.1", api)
    dripping = await asyncio.open_connection("127.0.0.1", api)
    dripping[1].write(b"GET /v1/ok HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert await _closed(*silent, drip=False)
    assert await _closed(*dripping, drip=True)
    # Keep-alive: a second request trickled after a first one is closed too.
    reader, writer = await asyncio.open_connection("127.0.0.1", api)
    writer.write(b"GET /v1/ok HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"200 OK" in await reader.readuntil(b'{"ok":true}')
    writer.write(b"GET /v1/ok HTTP/1.1\r\nX-Slow: ")
    assert await _closed(reader, writer, drip=True)
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
