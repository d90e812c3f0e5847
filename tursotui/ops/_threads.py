"""Blocking work (SQLite loads, checks) in a worker thread that asyncio cancellation can stop.

The worker gets a ``threading.Event``; it checks it between chunks of work and raises
:class:`Cancelled`. When the awaiting task is cancelled, the event is set and the task waits for
the worker to stop before the ``CancelledError`` goes on: callers may then delete files safely.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tursotui.ops.errors import Cancelled

T = TypeVar("T")


def check(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise Cancelled


async def run_cancellable(work: Callable[[threading.Event], T]) -> T:
    """Run ``work(cancel_event)`` in a thread; asyncio cancellation sets the event and waits."""
    cancel = threading.Event()
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, work, cancel)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.set()
        with contextlib.suppress(BaseException):
            await future
        raise


def threadsafe(callback: Callable[[int], None] | None) -> Callable[[int], None] | None:
    """``callback`` made safe to call from a worker thread: it runs on the event loop's thread."""
    if callback is None:
        return None
    loop = asyncio.get_running_loop()

    def call(value: int) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closing: progress no longer matters
            loop.call_soon_threadsafe(callback, value)

    return call


async def uninterrupted(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable``; if the caller is cancelled meanwhile, let it finish first, then
    raise ``CancelledError`` (a request in flight never leaves its stream in doubt, a worker
    thread never outlives the connection it uses)."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await task
        raise
