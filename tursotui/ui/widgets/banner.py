"""The lines at the top: where the console points (local Turso or a Turso Cloud org) and the refresh status.

On the local Turso a second line says how to switch to Turso Cloud; at narrow widths (the screen's ``-narrow``
class, see main.tcss) a short hint on the first line replaces it and the refresh status is shortened.
"""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Label

from tursotui.support import humanize as fmt
from tursotui.ui.services import LOCAL_HINT, Target

SHORT_HINT = "Cloud? see ?"


class Banner(Vertical):
    DEFAULT_CSS = """
    Banner { height: auto; dock: top; background: $panel; color: $foreground; }
    Banner #banner-row { height: 1; }
    Banner #banner-target { text-style: bold; color: $accent; width: auto; padding: 0 1; }
    Banner #banner-hint-short { color: $text-muted; width: auto; display: none; }
    Banner #banner-space { width: 1fr; }
    Banner #banner-hint { color: $text-muted; padding: 0 1; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    Banner #banner-readonly { display: none; background: $warning; color: $background; width: auto; padding: 0 1; }
    Banner.-read-only #banner-readonly { display: block; }
    Banner #banner-tokens { display: none; color: $warning; text-style: bold; width: auto; padding: 0 1; }
    Banner.-token-alert #banner-tokens { display: block; }
    Banner .banner-refresh { width: auto; padding: 0 1; color: $text-muted; }
    Banner #banner-refresh-short { display: none; }
    Banner.-refreshing .banner-refresh { color: $accent; }
    """

    last_refresh: reactive[datetime | None] = reactive(None)
    refreshing: reactive[bool] = reactive(False)
    starting: reactive[bool] = reactive(False)
    """The local Turso is still starting (the first refresh waits for it)."""

    def __init__(self, text: str, target: Target, interval: float, *, read_only: bool) -> None:
        super().__init__(id="banner", classes=f"-{target}")
        self._text = text
        self._target = target
        self._interval = interval
        self.set_class(read_only, "-read-only")

    def compose(self) -> ComposeResult:
        with Horizontal(id="banner-row"):
            yield Label(self._text, id="banner-target", markup=False)
            yield Label(SHORT_HINT, id="banner-hint-short", markup=False)
            yield Label("", id="banner-space")
            yield Label("", id="banner-tokens", markup=False)
            yield Label("READ-ONLY", id="banner-readonly", markup=False)
            yield Label(self._status(), id="banner-refresh", classes="banner-refresh", markup=False)
            yield Label(
                self._status(short=True),
                id="banner-refresh-short",
                classes="banner-refresh",
                markup=False,
            )
        if self._target == "local":
            yield Label(LOCAL_HINT, id="banner-hint", markup=False)

    def _status(self, *, short: bool = False) -> str:
        every = fmt.seconds(self._interval) if short else f"every {fmt.seconds(self._interval)}"
        if self.starting:
            return "⟳ starting…" if short else "⟳ starting the local Turso…"
        if self.refreshing:
            return f"⟳ refreshing… · {every}"
        last = fmt.utc_time(self.last_refresh)
        return f"⟳ {every} · {last}" if short else f"⟳ {every} · last {last}"

    def _update_status(self) -> None:
        if self.is_mounted:
            self.set_class(self.refreshing, "-refreshing")
            self.query_one("#banner-refresh", Label).update(self._status())
            self.query_one("#banner-refresh-short", Label).update(self._status(short=True))

    def watch_last_refresh(self) -> None:
        self._update_status()

    def watch_refreshing(self) -> None:
        self._update_status()

    def watch_starting(self) -> None:
        self._update_status()

    def show_target(self, text: str) -> None:
        """``Turso Cloud · org acme``: the organization can change while the console runs (setup wizard)."""
        if text != self._text:
            self._text = text
            self.query_one("#banner-target", Label).update(text)

    def show_token_alert(self, badge: str) -> None:
        """``⚠ 1 token expired (4: Tokens)``; empty hides it."""
        self.query_one("#banner-tokens", Label).update(badge)
        self.set_class(bool(badge), "-token-alert")
