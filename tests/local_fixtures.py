"""Fixtures for end-to-end tests against the local Turso on real sqld."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from contract import SpecValidator, ValidatingTransport

from tursotui.local.engine.limits import uvicorn_limits
from tursotui.local.engine.sqld import free_port
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.models import Seed


@pytest.fixture
async def local_turso(tmp_path: Path, sqld_binary: Path) -> AsyncIterator[LocalTurso]:
    turso = LocalTurso(tmp_path / "local", recovery_interval=0, binary=sqld_binary)
    await turso.start()
    try:
        yield turso
    finally:
        await turso.close()


@pytest.fixture
def validating_transport(local_turso: LocalTurso) -> ValidatingTransport:
    return SpecValidator.default().wrap(local_turso.transport())


@pytest.fixture
async def platform(
    local_turso: LocalTurso, validating_transport: ValidatingTransport
) -> AsyncIterator[PlatformClient]:
    """A Platform API client whose every request and response is checked against the spec."""
    client = PlatformClient(
        local_turso.api_token,
        organization=local_turso.organization,
        base_url=IN_PROCESS_BASE_URL,
        transport=validating_transport,
        max_retries=0,
    )
    try:
        yield client
    finally:
        await client.aclose()


@asynccontextmanager
async def started_org(
    directory: Path,
    binary: Path,
    *,
    groups: Mapping[str, Sequence[str]],
    databases: Sequence[tuple[str, str] | tuple[str, str, Seed]],
) -> AsyncIterator[LocalTurso]:
    """A local Turso with ``groups`` (name → primary location, then replica locations) and
    ``databases`` ((name, group) or (name, group, seed)), closed at the end."""
    turso = await LocalTurso(directory, recovery_interval=0, binary=binary).start()
    platform = turso.platform_client(max_retries=0)
    try:
        for group, (primary, *replicas) in groups.items():
            await platform.create_group(group, primary)
            for location in replicas:
                await platform.add_location(group, location)
        for name, group, *seed in databases:
            await platform.create_database(name, group, seed=seed[0] if seed else None)
        yield turso
    finally:
        await platform.aclose()
        await turso.close()


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """``app`` under uvicorn on a free 127.0.0.1 port with the Platform API's limits; yields the port."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", **uvicorn_limits()
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


async def closed_by_server(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, drip: bool
) -> bool:
    """Keep a head unfinished (a byte every 0.2 s when ``drip``) until the server closes (≤ 10 s)."""
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
