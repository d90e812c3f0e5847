"""`tursotui` with no command: open the console on Turso Cloud or on the local Turso."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tursotui.config import CliOptions, resolve


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


async def _run(options: CliOptions) -> None:
    from tursotui.backend import open_backend
    from tursotui.ui.app import TursoApp
    from tursotui.ui.services import Services

    settings = resolve(options)
    if settings.target == "local":
        print("Starting the local Turso (real sqld on 127.0.0.1)…", file=sys.stderr, flush=True)
    async with open_backend(settings, demo=True) as backend:
        settings = resolve(options)  # pick up what a new demo org wrote to config.toml/.env
        services = Services.from_settings(settings, backend.platform)
        services.secrets = backend.secrets()
        await TursoApp(services).run_async()


def run_console(args: argparse.Namespace) -> int:
    options = cli_options(args)
    settings = resolve(options)
    if settings.target == "cloud":
        settings.require_cloud_credentials()
    asyncio.run(_run(options))
    return 0
