"""`tursotui` with no command: open the console on Turso Cloud or on the local Turso."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tursotui.config import CliOptions, Settings, resolve
from tursotui.config.schema import is_loopback


def _owns_config(settings: Settings) -> bool:
    """May the local Turso point config.toml/.env at its demo database?

    Only when they do not already point somewhere else: no database URL yet, or a loopback one.
    """
    from urllib.parse import urlsplit

    url = settings.config.turso.database_url
    if not url:
        return True
    host = urlsplit(url).hostname or ""
    return is_loopback(host)


async def _run_local(options: CliOptions, settings: Settings) -> None:
    from tursotui.local.demo import ensure_demo_org
    from tursotui.local.serve import open_local_turso
    from tursotui.ui.app import TursoApp
    from tursotui.ui.services import Services

    turso = open_local_turso(settings)
    print("Starting the local Turso (real sqld on 127.0.0.1)…", file=sys.stderr, flush=True)
    await turso.start()
    try:
        if not turso.cp.state.databases:
            print(
                "First run: creating the demo organization (xswarm-users)…",
                file=sys.stderr,
                flush=True,
            )
        await ensure_demo_org(
            turso,
            config_path=settings.config_path,
            env_path=settings.env_path,
            write_config=_owns_config(settings),
        )
        settings = resolve(options)  # pick up what the demo org wrote
        platform = turso.platform_client()
        services = Services.from_settings(settings, platform)
        services.secrets = (*services.secrets, turso.api_token)
        try:
            await TursoApp(services).run_async()
        finally:
            await platform.aclose()
    finally:
        await turso.close()


async def _run_cloud(settings: Settings) -> None:
    from tursotui.platform import PlatformClient
    from tursotui.ui.app import TursoApp
    from tursotui.ui.services import Services

    assert settings.api_token is not None
    platform = PlatformClient(settings.api_token, organization=settings.organization)
    try:
        await TursoApp(Services.from_settings(settings, platform)).run_async()
    finally:
        await platform.aclose()


def run_console(args: argparse.Namespace) -> int:
    options = CliOptions(
        config=args.config,
        env_file=args.env_file,
        data_dir=args.data_dir,
        target=args.target,
        read_only=args.read_only,
        database_url=args.database_url,
        organization=args.organization,
    )
    settings = resolve(options)
    if settings.target == "cloud":
        settings.require_cloud_credentials()
        asyncio.run(_run_cloud(settings))
    else:
        asyncio.run(_run_local(options, settings))
    return 0
