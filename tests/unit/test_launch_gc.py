"""The console starts with Python's cyclic garbage collector off (ui/launch.py): it is back on once the first
frame is drawn, and whatever way the app ends."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from tursotui.stopsignals import StopSignals
from tursotui.ui import launch


@pytest.fixture(autouse=True)
def collector_on_after() -> Iterator[None]:
    yield
    gc.enable()


class App:
    """What ``_run_app`` uses of the console: ``first_frame``, ``run_async`` and ``exit``."""

    def __init__(self, *, draws: bool, fails: bool = False) -> None:
        self.first_frame = asyncio.Event()
        self.draws = draws
        self.fails = fails
        self.while_running: list[bool] = []

    async def run_async(self) -> None:
        self.while_running.append(gc.isenabled())
        if self.draws:
            self.first_frame.set()
            for _ in range(3):  # the waiting task runs
                await asyncio.sleep(0)
            self.while_running.append(gc.isenabled())
        if self.fails:
            raise RuntimeError("the app failed before drawing")

    def exit(self, return_code: int = 0) -> None:
        raise AssertionError("no stop signal in these tests")


async def test_the_collector_comes_back_once_the_first_frame_is_drawn() -> None:
    gc.disable()
    app = App(draws=True)
    await launch._run_app(app, StopSignals())  # type: ignore[arg-type]
    assert app.while_running == [False, True]
    assert gc.isenabled()


async def test_the_collector_comes_back_when_the_app_ends_before_drawing() -> None:
    gc.disable()
    app = App(draws=False, fails=True)
    with pytest.raises(RuntimeError, match="before drawing"):
        await launch._run_app(app, StopSignals())  # type: ignore[arg-type]
    assert app.while_running == [False]
    assert gc.isenabled()
