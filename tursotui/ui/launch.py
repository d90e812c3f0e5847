"""`tursotui` with no command: open the console on Turso Cloud or on the local Turso (the entry point hands
it the parsed options; argparse stays out of the console)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from tursotui.config import CliOptions, Settings, resolve
from tursotui.stopsignals import StopSignals, exit_status, run_stoppable

if TYPE_CHECKING:
    from tursotui.local.host.discovery import RunningTurso
    from tursotui.ops.snapshot import OrgSnapshot
    from tursotui.platform import PlatformClient
    from tursotui.ui.app import TursoApp
    from tursotui.ui.services import Services


def _import_console() -> tuple[type[TursoApp], type[Services]]:
    from tursotui.ui.app import TursoApp
    from tursotui.ui.services import Services

    return TursoApp, Services


FIRST_SNAPSHOT_SECONDS = 6.0
"""How long the UI waits for the first snapshot before it draws (then its own refresh fetches and says why)."""


async def _first_snapshot(platform: PlatformClient) -> OrgSnapshot | None:
    """The dashboard's first data, fetched while Textual imports: one try, at most
    :data:`FIRST_SNAPSHOT_SECONDS`. None (no network, a refused token…): the console draws at once and its
    first refresh says why, inside the UI."""
    from tursotui.ops.snapshot import fetch_snapshot
    from tursotui.platform import PlatformError
    from tursotui.ui.services import utc_now

    retries, platform.retry.max_retries = platform.retry.max_retries, 0
    try:
        return await asyncio.wait_for(fetch_snapshot(platform, utc_now()), FIRST_SNAPSHOT_SECONDS)
    except (PlatformError, TimeoutError):
        return None
    finally:
        platform.retry.max_retries = retries


class _Held(logging.Handler):
    """Keeps the Platform API's warnings (its retries) off the terminal while the console owns it: with no
    handler, Python's last-resort one prints them raw over the screen before the UI draws. The console says
    what failed itself (the refresh's message names the host and the cause)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records = [*self.records[-49:], record]


@contextlib.contextmanager
def _platform_warnings_held() -> Iterator[_Held]:
    logger = logging.getLogger("tursotui.platform")
    handler = _Held()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def _run_app(app: TursoApp, signals: StopSignals) -> None:
    """Run the app; a stop signal (SIGTERM, SIGHUP: a dropped SSH session) exits it through Textual's normal
    exit path, which gives the terminal back as it was (not left raw)."""

    def stop(signum: int) -> None:
        app.exit(return_code=exit_status(signum))

    async def collect_once_drawn() -> None:
        await app.first_frame.wait()
        gc.enable()

    collector = asyncio.ensure_future(collect_once_drawn())
    try:
        with signals.diverted(stop):
            await app.run_async()
    finally:
        collector.cancel()
        gc.enable()


async def _run(options: CliOptions, settings: Settings, signals: StopSignals) -> int:
    if settings.target == "local":
        await _run_local(options, settings, signals)
        return 0
    # Turso Cloud: Textual and the panes import in a thread while the first snapshot is fetched (that waits on
    # the network, not the CPU): the two overlap instead of adding up.
    console = asyncio.get_running_loop().run_in_executor(None, _import_console)
    try:
        with _platform_warnings_held():
            await _run_cloud(settings, signals, console)
    finally:
        if not console.done():
            await asyncio.wait([console])
    return 0


async def _run_cloud(
    settings: Settings,
    signals: StopSignals,
    console: asyncio.Future[tuple[type[TursoApp], type[Services]]],
) -> None:
    from tursotui.backend import open_backend
    from tursotui.ops import snapshot_cache

    async with open_backend(settings) as backend:
        platform = backend.platform
        key = snapshot_cache.cache_key("cloud", platform.organization or "", str(platform.base_url))
        # A last known snapshot paints the first frame at once (marked cached): no waiting for the network.
        cached = snapshot_cache.cache_path(settings.data_dir, key).exists()
        first = None if cached else await _first_snapshot(platform)
        app_class, services_class = await console
        services = services_class.from_settings(settings, backend.platform, secrets=backend.secrets)
        await _run_app(app_class(services, first), signals)


async def _run_local(options: CliOptions, settings: Settings, signals: StopSignals) -> None:
    """The local Turso boots in a child process (the other core) while this one imports and starts the app.

    The child serves on a socket bound here, so the app's Platform client exists before the child is ready;
    the first refresh waits for it (``Services.backend_ready``). It starts at once, also when a last known
    snapshot paints the first frame: it boots on the other core, which leaves that frame as fast and brings
    live data ~0.18 s sooner than starting it after the frame (benchmarks/first_frame.py, cold_start.py).
    """
    from tursotui.backend import running_or_free, spawn_local_turso

    local_dir = settings.data_dir / "local-turso"
    running = await running_or_free(
        local_dir, lambda why: print(f"tursotui: {why}", file=sys.stderr)
    )
    if running is not None:
        await _run_attached(settings, running, signals)
        return
    print("Starting the local Turso (real sqld on 127.0.0.1)…", file=sys.stderr, flush=True)
    child = await spawn_local_turso(options, local_dir, start=False)
    await child.start()
    ready = asyncio.ensure_future(child.ready())
    try:
        if not child.had_databases:
            # The first start creates the demo org and points config.toml/.env at it: read them after.
            await asyncio.shield(ready)
            settings = resolve(options)
        app_class, services_class = _import_console()
        platform = child.platform_client()
        try:
            services = services_class.from_settings(settings, platform)
            services.secrets.add(child.api_token)
            services.backend_ready = ready
            app = app_class(services)

            watch = asyncio.ensure_future(child.keep_running(app.backend_restarting))
            try:
                await _run_app(app, signals)
            finally:
                watch.cancel()
        finally:
            await platform.aclose()
        if ready.done() and not ready.cancelled() and ready.exception() is not None:
            raise ready.exception()  # type: ignore[misc]  # the app exited because the start failed
    finally:
        ready.cancel()
        await child.close()


async def _run_attached(settings: Settings, running: RunningTurso, signals: StopSignals) -> None:
    """The console on the local Turso another process serves on this data dir (``local serve``, a console):
    over HTTP with its token; that process keeps running it when this console quits."""
    from tursotui.backend import attached_client

    print(f"Using {running.describe()}.", file=sys.stderr, flush=True)
    app_class, services_class = _import_console()
    platform = attached_client(running)
    try:
        services = services_class.from_settings(settings, platform)
        services.secrets.add(running.api_token)
        await _run_app(app_class(services), signals)
    finally:
        await platform.aclose()


def run_console(options: CliOptions) -> int:
    # Until the first frame is drawn (_run_app) Python's cyclic garbage collector stays off: the start creates
    # hundreds of thousands of objects (modules, classes, styles, widgets) and next to no garbage, and its
    # collections in between cost ~8 % of the time to the first frame (benchmarks/first_frame.py).
    gc.disable()
    try:
        settings = resolve(options)
        if settings.target == "cloud":
            settings.require_cloud_credentials()
        signals = StopSignals()
        return run_stoppable(_run(options, settings, signals), signals)
    finally:
        gc.enable()
