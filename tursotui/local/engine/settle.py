"""Side-by-side work at start and on change, without leaving anything half-started behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable


async def settle(jobs: Iterable[Awaitable[object]]) -> None:
    """Run ``jobs`` side by side; once every one has ended, well or not, raise the first failure.

    Waiting for all of them first means a caller's cleanup (``ControlPlane.close``) finds everything that did
    come up, rather than racing jobs still running.
    """
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
