"""The Footer, without the leak of Textual 8.2's: every recompose left the old keys alive.

Each ``FooterKey`` binds ``Footer.compact`` (``data_bind``), which adds a watcher on the Footer. Textual drops the
watchers of closed widgets only when that reactive changes, and ``compact`` never does: the Footer recomposes on
every focus or tab change, so the removed keys piled up (~6 widgets per tab switch; benchmarks/README.md, soak).
"""

from __future__ import annotations

from textual.widgets import Footer


class ConsoleFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        drop_closed_watchers(self)


def drop_closed_watchers(node: object) -> None:
    """Forget the watchers (``watch``/``data_bind``) that closed widgets left on ``node``."""
    watchers: dict[str, list[tuple[object, object]]] = getattr(node, "__watchers", {})
    for entries in watchers.values():
        entries[:] = [
            (watcher, callback)
            for watcher, callback in entries
            if not (getattr(watcher, "_closing", False) or getattr(watcher, "_closed", False))
        ]
