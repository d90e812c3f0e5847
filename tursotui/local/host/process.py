"""The console's local Turso, run as a child process (:mod:`tursotui.local.host.child`).

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
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tursotui.config import CliOptions
from tursotui.local.control.state import StateError, StateStore, ensure_api_token
from tursotui.local.engine.pidfiles import reap_stale_sqld
from tursotui.support.loopback import loopback_only_tls

if TYPE_CHECKING:
    from tursotui.platform import PlatformClient

RESTART_DELAYS = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds before a restart: the first exit restarts at once; each further exit in a row that came within a
minute of its start waits the next delay."""
SERVED_LONG_ENOUGH = 60.0
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
        options: CliOptions,
        data_dir: Path,
        api_token: str,
        organization: str,
    ) -> None:
        self.options = options
        self.data_dir = data_dir
        self.log_path = data_dir / LOG_NAME
        self.port = 0
        self.api_token = api_token
        self.organization = organization
        self.had_databases = False
        """The local Turso already had databases: the child will not create the demo org or touch config."""
        self.start_timeout = START_TIMEOUT
        self.stop_timeout = STOP_TIMEOUT
        self.restart_delays = RESTART_DELAYS
        self._closed = asyncio.Event()
        self._process: asyncio.subprocess.Process | None = None
        self._reserved: socket.socket | None = None
        """Bound by :meth:`spawn`, handed to the child by :meth:`start`."""

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self._process is not None, "spawn() starts it"
        return self._process

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    async def spawn(
        cls, options: CliOptions, data_dir: Path, *, start: bool = True
    ) -> LocalTursoProcess:
        """Start the child on a socket bound here; its stderr goes to a 0600 log in ``data_dir``.

        ``start=False``: only bind the socket (the address, the API token and the Platform client are known);
        the child starts at :meth:`start` (the console's first frame is drawn first)."""
        api_token, slug, has_databases = _prepare(data_dir)
        child = cls(options, data_dir, api_token, slug)
        child.had_databases = has_databases
        child._reserved = child._bind()
        if start:
            await child.start()
        return child

    async def start(self) -> None:
        """Start the child on the socket :meth:`spawn` bound (once)."""
        if self._process is None and not self._closed.is_set():
            await self._start()

    def _bind(self) -> socket.socket:
        """A listening socket on ``self.port`` (any free port the first time; then ``self.port`` is it)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # A restart takes the same port again (the client keeps its address).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        return sock

    async def _start(self) -> None:
        """A new child on ``self.port``: on the socket :meth:`spawn` bound, or a new one (a restart)."""
        sock, self._reserved = self._reserved, None
        if sock is None:
            sock = self._bind()
        try:
            log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError:
            sock.close()
            raise
        try:
            # No cloud tokens on the child's command line (ps shows it); the local Turso needs none.
            fields = asdict(replace(self.options, api_token=None, auth_token=None))
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tursotui.local.host.child",
                json.dumps(fields),
                str(sock.fileno()),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log_fd,
                pass_fds=(sock.fileno(),),
                start_new_session=True,  # a ctrl+c at the terminal is the console's, not the child's
            )
        finally:
            os.close(log_fd)
            sock.close()  # the child holds it now: if it dies, connections are refused, not left waiting

    async def keep_running(
        self, restarted: Callable[[str, asyncio.Future[tuple[str, ...]]], None]
    ) -> None:
        """Restart the child on the same port each time it exits, until :meth:`close`.

        ``restarted(why, ready)`` is told each time: why it restarts, and its :meth:`ready`. The platform client
        (same address, same token) keeps working once it serves again. Quick exits in a row wait longer before
        each restart (:data:`RESTART_DELAYS`).
        """
        quick_exits = 0
        while not self._closed.is_set():
            started = time.monotonic()
            code = await self.process.wait()
            if self._closed.is_set():
                return
            quick_exits = 0 if time.monotonic() - started >= SERVED_LONG_ENOUGH else quick_exits + 1
            delay = self.restart_delays[min(max(quick_exits - 1, 0), len(self.restart_delays) - 1)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), delay)
            if self._closed.is_set():
                return
            why = f"the local Turso stopped unexpectedly ({exit_text(code)}; log: {self.log_path})"
            try:
                await self._start()
            except OSError as exc:  # the port was taken meanwhile: nothing more to try
                restarted(why, _failed(LocalTursoFailed(f"{why}; cannot restart it: {exc}")))
                return
            ready = asyncio.ensure_future(self.ready())
            ready.add_done_callback(
                _retrieved
            )  # a failed start the console never awaited is no warning
            restarted(why, ready)

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
                f"the local Turso could not start ({exit_text(self.process.returncode or 0)}): {reason}"
            )
        return tuple(str(n) for n in message.get("notices", ()))

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def platform_client(self, **kwargs: object) -> PlatformClient:
        from tursotui.platform import PlatformClient

        return PlatformClient(
            self.api_token,
            organization=self.organization,
            base_url=self.base_url,
            tls=loopback_only_tls,  # plain HTTP to 127.0.0.1: no CA bundle loaded
            **kwargs,  # type: ignore[arg-type]
        )

    async def close(self) -> None:
        """Close its stdin (it stops every sqld and exits); SIGTERM, then SIGKILL, if it does not.

        Also ends :meth:`keep_running`, and stops a child it was starting meanwhile. A child that was killed
        (not restarted since) left its sqld running: they are stopped too (pid files; only once their owner is
        gone and pid, start time and command line still match)."""
        self._closed.set()
        if self._reserved is not None:  # never started
            self._reserved.close()
            self._reserved = None
        stopped = None
        while self._process is not None and self._process is not stopped:
            stopped = self._process
            await self._stop(stopped)
        sqld = self.data_dir / "sqld"
        await asyncio.to_thread(reap_stale_sqld, sqld / "pids", sqld)

    async def _stop(self, process: asyncio.subprocess.Process) -> None:
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


def _prepare(data_dir: Path) -> tuple[str, str, bool]:
    """The API token (created on first use, as the child would), the org's slug and whether it has databases
    (from state.json's top lines when it can: an org of 10,000 is not parsed for them)."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    api_token, _ = ensure_api_token(data_dir / "api-token")
    store = StateStore(data_dir)
    peeked = store.peek()
    if peeked is not None:
        return api_token, *peeked
    state = store.load()
    return api_token, state.slug, bool(state.databases)


def exit_text(code: int) -> str:
    """``exit 1`` or ``killed by SIGKILL`` (asyncio gives a signal as a negative code)."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit {code}"


def _failed(exc: Exception) -> asyncio.Future[tuple[str, ...]]:
    future: asyncio.Future[tuple[str, ...]] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    _retrieved(future)
    return future


def _retrieved(future: asyncio.Future[tuple[str, ...]]) -> None:
    if not future.cancelled():
        future.exception()
