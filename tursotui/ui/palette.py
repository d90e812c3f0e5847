"""The command palette: every action of ``actions.ACTIONS`` with its help and bound key, then Textual's own
system commands (theme, maximize). One provider, so the order is always the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tursotui.ui.actions import ACTIONS, ActionSpec

if TYPE_CHECKING:
    from tursotui.ui.app import TursoApp

SKIPPED_SYSTEM_COMMANDS = frozenset({"Quit", "Keys", "Screenshot"})
"""Quit and Keys: covered by our own Quit and ``?`` help. Screenshot: a dialog that shows a new token once would
be written to an SVG file in full (tokens never go to screenshots); ctrl+p works over every dialog."""


def _label(spec: ActionSpec) -> str:
    return f"{spec.title} ({spec.shown_key})"


class ActionCommands(Provider):
    """Lists the actions as data (title, help, action, key); running one goes through the app."""

    def _run(self, spec: ActionSpec) -> None:
        app: TursoApp = self.app  # type: ignore[assignment]
        app.call_later(app.run_spec, spec)

    def _entries(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        for spec in ACTIONS:
            yield _label(spec), spec.help, partial(self._run, spec)
        for command in self.app.get_system_commands(self.screen):
            if command.title not in SKIPPED_SYSTEM_COMMANDS:
                yield command.title, command.help, command.callback

    async def discover(self) -> Hits:
        for label, help_text, run in self._entries():
            yield DiscoveryHit(label, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self._entries():
            score = max(matcher.match(label), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(label), run, text=label, help=help_text)
