"""Walkthrough 23: the console's local Turso child is killed for real (SIGKILL) and restarted on the same port;
the console says so in ONE message ("… stopped unexpectedly … and was restarted on the same ports"), not a
"Started" toast per sqld the dead child left running, and keeps working on the same client."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fixtures.fake_org import FakeOrg
from textual.pilot import Pilot

from tursotui.config import CliOptions
from tursotui.local.host.process import LocalTursoProcess
from tursotui.ui.app import TursoApp
from tursotui.ui.services import Services, banner_text

from .helpers import AppFactory, fixed_probe, ready


def sqld_pids(local_dir: Path) -> list[int]:
    files = (local_dir / "sqld" / "pids").glob("*.pid")
    return [int(json.loads(f.read_text())["pid"]) for f in files]


async def until(pilot: Pilot[Any], check: Any, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.1)


async def test_a_killed_local_turso_is_one_message(tmp_path: Path, sqld_binary: Path) -> None:
    (tmp_path / "config.toml").touch()
    options = CliOptions(
        config=str(tmp_path / "config.toml"),
        env_file=str(tmp_path / ".env"),
        data_dir=str(tmp_path / "data"),
    )
    local_dir = tmp_path / "data" / "local-turso"
    child = await LocalTursoProcess.spawn(options, local_dir)
    platform = child.platform_client(max_retries=0)
    watch: asyncio.Future[None] | None = None
    try:
        await child.ready()
        app = TursoApp(
            Services(
                platform=platform,
                target="local",
                banner=banner_text("local", child.organization),
                data_dir=tmp_path / "data",
                database_name="xswarm-users",
                refresh_interval=3600.0,
                latency_probe=fixed_probe,
                local_turso=True,
            )
        )
        app.animation_level = "none"
        watch = asyncio.ensure_future(child.keep_running(app.backend_restarting))
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot)
            refreshes = app.main.refresh_count
            left = sqld_pids(local_dir)
            assert len(left) == 3  # the primary and the two replica locations
            child.process.kill()

            def said() -> list[str]:
                return [n.message for n in app._notifications if n.title == "Local Turso"]

            await until(pilot, lambda: said() and app.main.refresh_count > refreshes, 120.0)
            await app.workers.wait_for_complete()
            await pilot.pause()
            (message,) = said()
            assert message.startswith("The local Turso stopped unexpectedly (killed by SIGKILL")
            assert "and was restarted on the same ports" in message
            assert "the 3 sqld it left running were stopped" in message
            assert not [n for n in app._notifications if n.title == "Started"]
            assert not [n for n in app._notifications if n.severity == "error"]
            assert [d.name for d in await platform.list_databases()] == ["xswarm-users"]
    finally:
        await platform.aclose()
        await child.close()
        if watch is not None:
            await watch


async def test_a_restart_that_moved_a_port_says_so_in_the_same_message(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        started: asyncio.Future[tuple[str, ...]] = asyncio.get_running_loop().create_future()
        app.backend_restarting("the local Turso stopped unexpectedly (exit 1)", started)
        moved = (
            "xswarm-users (iad): 127.0.0.1:1 is held by another program; now served on 127.0.0.1:2"
        )
        started.set_result(("stopped left-over sqld pid 7 (/d/primary/data.sqld)", moved))
        await ready(pilot)
        said = [n.message for n in app._notifications if n.title == "Local Turso"]
        assert said == [
            f"The local Turso stopped unexpectedly (exit 1) and was restarted: {moved}; "
            "the 1 sqld it left running was stopped"
        ]
        assert not [n for n in app._notifications if n.title == "Started"]
