"""`tursotui` with no command: open the console on Turso Cloud or on the local Turso."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from tursotui.config import CliOptions, resolve

if TYPE_CHECKING:
    from tursotui.platform import PlatformClient
    from tursotui.ui.app import TursoApp
    from tursotui.ui.data import OrgSnapshot
    from tursotui.ui.services import Services


def cli_options(args: argparse.Namespace) -> CliOptions:
    return CliOptions(
        config=args.config,
        env_file=args.env_file,
        data_dir=args.data_dir,
        target=args.target,
        read_only=args.read_only,
        database_url=args.database_url,
        organization=args.organization,
        config_may_be_missing=getattr(args, "command", None) == "setup",
    )


def _import_console() -> tuple[type[TursoApp], type[Services]]:
    from tursotui.ui.app import TursoApp
    from tursotui.ui.services import Services

    return TursoApp, Services


async def _first_snapshot(platform: PlatformClient) -> OrgSnapshot | None:
    """The dashboard's first data, fetched while Textual imports; None: the console's refresh says why."""
    from tursotui.platform import PlatformError
    from tursotui.ui.data import fetch_snapshot
    from tursotui.ui.services import utc_now

    try:
        return await fetch_snapshot(platform, utc_now())
    except PlatformError:
        return None


async def _run(options: CliOptions) -> None:
    # Textual and the panes import in a thread from the start, while sqld boots (that waits on child
    # processes, not the CPU): the two overlap instead of adding up (benchmarks/cold_start.py).
    console = asyncio.get_running_loop().run_in_executor(None, _import_console)
    from tursotui.backend import open_backend

    settings = resolve(options)
    if settings.target == "local":
        print("Starting the local Turso (real sqld on 127.0.0.1)…", file=sys.stderr, flush=True)
    try:
        async with open_backend(settings, demo=True) as backend:
            first = await _first_snapshot(backend.platform)
            app_class, services_class = await console
            settings = resolve(options)  # pick up what a new demo org wrote to config.toml/.env
            services = services_class.from_settings(settings, backend.platform)
            services.secrets = backend.secrets()
            services.notices = tuple(f"local Turso: {n}" for n in backend.notices)
            await app_class(services, first).run_async()
    finally:
        if not console.done():
            await asyncio.wait([console])


def run_console(args: argparse.Namespace) -> int:
    options = cli_options(args)
    settings = resolve(options)
    if settings.target == "cloud":
        settings.require_cloud_credentials()
    asyncio.run(_run(options))
    return 0
