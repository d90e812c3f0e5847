"""One question of a wizard, asked in its worker: the answer, or :class:`~tursotui.ops.errors.Cancelled` when the
operator leaves (esc)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from tursotui.ops.errors import Cancelled

if TYPE_CHECKING:
    from tursotui.ui.host import WizardHost


async def ask(host: WizardHost, screen: Screen[str | None]) -> str:
    answer = await host.push_screen_wait(screen)
    if answer is None:
        raise Cancelled
    return answer
