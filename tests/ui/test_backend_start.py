"""The console while the local Turso's process starts, fails to start, or exits and is restarted."""

from __future__ import annotations

import asyncio

from fixtures.fake_org import FakeOrg

from .helpers import AppFactory, ready, shown_banner

SIZE = (120, 36)
Start = asyncio.Future[tuple[str, ...]]


def pending() -> Start:
    """A start of the local Turso still under way (the console's ``backend_ready``)."""
    return asyncio.get_running_loop().create_future()


async def test_the_first_refresh_waits_for_the_local_turso_to_start(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    started = pending()
    app = make_app(fake, backend_ready=started)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            await pilot.pause()
        assert "starting the local Turso" in shown_banner(app)
        assert fake.count("GET", "/databases") == 0  # nothing asked before it serves
        started.set_result(("xswarm-users (iad): 127.0.0.1:1 is held by another program",))
        await ready(pilot)
        assert "starting" not in shown_banner(app)
        assert fake.count("GET", "/databases") == 1
        shown = [n.message for n in app._notifications]
    assert any("held by another program" in m for m in shown)


async def test_a_local_turso_that_cannot_start_ends_the_console(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    """The console exits (code 1); console.py then prints why, on the restored terminal."""
    started = pending()
    app = make_app(fake, backend_ready=started)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        started.set_exception(RuntimeError("another tursotui runs the local Turso"))
        for _ in range(20):
            await pilot.pause()
            if app.return_code is not None:
                break
    assert app.return_code == 1
    assert fake.count("GET", "/databases") == 0


async def test_a_restarting_local_turso_is_said_and_refreshed_once_it_serves(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lists = fake.count("GET", "/databases")
        restarted = pending()
        app.backend_restarting(
            "the local Turso stopped unexpectedly (killed by SIGKILL)", restarted
        )
        for _ in range(5):
            await pilot.pause()
        assert "starting the local Turso" in shown_banner(app)
        assert fake.count("GET", "/databases") == lists  # the refresh waits for it
        restarted.set_result(())
        await ready(pilot)
        assert "starting" not in shown_banner(app)
        assert fake.count("GET", "/databases") == lists + 1
        shown = [n.message for n in app._notifications]
    said = [m for m in shown if "killed by SIGKILL" in m]
    assert said == [
        "The local Turso stopped unexpectedly (killed by SIGKILL) and was restarted on the same ports"
    ]


async def test_a_failed_restart_is_shown_and_the_console_keeps_running(
    make_app: AppFactory, fake: FakeOrg
) -> None:
    app = make_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        failed = pending()
        failed.set_exception(RuntimeError("the local Turso could not start (exit 1): disk full"))
        app.backend_restarting("the local Turso stopped unexpectedly (exit 1)", failed)
        await ready(pilot)
        assert app.return_code is None and app.is_running
        assert app.services.backend_ready is None  # the next restart brings a new one
        errors = [n for n in app._notifications if n.severity == "error"]
        assert any("disk full" in n.message for n in errors)
        lists = fake.count("GET", "/databases")
        await app.run_action("refresh")
        await ready(pilot)
        assert fake.count("GET", "/databases") == lists + 1
