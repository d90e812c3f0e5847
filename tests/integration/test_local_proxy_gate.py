"""A database URL forwards only the routes stock clients use, and refuses an expired token at once
(real sqld behind the per-instance proxy)."""

from __future__ import annotations

import asyncio
import json
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import started_org

from tursotui.local.engine.proxy import namespace_header
from tursotui.local.host.service import LocalTurso

CREATE = {
    "requests": [
        {"type": "execute", "stmt": {"sql": "create table pwned(x)"}},
        {"type": "close"},
    ]
}
SELECT = {"requests": [{"type": "execute", "stmt": {"sql": "select 1"}}, {"type": "close"}]}


@pytest.fixture
async def two_groups(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    async with started_org(
        tmp_path / "local",
        sqld_binary,
        groups={"default": ["sjc"], "g2": ["sjc"]},
        databases=[("app", "default"), ("other", "g2")],
    ) as turso:
        yield turso


async def _raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


async def test_a_group_token_cannot_reach_another_group_through_dev_paths(
    two_groups: LocalTurso,
) -> None:
    cp = two_groups.cp
    app, other = cp.database("app"), cp.database("other")
    group_token = cp.keys.mint("default", database=None, read_only=False, expires_in=None)
    auth = {"Authorization": f"Bearer {group_token}"}
    app_url = f"http://127.0.0.1:{app.port}"
    attacks = [
        "/dev/other/v3/pipeline",
        "/dev/other/v2/pipeline",
        "/dev/other/v1/pipeline",
        "/dev/other/v3/pipeline?x=1",
        "//dev/other/v3/pipeline",
        "/v3/../dev/other/v3/pipeline",
        "/DEV/other/v3/pipeline",
        "/v1/jobs",
        "/console",
    ]
    async with httpx.AsyncClient(timeout=10) as http:
        # The door this closes was open: sqld itself serves `other` to app's group token.
        direct = await http.post(
            f"http://127.0.0.1:{cp.dataplane.primary.process.http_port}/dev/other/v3/pipeline",
            json=SELECT,
            headers={**auth, "x-namespace-bin": namespace_header("app").decode()},
        )
        assert direct.status_code == 200
        for path in attacks:
            answer = await http.post(f"{app_url}{path}", json=CREATE, headers=auth)
            assert answer.status_code == 404, (path, answer.text)
            assert "no such route" in answer.json()["error"]
        raw = await _raw(
            app.port,
            b"POST http://127.0.0.1/dev/other/v3/pipeline HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + group_token.encode() + b"\r\nContent-Length: 2\r\n\r\n{}",
        )
        assert raw.startswith(b"HTTP/1.1 404")
        # The group token still works where it belongs, through the routes clients use.
        assert (await http.post(f"{app_url}/v3/pipeline", json=SELECT, headers=auth)).is_success
        assert (await http.post(f"{app_url}/v2/pipeline", json=SELECT, headers=auth)).is_success
        assert (await http.get(f"{app_url}/dump", headers=auth)).is_success
        preflight = await http.options(
            f"{app_url}/v3/pipeline",
            headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.is_success and "access-control-allow-origin" in preflight.headers
        assert (await http.options(f"{app_url}/dev/other/v3/pipeline")).status_code == 404
    # Nothing reached `other`: no table was created in it.
    other_token = cp.keys.mint("g2", database="other", read_only=True, expires_in=None)
    async with httpx.AsyncClient(timeout=10) as http:
        tables = await http.post(
            f"http://127.0.0.1:{other.port}/v3/pipeline",
            json={
                "requests": [{"type": "execute", "stmt": {"sql": "select name from sqlite_master"}}]
            },
            headers={"Authorization": f"Bearer {other_token}"},
        )
    assert tables.is_success and "pwned" not in tables.text


async def test_a_token_reaches_only_its_own_databases_whatever_the_headers(
    two_groups: LocalTurso,
) -> None:
    """The proxy names its own database to sqld: a client's namespace header or Host is dropped."""
    cp = two_groups.cp
    group_token = cp.keys.mint("default", database=None, read_only=False, expires_in=None)
    app_token = cp.keys.mint("default", database="app", read_only=False, expires_in=None)
    app_ns = namespace_header("app")
    other_port = cp.database("other").port
    for token in (group_token, app_token):
        for extra in (
            b"x-namespace-bin: " + app_ns,
            b"X-Namespace-Bin : " + app_ns,
            b"X-Foo: a\r\n\tx-namespace-bin: " + app_ns,
            b"x-namespace-bin: " + app_ns + b"\r\nx-namespace-bin: " + app_ns,
        ):
            body = json.dumps(SELECT).encode()
            raw = await _raw(
                other_port,
                b"POST /v3/pipeline HTTP/1.1\r\nHost: app.localhost\r\n" + extra + b"\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\nConnection: close\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body,
            )
            status = raw.split(b" ", 2)[1]
            assert status in (b"400", b"401", b"404"), raw[:200]
            assert b'"rows"' not in raw


async def test_an_expired_token_is_refused_from_its_exp_on(two_groups: LocalTurso) -> None:
    cp = two_groups.cp
    app = cp.database("app")
    expired = cp.keys.mint("default", database="app", read_only=False, expires_in=-2)
    live = cp.keys.mint("default", database="app", read_only=False, expires_in=60)
    async with httpx.AsyncClient(timeout=10) as http:
        # sqld alone still takes it (its 60 s leeway)...
        direct = await http.post(
            f"{cp.dataplane.primary.process.http_url}/v3/pipeline",
            json=SELECT,
            headers={"Authorization": f"Bearer {expired}", "x-namespace-bin": "YXBw"},
        )
        assert direct.status_code == 200
        # ...the database URL does not, on every route, HTTP or replication.
        for method, path in (("POST", "/v3/pipeline"), ("GET", "/dump"), ("POST", "/v1/upload")):
            answer = await http.request(
                method,
                f"http://127.0.0.1:{app.port}{path}",
                json=SELECT,
                headers={"Authorization": f"Bearer {expired}"},
            )
            assert answer.status_code == 401, (path, answer.text)
            assert answer.json() == {"error": "token expired"}
        answer = await http.post(
            f"http://127.0.0.1:{app.port}/v3/pipeline",
            json=SELECT,
            headers={"Authorization": f"bearer {live}"},
        )
        assert answer.status_code == 200


def _client_frame(payload: bytes) -> bytes:
    """A masked text frame, as a WebSocket client sends it."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    size = bytes([0x80 | length]) if length < 126 else b"\xfe" + struct.pack("!H", length)
    return b"\x81" + size + mask + masked


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readexactly(2), 10)
    length = head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", await reader.readexactly(2))[0]
    return head[0] & 0x0F, await reader.readexactly(length)


async def _hello(port: int, token: str) -> list[tuple[int, bytes]]:
    """Open Hrana over WebSocket on ``port``, say hello with ``token``; the frames answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: hrana2\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101"), head
        writer.write(_client_frame(json.dumps({"type": "hello", "jwt": token}).encode()))
        frames = [await _read_frame(reader)]
        if frames[0][0] == 1 and b"hello_error" in frames[0][1]:
            frames.append(await _read_frame(reader))
        return frames
    finally:
        writer.close()


async def test_an_expired_token_is_refused_over_websocket_too(two_groups: LocalTurso) -> None:
    cp = two_groups.cp
    port = cp.database("app").port
    expired = cp.keys.mint("default", database="app", read_only=False, expires_in=-2)
    live = cp.keys.mint("default", database="app", read_only=False, expires_in=60)
    refused = await _hello(port, expired)
    assert refused[0][0] == 1 and json.loads(refused[0][1]) == {
        "type": "hello_error",
        "error": {"message": "token expired"},
    }
    assert refused[1][0] == 8  # then the close frame
    accepted = await _hello(port, live)
    assert accepted[0][0] == 1 and json.loads(accepted[0][1])["type"] == "hello_ok"
