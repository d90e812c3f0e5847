"""Shared fixtures: the real sqld on 127.0.0.1, stopped by PID, and isolation from user config.

The tree: unit/ (no sqld), integration/ (real sqld), ui/ (Textual Pilot and snapshots), properties/ (hypothesis),
architecture/ (the layers), fixtures/ (shared helpers). Every test that needs the real sqld carries the ``sqld``
marker (set here: everything under integration/ and every test using the ``sqld_binary`` fixture, directly or
through ``local_turso``, ``platform``, ...), so ``pytest -m "not sqld"`` is the fast subset that needs no sqld.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tursotui.local.control.keys import SigningKey
from tursotui.local.engine.sqld import SqldProcess, find_sqld, free_port

pytest_plugins = ["fixtures.local_turso"]

_TESTS = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqld: needs the real sqld binary (deselect with -m 'not sqld')"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        in_integration = (_TESTS / "integration") in item.path.parents
        if in_integration or "sqld_binary" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.sqld)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user config, .env or token leaks in from the machine running the tests."""
    for name in ("TURSO_AUTH_TOKEN", "TURSO_API_TOKEN", "TURSOTUI_CONFIG", "TURSOTUI_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture(scope="session")
def sqld_binary() -> Path:
    return find_sqld()


@pytest.fixture
def sqld(tmp_path: Path, sqld_binary: Path) -> Iterator[SqldProcess]:
    """A plain sqld without auth."""
    proc = SqldProcess(tmp_path / "sqld" / "data.sqld", binary=sqld_binary).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def sqld_auth(tmp_path: Path, sqld_binary: Path, signing_key: SigningKey) -> Iterator[SqldProcess]:
    """A sqld that requires EdDSA JWTs signed by ``signing_key``."""
    key_file = tmp_path / "jwt.pub"
    key_file.write_text(signing_key.public_b64url())
    proc = SqldProcess(
        tmp_path / "sqld-auth" / "data.sqld", binary=sqld_binary, jwt_key_file=key_file
    ).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def sqld_namespaces(tmp_path: Path, sqld_binary: Path) -> Iterator[SqldProcess]:
    """A sqld with namespaces and its admin API, as the local Turso runs it."""
    proc = SqldProcess(
        tmp_path / "sqld-ns" / "data.sqld",
        binary=sqld_binary,
        namespaces=True,
        admin_port=free_port(),
        grpc_port=free_port(),
    ).start()
    try:
        yield proc
    finally:
        proc.stop()
