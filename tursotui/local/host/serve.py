"""`tursotui local serve`: the local Turso's Platform API on 127.0.0.1 for any other client."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import sys
from asyncio import FIRST_COMPLETED
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tursotui.config import Settings
from tursotui.local.control.platforms import legacy_groups
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.control.state import StateError
from tursotui.local.engine.lock import LocalTursoBusy
from tursotui.local.host.demo import DEFAULT_USERS, DemoOrg, ensure_demo_org, files_are_ours
from tursotui.local.host.discovery import find_running, publish, withdraw
from tursotui.local.host.fleet import build_fleet
from tursotui.local.host.service import LocalTurso
from tursotui.ops.tokens import TokenLedger
from tursotui.stopsignals import run_stoppable

LOOPBACK = "127.0.0.1"
STOP_GRACE = 5
"""Seconds requests in flight get to finish once the server is told to stop (a signal, the console quitting)."""


def local_data_dir(settings: Settings) -> Path:
    return settings.data_dir / "local-turso"


def configured_profile(settings: Settings) -> ProfileChoice:
    """The profile ``[tursotui] local_plan``, ``local_overages`` and ``local_platform`` ask for (None: keep)."""
    tui = settings.config.tursotui
    return ProfileChoice(
        plan=tui.local_plan, overages=tui.local_overages, platform=tui.local_platform
    )


def open_local_turso(settings: Settings, profile: ProfileChoice | None = None) -> LocalTurso:
    """``profile``: flags given at this start, over the config's keys."""
    return LocalTurso(
        local_data_dir(settings),
        retention_days=settings.config.turso.backup.retention_days,
        recovery_interval=settings.config.tursotui.local_recovery_interval_seconds,
        profile=(profile or ProfileChoice()).over(configured_profile(settings)),
    )


@dataclass
class StartedTurso:
    """A started local Turso and what its start did (the demo org, config.toml/.env written or left alone)."""

    turso: LocalTurso
    demo: DemoOrg | None = None
    notes: list[str] = field(default_factory=list)
    """For the operator: config.toml/.env written (and their backups), or left alone and how to use them."""

    @property
    def notices(self) -> list[str]:
        return [*self.turso.notices, *self.notes]


async def start_local_turso(
    settings: Settings,
    *,
    demo: bool = False,
    users: int = DEFAULT_USERS,
    profile: ProfileChoice | None = None,
) -> StartedTurso:
    """The one way to start the local Turso of ``settings``: CLI commands, ``local serve`` and the console's
    child all come here. ``demo``: create the demo org when there is no database yet, and point config.toml/.env
    at it only when they are absent or already point at this local Turso (:func:`files_are_ours`).

    A stop signal during the start (a cancellation) lets it finish, then closes it: a sqld being started in a
    thread meanwhile would otherwise be left running."""
    turso = open_local_turso(settings, profile)
    starting = asyncio.ensure_future(_start(turso, settings, demo, users))
    try:
        return await asyncio.shield(starting)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await starting
        await turso.close()
        raise


async def _start(turso: LocalTurso, settings: Settings, demo: bool, users: int) -> StartedTurso:
    await turso.start()
    if not demo:
        return StartedTurso(turso)
    try:
        # The demo org stays the seed's (a Fly group with replicas), on the aws platform too.
        with legacy_groups(turso.cp):
            made = await ensure_demo_org(
                turso,
                config_path=settings.config_path,
                env_path=settings.env_path,
                users=users,
                write_config=files_are_ours(settings),
                expiration=settings.config.tursotui.token_expiration,
                ledger=TokenLedger.in_data_dir(settings.data_dir),
            )
    except BaseException:
        await turso.close()
        raise
    return StartedTurso(turso, made, list(made.notes))


def token_notice(turso: LocalTurso, base_url: str) -> str:
    path = turso.data_dir / "api-token"
    return (
        "Local Turso API token (shown once; stored with mode 0600 in "
        f"{path}):\n\n    {turso.api_token}\n\n"
        "Use it like a Turso Platform API token:\n"
        f"    export TURSO_API_TOKEN=$(cat {path})\n"
        f'    curl -H "Authorization: Bearer $TURSO_API_TOKEN" {base_url}/v1/organizations\n'
    )


async def serve_api(
    turso: LocalTurso,
    sock: socket.socket,
    started: Callable[[], None],
    until: asyncio.Future[None] | None = None,
) -> None:
    """Serve ``turso``'s Platform API on the listening ``sock`` (127.0.0.1); ``started()`` once it accepts.

    Once it accepts, it publishes the discovery file (:mod:`tursotui.local.host.discovery`): consoles and commands on
    this data dir attach to it. Returns when ``until`` is done or uvicorn stops; cancelled (a stop signal), it
    withdraws the file and stops uvicorn first."""
    import uvicorn

    from tursotui.local.engine.limits import uvicorn_limits

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # the stop signals are the caller's (uvicorn's re-raised them before the close)

    config = uvicorn.Config(
        turso.app,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=STOP_GRACE,
        **uvicorn_limits(),  # head timeout, keep-alive, connection cap
    )
    server = Server(config)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    try:
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn exposes a flag only)
            await asyncio.sleep(0.002)
        if server.started:
            port = int(sock.getsockname()[1])
            publish(turso.data_dir, port, turso.api_token, turso.organization)
            started()
        await asyncio.wait([serving, *([until] if until else [])], return_when=FIRST_COMPLETED)
    finally:
        withdraw(turso.data_dir)  # consoles and commands started from now on start their own
        server.should_exit = True
        await asyncio.wait([serving])
    serving.result()


async def _serve(
    settings: Settings,
    sock: socket.socket,
    users: int,
    out: TextIO,
    profile: ProfileChoice | None,
    fleet: int = 0,
) -> int:
    port = int(sock.getsockname()[1])
    started = await start_local_turso(settings, demo=True, users=users, profile=profile)
    turso = started.turso
    try:
        if fleet:
            print(f"Building a fleet of {fleet:,} tenant databases…", file=out, flush=True)
            report = await build_fleet(
                turso, fleet, progress=lambda line: print(line, file=out, flush=True)
            )
            print(report.describe(), file=out)
        base_url = f"http://{LOOPBACK}:{port}"
        if turso.cp.api_token_created:
            print(token_notice(turso, base_url), file=out)
        if started.demo is not None and started.demo.created:
            print(
                f"Created the demo organization: {started.demo.users} users in xswarm-users.",
                file=out,
            )
        for note in started.notices:
            print(note, file=out)
        print(f"Profile: {turso.profile.describe()}.", file=out)

        def serving() -> None:
            print(
                f"Local Turso Platform API on {base_url} (organization '{turso.organization}'); "
                "ctrl+c stops it and every sqld it started.",
                file=out,
                flush=True,
            )

        await serve_api(turso, sock, serving)
    finally:
        await turso.close()
    return 0


def serve(
    settings: Settings,
    port: int,
    users: int = DEFAULT_USERS,
    out: TextIO = sys.stdout,
    profile: ProfileChoice | None = None,
    fleet: int = 0,
) -> int:
    """Serve until stopped: 0 when uvicorn stops by itself, 128 + signum after a stop signal (every sqld
    stopped first). ``profile``: the ``--plan``/``--overages``/``--platform`` flags, over the config's keys;
    ``fleet``: first make sure the org holds that many tenant databases (:mod:`tursotui.local.host.fleet`)."""
    running = find_running(local_data_dir(settings))
    if running is not None:
        raise LocalTursoBusy(
            f"{running.describe()} already serves {local_data_dir(settings)}: consoles and commands on this "
            "data dir use it; stop it first (ctrl+c there), or serve another data dir (--data-dir)"
        )
    sock = listen(port)  # before anything is created or printed: a busy port is said first
    try:
        return run_stoppable(_serve(settings, sock, users, out, profile, fleet))
    finally:
        sock.close()


def listen(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:``port``; :class:`StateError` naming the port when it is busy."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # As uvicorn does: a port in TIME_WAIT is free; one with a listener still is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise StateError(
                f"port {port} on {LOOPBACK} is {'busy' if exc.errno == errno.EADDRINUSE else 'not allowed'} "
                f"({exc.strerror}): nothing was started; pick another with --port"
            ) from None
        raise
    return sock
