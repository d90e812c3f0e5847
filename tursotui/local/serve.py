"""`tursotui local serve`: the local Turso's Platform API on 127.0.0.1 for any other client."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from asyncio import FIRST_COMPLETED
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from tursotui.config import Settings
from tursotui.local.demo import DEFAULT_USERS, ensure_demo_org
from tursotui.local.service import LocalTurso
from tursotui.stopsignals import run_stoppable

LOOPBACK = "127.0.0.1"


def local_data_dir(settings: Settings) -> Path:
    return settings.data_dir / "local-turso"


def open_local_turso(settings: Settings) -> LocalTurso:
    return LocalTurso(
        local_data_dir(settings),
        retention_days=settings.config.turso.backup.retention_days,
        recovery_interval=settings.config.tursotui.local_recovery_interval_seconds,
    )


async def start_local_turso(settings: Settings) -> LocalTurso:
    """The one way to start the local Turso of ``settings`` (CLI commands, ``local serve``, the console's child).

    A stop signal during the start (a cancellation) lets it finish, then closes it: a sqld being started in a
    thread meanwhile would otherwise be left running."""
    turso = open_local_turso(settings)
    starting = asyncio.ensure_future(turso.start())
    try:
        await asyncio.shield(starting)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await starting
        await turso.close()
        raise
    return turso


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
    started: Callable[[], None],
    until: asyncio.Future[None] | None = None,
    *,
    sock: socket.socket | None = None,
    port: int = 0,
) -> None:
    """Serve ``turso``'s Platform API on ``sock`` (or 127.0.0.1:``port``); ``started()`` once it accepts.

    Returns when ``until`` is done or uvicorn stops; cancelled (a stop signal), it stops uvicorn first."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = uvicorn.Config(
        turso.app, host=LOOPBACK, port=port, log_level="warning", lifespan="off"
    )
    server = Server(config)
    serving = asyncio.ensure_future(server.serve(sockets=[sock] if sock is not None else None))
    try:
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn exposes a flag only)
            await asyncio.sleep(0.002)
        if server.started:
            started()
        await asyncio.wait([serving, *([until] if until else [])], return_when=FIRST_COMPLETED)
    finally:
        server.should_exit = True
        await asyncio.wait([serving])
    serving.result()


async def _serve(settings: Settings, port: int, users: int, out: TextIO) -> int:
    turso = await start_local_turso(settings)
    try:
        base_url = f"http://{LOOPBACK}:{port}"
        demo = await ensure_demo_org(
            turso, config_path=settings.config_path, env_path=settings.env_path, users=users
        )
        if turso.cp.api_token_created:
            print(token_notice(turso, base_url), file=out)
        if demo.created:
            print(f"Created the demo organization: {demo.users} users in xswarm-users.", file=out)
        print(
            f"Local Turso Platform API on {base_url} (organization '{turso.organization}'); "
            "ctrl+c stops it and every sqld it started.",
            file=out,
            flush=True,
        )
        await serve_api(turso, lambda: None, port=port)
    finally:
        await turso.close()
    return 0


def serve(
    settings: Settings, port: int, users: int = DEFAULT_USERS, out: TextIO = sys.stdout
) -> int:
    """Serve until stopped: 0 when uvicorn stops by itself, 128 + signum after a stop signal (every sqld
    stopped first)."""
    return run_stoppable(_serve(settings, port, users, out))
