"""The Footer, without the leak of Textual 8.2's, and fitted to an 80-column terminal.

Each ``FooterKey`` binds ``Footer.compact`` (``data_bind``), which adds a watcher on the Footer. Textual drops the
watchers of closed widgets only when that reactive changes, and ``compact`` never does: the Footer recomposes on
every focus or tab change, so the removed keys piled up (~6 widgets per tab switch; benchmarks/README.md, soak).

When the keys do not fit the width, the ones named in :data:`DROPPED_FIRST` are hidden, in that order, so that a
pane's own keys and ``? Help`` / ``q Quit`` stay whole instead of ``q Qu`` (help lists every key anyway).
"""

from __future__ import annotations

from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

DROPPED_FIRST = ("app.refresh",)
"""Actions hidden first when the footer is too narrow (``^r Refresh``: in help, and it works anyway)."""


def key_width(key: FooterKey) -> int:
    """Cells the key takes at the default (non-compact) padding: `` k Label ``."""
    return len(key.key_display) + len(key.description) + 3


class ConsoleFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        drop_closed_watchers(self)
        self.fit(self.size.width)

    def on_resize(self, event: Resize) -> None:
        self.fit(event.size.width)

    def fit(self, width: int) -> None:
        """Show every key if they fit ``width``; else hide the :data:`DROPPED_FIRST` ones until they do."""
        if width <= 0:
            return
        keys = list(self.query(FooterKey))
        needed = sum(key_width(k) for k in keys)
        for key in keys:
            key.display = True
        for action in DROPPED_FIRST:
            for key in keys:
                if needed <= width:
                    return
                if key.action.removeprefix("app.") == action.removeprefix("app."):
                    key.display = False
                    needed -= key_width(key)


def drop_closed_watchers(node: object) -> None:
    """Forget the watchers (``watch``/``data_bind``) that closed widgets left on ``node``."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(node, "__watchers", {})
    for entries in watchers.values():
        entries[:] = [
            (watcher, callback)
            for watcher, callback in entries
            if not (getattr(watcher, "_closing", False) or getattr(watcher, "_closed", False))
        ]
