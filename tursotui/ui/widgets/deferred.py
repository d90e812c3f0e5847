"""A tab whose pane is imported, built and mounted the first time the tab is shown.

Textual's ``Lazy`` still builds and mounts every hidden pane before the first frame reaches the terminal; a
``DeferredPane`` is an empty ``TabPane`` until :meth:`DeferredPane.load` (no stand-in widget either: each widget
in the first frame is styled, laid out and composed before it shows; benchmarks/first_frame.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.widget import Widget
from textual.widgets import TabPane


class DeferredPane(TabPane):
    """A ``TabPane`` that mounts the widget ``factory`` makes on :meth:`load`."""

    def __init__(self, title: str, factory: Callable[[], Widget], *, id: str) -> None:
        super().__init__(title, id=id)
        self._factory = factory
        self._loaded: asyncio.Event | None = None

    @property
    def built(self) -> bool:
        """True once its pane is mounted."""
        return self._loaded is not None and self._loaded.is_set() and bool(self.children)

    async def load(self) -> None:
        """Import, build and mount the pane (once; a second caller waits for the first)."""
        if self._loaded is not None:
            await self._loaded.wait()
            return
        self._loaded = asyncio.Event()
        try:
            await self.mount(self._factory())
        finally:
            self._loaded.set()
