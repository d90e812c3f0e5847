"""Every listener of the local Turso is a locked door (real sqld): a local process without credentials
gets nothing from any port the local Turso opened."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fixtures.local_turso import serving, started_org

from tursotui.libsql import HranaClient
from tursotui.local.engine.proxy import namespace_header
from tursotui.local.host.service import LocalTurso

PIPELINE = {"requests": [{"type": "execute", "stmt": {"sql": "select 1"}}, {"type": "close"}]}


@pytest.fixture
async def org(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    """Group ``default`` (sjc + a fra replica) with database ``app``, group ``g2`` with ``other``."""
    async with started_org(
        tmp_path / "local",
        sqld_binary,
        groups={"default": ["sjc", "fra"], "g2": ["sjc"]},
        databases=[("app", "default"), ("other", "g2")],
    ) as turso:
        yield turso


async def test_no_sqld_serves_a_default_namespace(org: LocalTurso) -> None:
    """A request naming no namespace never reaches an open keyless `default` database."""
    nodes = list(org.cp.dataplane.nodes.values())
    assert len(nodes) == 2
    async with httpx.AsyncClient(timeout=10) as http:
        for node in nodes:
            for host in ("localhost", "127.0.0.1", f"127.0.0.1:{node.process.http_port}"):
                answer = await http.post(
                    f"{node.process.http_url}/v2/pipeline", json=PIPELINE, headers={"Host": host}
                )
                assert answer.status_code in (400, 404), (node.location, host, answer.text)
                assert "rows" not in answer.text
            # sqld creates `default` on demand when named: it takes no token (no key of ours opens it).
            for headers in ({"Host": "default.localhost"}, {"x-namespace-bin": "ZGVmYXVsdA"}):
                answer = await http.post(
                    f"{node.process.http_url}/v2/pipeline", json=PIPELINE, headers=headers
                )
                assert answer.status_code == 401, (node.location, headers, answer.text)


# --- every listening socket, probed without credentials ---


@dataclass(frozen=True)
class Listener:
    kind: str  # proxy, sqld-http, sqld-admin, sqld-grpc, platform-api
    port: int
    name: str
    namespace: str = ""


def _listeners(turso: LocalTurso, api_port: int) -> list[Listener]:
    """Every listening socket the local Turso opened, from its own objects."""
    found = [Listener("platform-api", api_port, "Platform API")]
    for (database, location), proxy in turso.cp.dataplane.proxies.items():
        assert proxy.port is not None
        found.append(Listener("proxy", proxy.port, f"{database}@{location}", database))
    for node in turso.cp.dataplane.nodes.values():
        process = node.process
        found.append(Listener("sqld-http", process.http_port, f"sqld {node.location} http"))
        assert process.admin_port is not None
        found.append(Listener("sqld-admin", process.admin_port, f"sqld {node.location} admin"))
        if process.grpc_port is not None:
            found.append(Listener("sqld-grpc", process.grpc_port, f"sqld {node.location} grpc"))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _listening_ports(pids: list[int]) -> set[tuple[str, int]]:
    """(address, port) of every TCP listening socket these processes hold (/proc/net/tcp{,6})."""
    inodes = set().union(*(_socket_inodes(pid) for pid in pids))
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    address, port = fields[1].split(":")
                    found.add((address, int(port, 16)))
    return found


def _h2_answer(port: int, context: ssl.SSLContext | None) -> bytes:
    """The first bytes a gRPC port answers to an HTTP/2 preface (b"" when refused)."""
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            sock: socket.socket = raw
            if context is not None:
                sock = context.wrap_socket(raw, server_hostname="sqld")
            sock.sendall(preface)
            return sock.recv(9)
    except (ssl.SSLError, ConnectionError, TimeoutError):
        return b""


async def _probe(http: httpx.AsyncClient, listener: Listener, tokens: dict[str, str]) -> str:
    """What a local process without credentials gets; raises unless it is nothing."""
    base = f"http://127.0.0.1:{listener.port}"
    if listener.kind == "platform-api":
        for headers in ({}, {"Authorization": f"Bearer {tokens['app']}"}):
            answer = await http.get(f"{base}/v1/organizations/local/databases", headers=headers)
            assert answer.status_code == 401, (listener, answer.text)
        return "401"
    if listener.kind == "proxy":
        stranger = tokens["other"] if listener.namespace != "other" else tokens["app"]
        for headers in ({}, {"Authorization": f"Bearer {stranger}"}):
            for path in ("/v3/pipeline", "/v2/pipeline", "/dev/app/v3/pipeline"):
                answer = await http.post(f"{base}{path}", json=PIPELINE, headers=headers)
                assert answer.status_code in (401, 403, 404), (listener, path, answer.text)
                assert '"rows"' not in answer.text
            dump = await http.get(f"{base}/dump", headers=headers)
            assert dump.status_code in (401, 403, 404) and "CREATE" not in dump.text.upper()
        return "401/404"
    if listener.kind == "sqld-http":
        for headers in (
            {"x-namespace-bin": namespace_header("app").decode()},
            {"x-namespace-bin": namespace_header("other").decode()},
            {"Host": "app.localhost"},
            {"Host": "default.localhost"},
            {"Host": "localhost"},
        ):
            # sqld closes a connection after answering before the body came: one per request.
            answer = await http.post(
                f"{base}/v3/pipeline", json=PIPELINE, headers={**headers, "Connection": "close"}
            )
            assert answer.status_code in (400, 401, 404), (listener, headers, answer.text)
            assert '"rows"' not in answer.text
        return "400/401"
    if listener.kind == "sqld-admin":
        for method, path in (
            ("GET", "/v1/namespaces/app/config"),
            ("POST", "/v1/namespaces/x/create"),
        ):
            answer = await http.request(method, f"{base}{path}", json={})
            assert answer.status_code == 401, (listener, path, answer.text)
        return "401"
    assert listener.kind == "sqld-grpc"
    plain = await asyncio.to_thread(_h2_answer, listener.port, None)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    tls = await asyncio.to_thread(_h2_answer, listener.port, context)
    assert not (len(plain) >= 4 and plain[3] == 0x04), listener
    assert tls == b"", listener
    return "handshake refused"


async def _every_listener_refuses(turso: LocalTurso, tokens: dict[str, str]) -> dict[str, int]:
    async with serving(turso.app) as api_port:
        listeners = _listeners(turso, api_port)
        pids = [
            os.getpid(),
            *(n.process.pid for n in turso.cp.dataplane.nodes.values() if n.process.pid),
        ]
        opened = _listening_ports(pids)
        assert {port for _, port in opened} == {item.port for item in listeners}
        assert {address for address, _ in opened} == {"0100007F"}  # 127.0.0.1 only
        counts: dict[str, int] = {}
        async with httpx.AsyncClient(timeout=10) as http:
            for listener in listeners:
                await _probe(http, listener, tokens)
                counts[listener.kind] = counts.get(listener.kind, 0) + 1
        return counts


async def test_every_listener_gives_a_stranger_nothing_before_and_after_a_restart(
    org: LocalTurso, sqld_binary: Path
) -> None:
    platform = org.platform_client(max_retries=0)
    tokens = {name: (await platform.create_database_token(name)).jwt for name in ("app", "other")}
    await platform.aclose()
    async with HranaClient(f"http://127.0.0.1:{org.cp.database('app').port}", tokens["app"]) as sql:
        await sql.batch(["create table secret(x)", "insert into secret values ('hunter2')"])
    first = await _every_listener_refuses(org, tokens)
    assert first == {"platform-api": 1, "proxy": 3, "sqld-http": 2, "sqld-admin": 2, "sqld-grpc": 1}
    data_dir = org.data_dir
    await org.close()
    again = await LocalTurso(data_dir, recovery_interval=0, binary=sqld_binary).start()
    try:
        assert await _every_listener_refuses(again, tokens) == first
        # The owners still get in: the door is locked, not walled up.
        async with HranaClient(
            f"http://127.0.0.1:{again.cp.database('app').port}", tokens["app"]
        ) as sql:
            assert (await sql.execute("select x from secret")).rows == (("hunter2",),)
    finally:
        await again.close()
