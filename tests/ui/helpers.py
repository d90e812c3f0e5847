"""Shared UI test helpers: the fixed clock and latencies, and waiting for the app to settle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual.pilot import Pilot

from tursotui.ui.app import TursoApp

NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
LATENCIES = {"aws-us-west-2": 18.4, "aws-us-east-1": 74.2, "aws-eu-west-1": 141.7}

AppFactory = Callable[..., TursoApp]


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
    await app.workers.wait_for_complete()
    await pilot.pause()
