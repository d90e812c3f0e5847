"""Fixtures for end-to-end tests against the local Turso on real sqld."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from contract import SpecValidator, ValidatingTransport

from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient


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
