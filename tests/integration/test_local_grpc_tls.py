"""gRPC replication between the local Turso's sqld runs over mutual TLS (real sqld).

A replica still serves what the primary wrote; a local process without our client certificate gets
nothing from the primary's gRPC port (plain HTTP/2, or TLS without a client certificate).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import stat
from pathlib import Path

import httpx
import pytest

from tursotui.libsql import HranaClient
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.engine.sqld import SqldProcess, free_port
from tursotui.local.host.service import LocalTurso

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
"""The HTTP/2 client preface and an empty SETTINGS frame: a gRPC server answers with its SETTINGS."""


def _exchange(sock: socket.socket | ssl.SSLSocket) -> bytes:
    """Send the HTTP/2 preface; what the server answers (b"" when it closes or refuses)."""
    sock.settimeout(5)
    try:
        sock.sendall(H2_PREFACE)
        return sock.recv(9)
    except (ssl.SSLError, ConnectionError, TimeoutError):
        return b""


def _settings_frame(data: bytes) -> bool:
    return len(data) >= 4 and data[3] == 0x04


def _tls(port: int, ca: Path, client: tuple[Path, Path] | None) -> bytes:
    context = ssl.create_default_context(cafile=str(ca))
    context.set_alpn_protocols(["h2"])
    if client is not None:
        context.load_cert_chain(str(client[0]), str(client[1]))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            sock = context.wrap_socket(raw, server_hostname="sqld")
        except (ssl.SSLError, ConnectionError):
            return b""
        with sock:
            return _exchange(sock)


async def _rows_on(url: str, token: str, sql: str) -> object:
    async with HranaClient(url, token) as client:
        return (await client.execute(sql)).rows


@pytest.fixture
async def replicated(tmp_path: Path, sqld_binary: Path) -> tuple[LocalTurso, str, str, str]:
    turso = await LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary).start()
    platform = turso.platform_client(max_retries=0)
    await platform.create_group("default", "sjc")
    await platform.add_location("default", "fra")
    created = await platform.create_database("app", "default")
    token = (await platform.create_database_token("app")).jwt
    await platform.aclose()
    replica_url = f"http://{turso.cp.hostname(turso.cp.database('app'), 'fra')}"
    return turso, created.url, replica_url, token


async def _replica_sees(replica_url: str, token: str, expected: object) -> bool:
    for _ in range(100):
        with contextlib.suppress(Exception):  # the table may not have reached the replica yet
            if await _rows_on(replica_url, token, "select x from t order by x") == expected:
                return True
        await asyncio.sleep(0.1)
    return False


async def test_replication_works_over_mutual_tls_and_strangers_get_nothing(
    replicated: tuple[LocalTurso, str, str, str], tmp_path: Path, sqld_binary: Path
) -> None:
    turso, url, replica_url, token = replicated
    try:
        async with HranaClient(url, token) as sql:
            await sql.batch(["create table t(x)", "insert into t values (1), (2)"])
        assert await _replica_sees(replica_url, token, ((1,), (2,)))

        primary = turso.cp.dataplane.node(PRIMARY).process
        tls = turso.cp.dataplane.grpc_tls
        assert tls is not None and primary.grpc_port is not None
        port = primary.grpc_port
        for path in tls.files:
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert not (tls.directory / "ca.key").exists()  # nobody can mint another client cert
        # Our client certificate gets the gRPC server's HTTP/2 SETTINGS (the probe is sound)...
        assert _settings_frame(_tls(port, tls.ca_cert, (tls.client_cert, tls.client_key)))
        # ...plain HTTP/2 (what every sqld replica spoke before) and TLS without it get nothing.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as plain:
            assert not _settings_frame(_exchange(plain))
        assert _tls(port, tls.ca_cert, None) == b""
        # The server's certificate is also no client certificate.
        assert _tls(port, tls.ca_cert, (tls.server_cert, tls.server_key)) == b""

        # A rogue replica sqld pointed at the port (plain gRPC) replicates nothing.
        rogue = SqldProcess(
            tmp_path / "rogue" / "data.sqld",
            binary=sqld_binary,
            namespaces=True,
            admin_port=free_port(),
            primary_grpc_url=f"http://127.0.0.1:{port}",
        ).start()
        try:
            # Its namespace create never gets the primary's log: it fails or hangs (bounded here).
            async with httpx.AsyncClient(base_url=rogue.admin_url, timeout=3) as admin:
                with contextlib.suppress(httpx.HTTPError):
                    await admin.post("/v1/namespaces/app/create", json={})
            body = {"requests": [{"type": "execute", "stmt": {"sql": "select x from t"}}]}
            async with httpx.AsyncClient(timeout=3) as http:
                try:
                    answer = (
                        await http.post(
                            f"{rogue.http_url}/v2/pipeline",
                            json=body,
                            headers={"x-namespace-bin": "YXBw"},
                        )
                    ).text
                except httpx.HTTPError as exc:
                    answer = type(exc).__name__
            assert '"rows"' not in answer, answer
        finally:
            rogue.stop()
    finally:
        await turso.close()


async def test_replication_over_tls_survives_a_restart(
    replicated: tuple[LocalTurso, str, str, str], sqld_binary: Path
) -> None:
    turso, url, replica_url, token = replicated
    async with HranaClient(url, token) as sql:
        await sql.batch(["create table t(x)", "insert into t values (1)"])
    await turso.close()
    again = await LocalTurso(turso.data_dir, recovery_interval=0, binary=sqld_binary).start()
    try:
        async with HranaClient(url, token) as sql:
            await sql.execute("insert into t values (2)")
        assert await _replica_sees(replica_url, token, ((1,), (2,)))
    finally:
        await again.close()
