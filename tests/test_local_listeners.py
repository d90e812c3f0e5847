"""Every listener of the local Turso is a locked door (real sqld): a local process without credentials
gets nothing from any port the local Turso opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tursotui.local.service import LocalTurso

PIPELINE = {"requests": [{"type": "execute", "stmt": {"sql": "select 1"}}, {"type": "close"}]}


@pytest.fixture
async def org(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    """Group ``default`` (sjc + a fra replica) with database ``app``, group ``g2`` with ``other``."""
    turso = await LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary).start()
    platform = turso.platform_client(max_retries=0)
    try:
        await platform.create_group("default", "sjc")
        await platform.add_location("default", "fra")
        await platform.create_group("g2", "sjc")
        await platform.create_database("app", "default")
        await platform.create_database("other", "g2")
        yield turso
    finally:
        await platform.aclose()
        await turso.close()


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
