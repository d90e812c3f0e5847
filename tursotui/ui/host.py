"""What panes and wizards are given instead of the app or the main screen: the organization's state (the
snapshot of the last refresh and the selected database, both owned by the main screen) and, for the wizards,
the few things of the app they use. ``TursoApp`` is a :class:`WizardHost`; ``MainScreen`` is an
:class:`OrgView`. Nothing here imports the app, so wizards and panes never import it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from textual.message import Message
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from tursotui.ops.snapshot import OrgSnapshot
    from tursotui.ui.services import Services

ResultT = TypeVar("ResultT")


class OrgView(Protocol):
    """The organization as the console last fetched it, and the database the operator works on."""

    @property
    def snapshot(self) -> OrgSnapshot | None:
        """The last refresh (databases, groups, usage, plan); None before the first one."""
        ...

    @property
    def selected(self) -> str | None:
        """The selected database's name; None when the organization has none."""
        ...


class WizardHost(OrgView, Protocol):
    """What a wizard (setup, import) runs against: the services, the org's state, modal screens awaited in
    the wizard's worker, notifications, and messages to the console (``RefreshRequested``,
    ``DatabaseSelected``, ``ErrorOccurred``), which the app hands to the main screen."""

    @property
    def services(self) -> Services: ...

    async def push_screen_wait(self, screen: Screen[ResultT]) -> ResultT: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def post_message(self, message: Message) -> bool: ...
