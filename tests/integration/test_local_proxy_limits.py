"""Database URLs under slow and numerous clients (real sqld behind the proxy, bounded counts):
slowloris and idle connections are closed, connections past the cap get a 503 and close, and the
other databases stay reachable."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import closed_by_server

from tursotui.local.engine import limits
from tursotui.local.engine.proxy import NamespaceProxy
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.service import LocalTurso

SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "select 1"}}, {"type": "close"}]}


@pytest.fixture
async def org(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[tuple[LocalTurso, str]]:
    turso = await LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary).start()
    platform = turso.platform_client(max_retries=0)
    try:
        await platform.create_group("default", "sjc")
        await platform.create_database("app", "default")
        await platform.create_database("other", "default")
        token = turso.cp.keys.mint("default", database=None, read_only=False, expires_in=None)
        yield turso, token
    finally:
        await platform.aclose()
        await turso.close()


async def _query(port: int, token: str) -> int:
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(
            f"http://127.0.0.1:{port}/v3/pipeline",
            json=SELECT,
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code


async def test_slowloris_and_idle_connections_are_closed(
    org: tuple[LocalTurso, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    turso, token = org
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 1.0)
    monkeypatch.setattr(limits, "IDLE_TIMEOUT", 1.0)
    port = turso.cp.database("app").port
    silent = await asyncio.open_connection("127.0.0.1", port)
    dripping = await asyncio.open_connection("127.0.0.1", port)
    dripping[1].write(b"POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    assert await closed_by_server(*silent, drip=False)
    assert await closed_by_server(*dripping, drip=True)
    # A keep-alive connection: served, then closed once idle, and a trickled second head is closed too.
    body = b'{"requests":[{"type":"execute","stmt":{"sql":"select 1"}}]}'
    request = (
        b"POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + token.encode()
        + b"\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    )
    for second in (None, b"POST /v3/pipeline HTTP/1.1\r\nX-Slow: "):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        assert (await reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 200")
        await reader.readuntil(b"}]}")
        if second is not None:
            writer.write(second)
        assert await closed_by_server(reader, writer, drip=second is not None)
    assert await _query(port, token) == 200


async def test_connections_past_the_cap_get_503_and_other_databases_still_answer(
    org: tuple[LocalTurso, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    turso, token = org
    monkeypatch.setattr(limits, "PER_LISTENER", 100)
    app, other = turso.cp.database("app").port, turso.cp.database("other").port
    fds_before = len(os.listdir("/proc/self/fd"))
    held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for _ in range(300):  # idle connections, as a flood would open (bounded here)
            held.append(await asyncio.open_connection("127.0.0.1", app))
        answers = await asyncio.gather(
            *(asyncio.wait_for(reader.read(), 0.5) for reader, _ in held[100:]),
            return_exceptions=True,
        )
        refused = [a for a in answers if isinstance(a, bytes) and a.startswith(b"HTTP/1.1 503")]
        assert len(refused) == 200
        assert all(b"too many connections" in a for a in refused)
        proxy = turso.cp.dataplane.proxies[("app", "primary")]
        assert proxy.budget.open == 100
        await asyncio.sleep(limits.LINGER + 0.3)  # the refused ones are closed on our side too
        # The accepted 100 hold one fd each in this process (no sqld connection until a request):
        # the client sockets are 300 of the growth, the server side at most 100 more.
        assert len(os.listdir("/proc/self/fd")) - fds_before <= 300 + 100 + 20
        # Another database is untouched; this one answers again as soon as a slot frees.
        assert await _query(other, token) == 200
        assert await _query(app, token) == 503
        held.pop(0)[1].close()
        for _ in range(50):
            if proxy.budget.open < 100:
                break
            await asyncio.sleep(0.05)
        assert await _query(app, token) == 200
    finally:
        for _, writer in held:
            writer.close()


async def test_past_the_overall_cap_a_new_client_takes_an_idle_connections_place(
    org: tuple[LocalTurso, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle connections spread over every database up to the overall cap do not shut clients out:
    a new connection evicts the one that has waited longest for a request head."""
    turso, token = org
    monkeypatch.setattr(limits, "OVERALL", 60)
    monkeypatch.setattr(limits, "PER_LISTENER", 50)
    app, other = turso.cp.database("app").port, turso.cp.database("other").port
    held = [await asyncio.open_connection("127.0.0.1", app) for _ in range(50)]
    held += [await asyncio.open_connection("127.0.0.1", other) for _ in range(10)]
    try:
        for _ in range(50):
            if limits.ConnectionBudget.total >= 60:
                break
            await asyncio.sleep(0.02)
        assert limits.ConnectionBudget.total == 60
        evicted = limits.ConnectionBudget.evicted
        # Both clients stay connected: each new connection needs a place of its own.
        auth = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=10) as one, httpx.AsyncClient(timeout=10) as two:
            for http, port in ((one, other), (two, app)):
                answer = await http.post(
                    f"http://127.0.0.1:{port}/v3/pipeline", json=SELECT, headers=auth
                )
                assert answer.status_code == 200
            assert limits.ConnectionBudget.evicted == evicted + 2
        # The oldest idle ones (the first to app) were closed; the budget never passed the cap.
        assert await asyncio.wait_for(held[0][0].read(), 5) == b""
        assert limits.ConnectionBudget.total <= 60
    finally:
        for _, writer in held:
            writer.close()


async def test_accept_errors_are_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio logs every failed accept (EMFILE); once a proxy listens, one gets through per interval."""
    proxy = NamespaceProxy("app", free_port())
    await proxy.start()
    try:
        limits._ASYNCIO_FILTER._last.clear()  # a fresh interval, whatever ran before
        logger = logging.getLogger("asyncio")
        error = OSError(24, "Too many open files")
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for n in range(1000):
                logger.error(
                    "socket.accept() out of system resource\nsocket: <socket %d>", n, exc_info=error
                )
        assert len([r for r in caplog.records if "accept" in r.getMessage()]) == 1
    finally:
        await proxy.stop()
