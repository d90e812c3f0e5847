"""The console's local Turso, run as a child process (:mod:`tursotui.local.child`).

The console and the local Turso then use both cores: Textual imports and paints while the child imports the
control plane, boots sqld and attaches the databases (benchmarks/cold_start.py). The console reaches it like Turso
Cloud, over HTTP (127.0.0.1, its API token); the child stops with every sqld when the console closes its stdin,
and also when the console dies (its stdin reaches EOF).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tursotui.config import CliOptions
from tursotui.local.state import OrgState, StateError, StateStore, ensure_api_token
from tursotui.loopback import loopback_only_tls

if TYPE_CHECKING:
    from tursotui.platform import PlatformClient

START_TIMEOUT = 300.0
"""The first start creates the demo org (3,000 users, two replica locations): seconds, not minutes."""
STOP_TIMEOUT = 20.0
LOG_NAME = "console-child.log"


class LocalTursoFailed(StateError):
    """The local Turso's process could not start; the message says why."""


class LocalTursoProcess:
    """The child, its address and API token, known before it serves.

    The console binds the listening socket itself and hands it down: its Platform client can be built (and the
    app started) at once, while the child boots sqld; :meth:`ready` says when it serves, or why it cannot.
    """

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        log_path: Path,
        port: int,
        api_token: str,
        organization: str,
    ) -> None:
        self.process = process
        self.log_path = log_path
        self.port = port
        self.api_token = api_token
        self.organization = organization
        self.had_databases = False
        """The local Turso already had databases: the child will not create the demo org or touch config."""
        self.start_timeout = START_TIMEOUT
        self.stop_timeout = STOP_TIMEOUT

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    async def spawn(cls, options: CliOptions, data_dir: Path) -> LocalTursoProcess:
        """Start the child now on a socket bound here; its stderr goes to a 0600 log in ``data_dir``."""
        api_token, state, log_fd = _prepare(data_dir)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            # No cloud tokens on the child's command line (ps shows it); the local Turso needs none.
            fields = asdict(replace(options, api_token=None, auth_token=None))
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *os.environ.get("CHILD_ARGS", "-m tursotui.local.child").split(),
                json.dumps(fields),
                str(sock.fileno()),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_fd,
                pass_fds=(sock.fileno(),),
                start_new_session=True,  # a ctrl+c at the terminal is the console's, not the child's
            )
            port = int(sock.getsockname()[1])
        finally:
            os.close(log_fd)
            sock.close()  # the child holds it now: if it dies, connections are refused, not left waiting
        child = cls(process, data_dir / LOG_NAME, port, api_token, state.slug)
        child.had_databases = bool(state.databases)
        return child

    async def ready(self) -> tuple[str, ...]:
        """Once the child serves: what its start had to fix (stale sqld stopped, a port moved), for the
        operator. :class:`LocalTursoFailed` naming why, if it cannot start."""
        assert self.process.stdout is not None
        timeout = self.start_timeout
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            raise LocalTursoFailed(
                f"the local Turso did not start within {timeout:g} s (log: {self.log_path})"
            ) from None
        try:
            message = json.loads(line) if line.strip() else {}
        except ValueError:
            message = {}
        if message.get("ready") is not True:
            await self.process.wait()
            reason = message.get("error") or self._log_tail() or "no reason given"
            raise LocalTursoFailed(
                f"the local Turso could not start (exit {self.process.returncode}): {reason}"
            )
        return tuple(str(n) for n in message.get("notices", ()))

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def platform_client(self, **kwargs: object) -> PlatformClient:
        import httpx

        from tursotui.platform import PlatformClient

        transport = httpx.AsyncHTTPTransport(verify=loopback_only_tls())
        return PlatformClient(
            self.api_token,
            organization=self.organization,
            base_url=self.base_url,
            transport=transport,
            **kwargs,  # type: ignore[arg-type]
        )

    async def close(self) -> None:
        """Close its stdin (it stops every sqld and exits); SIGTERM, then SIGKILL, if it does not."""
        process = self.process
        timeout = self.stop_timeout
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
            try:
                await asyncio.wait_for(process.wait(), timeout)
                return
            except TimeoutError:
                timeout = 5.0


def _prepare(data_dir: Path) -> tuple[str, OrgState, int]:
    """The API token (created on first use, as the child would), the org state, the child's log."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    api_token, _ = ensure_api_token(data_dir / "api-token")
    state = StateStore(data_dir).load()
    return (
        api_token,
        state,
        os.open(data_dir / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    )
