"""`tursotui local serve`: the local Turso's Platform API on 127.0.0.1 for any other client."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from tursotui.config import Settings
from tursotui.local.demo import DEFAULT_USERS, ensure_demo_org
from tursotui.local.service import LocalTurso

LOOPBACK = "127.0.0.1"


def local_data_dir(settings: Settings) -> Path:
    return settings.data_dir / "local-turso"


def open_local_turso(settings: Settings) -> LocalTurso:
    return LocalTurso(
        local_data_dir(settings),
        retention_days=settings.config.turso.backup.retention_days,
        recovery_interval=settings.config.tursotui.local_recovery_interval_seconds,
    )


def token_notice(turso: LocalTurso, base_url: str) -> str:
    path = turso.data_dir / "api-token"
    return (
        "Local Turso API token (shown once; stored with mode 0600 in "
        f"{path}):\n\n    {turso.api_token}\n\n"
        "Use it like a Turso Platform API token:\n"
        f"    export TURSO_API_TOKEN=$(cat {path})\n"
        f'    curl -H "Authorization: Bearer $TURSO_API_TOKEN" {base_url}/v1/organizations\n'
    )


async def _serve(settings: Settings, port: int, users: int, out: TextIO) -> None:
    import uvicorn

    turso = open_local_turso(settings)
    await turso.start()
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
        config = uvicorn.Config(
            turso.app, host=LOOPBACK, port=port, log_level="warning", lifespan="off"
        )
        await uvicorn.Server(config).serve()
    finally:
        await turso.close()


def serve(
    settings: Settings, port: int, users: int = DEFAULT_USERS, out: TextIO = sys.stdout
) -> int:
    asyncio.run(_serve(settings, port, users, out))
    return 0
