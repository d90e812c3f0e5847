"""A port taken between picking it and sqld binding it: said as such, and a new sqld starts on other ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tursotui.local.engine import dataplane
from tursotui.local.engine.sqld import PortTakenError, SqldProcess, free_port
from tursotui.local.host.service import LocalTurso


@pytest.fixture
def taken() -> Iterator[int]:
    """A 127.0.0.1 port another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


def test_a_taken_port_is_named_as_such(tmp_path: Path, sqld_binary: Path, taken: int) -> None:
    process = SqldProcess(tmp_path / "data.sqld", http_port=taken, binary=sqld_binary)
    with pytest.raises(PortTakenError, match="another program took one of its ports"):
        process.start()
    assert not process.alive()


async def test_the_local_turso_starts_its_sqld_on_other_ports(
    tmp_path: Path, sqld_binary: Path, taken: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[int] = []

    def racy_free_port(avoid: tuple[int, ...] = ()) -> int:
        """The first port handed out is taken by the time sqld binds it."""
        port = taken if not handed else free_port(avoid)
        handed.append(port)
        return port

    monkeypatch.setattr(dataplane, "free_port", racy_free_port)
    async with LocalTurso(tmp_path / "local", binary=sqld_binary) as turso:
        primary = turso.cp.dataplane.primary.process
        assert primary.alive() and taken not in (primary.http_port, primary.admin_port)
    assert handed[0] == taken and len(handed) >= 6  # three ports, twice
