"""Every action of the console, declared once as data: bindings, the help overlay and the palette read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Scope = Literal["app", "databases", "usage"]


@dataclass(frozen=True)
class ActionSpec:
    id: str
    """Stable binding id (for keymaps): ``<scope>.<action>``."""
    title: str
    help: str
    action: str
    key: str
    scope: Scope
    key_display: str | None = None
    show: bool = True
    """Shown in the Footer."""
    writes: bool = False
    """Changes something on the backend (refused in read-only mode)."""

    @property
    def shown_key(self) -> str:
        return self.key_display or self.key.split(",")[0]


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("app.refresh", "Refresh", "Fetch everything again now", "refresh", "ctrl+r", "app"),
    ActionSpec("app.help", "Help", "Keys of the focused pane", "help", "question_mark", "app", "?"),
    ActionSpec(
        "app.show_databases",
        "Databases",
        "Show databases & replicas",
        "show_tab('databases')",
        "1",
        "app",
        show=False,
    ),
    ActionSpec(
        "app.show_usage",
        "Usage",
        "Show usage against the plan's quotas",
        "show_tab('usage')",
        "2",
        "app",
        show=False,
    ),
    ActionSpec(
        "app.last_error",
        "Last error",
        "Show the last error in full (copyable)",
        "last_error",
        "e",
        "app",
        show=False,
    ),
    ActionSpec(
        "app.palette",
        "Commands",
        "Search every action",
        "command_palette",
        "colon",
        "app",
        ":",
        show=False,
    ),
    ActionSpec("app.quit", "Quit", "Quit tursotui", "quit", "q", "app"),
    ActionSpec(
        "databases.add_location",
        "Add replica",
        "Add a replica location to the database's group",
        "add_location",
        "a",
        "databases",
        writes=True,
    ),
    ActionSpec(
        "databases.remove_location",
        "Remove replica",
        "Remove a replica location from the database's group (never the primary)",
        "remove_location",
        "x",
        "databases",
        writes=True,
    ),
    ActionSpec(
        "databases.copy_url",
        "Copy URL",
        "Copy the database's libsql:// URL (OSC 52, works over SSH)",
        "copy_url",
        "c",
        "databases",
    ),
    ActionSpec(
        "databases.focus_instances",
        "Instances",
        "Move between the databases and the instances",
        "switch_table",
        "i",
        "databases",
        show=False,
    ),
)


def actions_for(scope: Scope) -> list[ActionSpec]:
    return [spec for spec in ACTIONS if spec.scope == scope]


def bindings_for(scope: Scope) -> list[Binding]:
    return [
        Binding(
            spec.key,
            spec.action,
            spec.title,
            show=spec.show,
            key_display=spec.key_display,
            tooltip=spec.help,
            id=spec.id,
        )
        for spec in actions_for(scope)
    ]
