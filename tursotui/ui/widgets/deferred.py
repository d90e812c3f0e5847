"""A tab's pane imported and mounted the first time the tab is shown.

Textual's ``Lazy`` still builds and mounts every hidden pane before the first frame reaches the terminal; a
``Deferred`` costs nothing until :meth:`Deferred.load` (benchmarks/cold_start.py: the dashboard shows sooner).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.widget import Widget


class Deferred(Widget):
    """Stands in for the widget ``factory`` makes; :meth:`load` puts that widget in its place."""

    DEFAULT_CSS = """
    Deferred {
        display: none;
    }
    """

    def __init__(self, factory: Callable[[], Widget]) -> None:
        super().__init__()
        self._factory = factory
        self._loaded: asyncio.Event | None = None

    async def load(self) -> None:
        """Import, build and mount the widget (once; a second caller waits for the first)."""
        if self._loaded is not None:
            await self._loaded.wait()
            return
        self._loaded = asyncio.Event()
        try:
            parent = self.parent
            if isinstance(parent, Widget):
                await parent.mount(self._factory(), after=self)
                await self.remove()
        finally:
            self._loaded.set()
