"""SIGTERM, SIGHUP, SIGQUIT and SIGINT stop a command through its normal close path.

    code = run_stoppable(main())   # 0, or 128 + the signal's number

The first stop signal cancels ``main``: its ``finally`` blocks run (the local Turso closes and stops every sqld
it started), then the exit status is the conventional 128 + signum (143 for SIGTERM, 130 for SIGINT). Without
this, SIGTERM/SIGHUP/SIGQUIT kill the process at once and its sqld children are left running. Further signals
while it closes are ignored (a second ctrl+c does not cut the close short; SIGKILL still does).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT)


def exit_status(signum: int) -> int:
    return 128 + signum


class StopSignals:
    """The stop signals received while installed (:meth:`installed`); the first calls ``stop``."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._divert: Callable[[int], None] | None = None

    @property
    def status(self) -> int | None:
        """128 + the first signal's number, or None when none came."""
        return None if self.received is None else exit_status(self.received)

    @contextlib.contextmanager
    def diverted(self, stop: Callable[[int], None]) -> Iterator[None]:
        """While the block runs, a stop signal calls ``stop(signum)`` instead of cancelling (:func:`run_stoppable`):
        the console exits through Textual's own path, which restores the terminal."""
        self._divert = stop
        try:
            yield
        finally:
            self._divert = None

    @contextlib.contextmanager
    def installed(self, stop: Callable[[int], None]) -> Iterator[StopSignals]:
        """Route the stop signals to ``stop(signum)`` (once) in the running loop, until the block ends."""
        loop = asyncio.get_running_loop()

        def on_signal(signum: int) -> None:
            if self.received is None:
                self.received = signum
                stop(signum)

        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, on_signal, sig)
        try:
            yield self
        finally:
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)


def run_stoppable(main: Coroutine[Any, Any, int], signals: StopSignals | None = None) -> int:
    """``asyncio.run(main)``; a stop signal cancels it and gives 128 + signum once it has closed.

    ``signals`` (optional) tells the caller which signal came."""
    signals = signals or StopSignals()

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            if signals._divert is not None:
                signals._divert(signum)
            else:
                task.cancel()

        with signals.installed(stop):
            return await main

    try:
        code = asyncio.run(guarded())
    except (asyncio.CancelledError, KeyboardInterrupt):
        if signals.status is None:
            raise
        return signals.status
    return signals.status if signals.status is not None else code
