"""How a console or CLI command finds the local Turso already serving a data dir, to attach to it.

The local Turso is one server per data dir (:mod:`tursotui.local.engine.lock`). Once it serves, the server (``tursotui
local serve`` or the console's child) publishes ``local-turso.json`` in the data dir, mode 0600: its pid, its
127.0.0.1 port and its API token. A later console or command reads it and talks to that server over HTTP
instead of being refused. The server removes the file when it stops; a stale file (its pid gone, or the port
not answering with that token: a SIGKILL) is ignored and removed by whoever finds it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tursotui.support.atomic import atomic_write

DISCOVERY_FILE = "local-turso.json"
CHECK_TIMEOUT = 3.0
"""Seconds the running server has to answer the check (it answers in milliseconds)."""


@dataclass(frozen=True)
class RunningTurso:
    """A local Turso serving a data dir, as its discovery file says."""

    pid: int
    port: int
    api_token: str = field(repr=False)
    organization: str = ""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> str:
        return f"the local Turso served by pid {self.pid} on {self.base_url}"


def discovery_path(data_dir: Path) -> Path:
    return data_dir / DISCOVERY_FILE


def publish(data_dir: Path, port: int, api_token: str, organization: str) -> RunningTurso:
    """Say that this process serves ``data_dir`` on 127.0.0.1:``port`` (call it once it accepts)."""
    running = RunningTurso(os.getpid(), port, api_token, organization)
    text = json.dumps(asdict(running), indent=2) + "\n"
    atomic_write(discovery_path(data_dir), text.encode("utf-8"), mode=0o600)
    return running


def withdraw(data_dir: Path) -> None:
    """Remove the discovery file if this process published it (at stop)."""
    found = _read(discovery_path(data_dir))
    if found is not None and found.pid == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            discovery_path(data_dir).unlink()


def find_running(data_dir: Path) -> RunningTurso | None:
    """The local Turso serving ``data_dir``, checked live (its pid runs, its port answers its token), or None.

    A stale or unreadable file is removed."""
    path = discovery_path(data_dir)
    if not path.exists():
        return None
    found = _read(path)
    if found is not None and _alive(found.pid) and _answers(found):
        return found
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return None


def _read(path: Path) -> RunningTurso | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = RunningTurso(
            pid=int(data["pid"]),
            port=int(data["port"]),
            api_token=str(data["api_token"]),
            organization=str(data["organization"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if found.pid > 0 and 0 < found.port < 65536 else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: the port check decides
    return True


def _answers(found: RunningTurso) -> bool:
    """Does the port answer the Platform API with this token (not a stranger that reused the port)?"""
    import httpx

    from tursotui.support.loopback import loopback_only_tls

    try:
        with httpx.Client(timeout=CHECK_TIMEOUT, verify=loopback_only_tls()) as http:
            answer = http.get(
                f"{found.base_url}/v1/organizations",
                headers={"Authorization": f"Bearer {found.api_token}"},
            )
    except httpx.HTTPError:
        return False
    return answer.status_code == 200
