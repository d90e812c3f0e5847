"""Shared UI test helpers: the fixed clock and latencies, and waiting for the app to settle."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.pilot import Pilot
from textual.widgets import Input, Label
from textual.worker import WorkerCancelled, WorkerState

from tursotui.ui.app import TursoApp
from tursotui.ui.services import Services, banner_text
from tursotui.ui.widgets.banner import Banner

if TYPE_CHECKING:
    from tursotui.local.host.service import LocalTurso

NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
LATENCIES = {
    "aws-us-west-2": 18.4,
    "aws-us-east-1": 74.2,
    "aws-eu-west-1": 141.7,
    "sjc": 18.4,  # an older org on the legacy locations (FakeOrg.legacy)
    "iad": 74.2,
    "fra": 141.7,
}

AppFactory = Callable[..., TursoApp]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def write_screenshot(app: TursoApp, name: str, secrets: tuple[str, ...]) -> None:
    """screenshots/<name>.svg for the README, written only when it changed; never a secret in it."""
    svg = app.export_screenshot(title="tursotui")
    for secret in secrets:
        assert secret not in svg
    SCREENSHOTS.mkdir(exist_ok=True)
    target = SCREENSHOTS / f"{name}.svg"
    if not target.exists() or target.read_text(encoding="utf-8") != svg:
        target.write_text(svg, encoding="utf-8")


def fixed_clock() -> datetime:
    return NOW


async def fixed_probe(hostname: str) -> float | None:
    """Latency by the instance's location (the hostname starts with it); unknown hosts are unreachable."""
    for location, ms in LATENCIES.items():
        if hostname.startswith(location):
            return ms
    return 0.4 if "localhost" in hostname else None


async def ready(pilot: Pilot[Any]) -> None:
    """Wait for the first refresh and the instance latencies (every worker idle)."""
    app = pilot.app
    assert isinstance(app, TursoApp)
    for _ in range(200):
        await pilot.pause()
        try:
            main = app.main
        except LookupError:
            continue
        if main.refresh_count >= 1:
            break
    await workers_done(pilot)


async def workers_done(pilot: Pilot[Any]) -> None:
    """Wait (bounded) until no worker runs: the ones a finishing worker starts too (a tab built on first show
    starts its pane's load once it is mounted)."""
    app = pilot.app
    for _ in range(50):
        running = [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]
        if not running:
            break
        # an exclusive worker replaced by a newer one is cancelled: the next round waits for the newer one
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete(running)
        await pilot.pause()
    await pilot.pause()


RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


def keys(*pressed: str, wait_for: str | None = None, value: str | None = None) -> RunBefore:
    """After the first refresh, press keys; optionally wait for a screen type and fill its Input."""

    async def run(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press(*pressed)
        for _ in range(200):
            await pilot.pause()
            if wait_for is None or type(pilot.app.screen).__name__ == wait_for:
                break
        if wait_for is None:  # a modal's worker waits for the modal: do not wait for it
            await workers_done(pilot)
        if value is not None:
            pilot.app.screen.query_one(Input).value = value
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run


def shown_banner(app: TursoApp) -> str:
    banner = app.main.query_one(Banner)
    return " ".join(str(label.render()) for label in banner.query(Label) if label.display)


def local_app(turso: LocalTurso, tmp_path: Path, **overrides: Any) -> TursoApp:
    """The console on a real local Turso (real sqld): fixed latencies, hourly refresh, no animations."""
    fields: dict[str, Any] = {
        "platform": turso.platform_client(),
        "target": "local",
        "banner": banner_text("local", turso.organization),
        "data_dir": tmp_path / "data",
        "refresh_interval": 3600.0,
        "latency_probe": fixed_probe,
        "local_turso": True,
    }
    fields.update(overrides)
    app = TursoApp(Services(**fields))
    app.animation_level = "none"
    return app
