"""One quota as a bar: label, bar, percentage, used / limit. Coloured by CSS class at 75/90/100 %."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label

from tursotui.ops import quota
from tursotui.ops.quota import LEVEL_CLASSES
from tursotui.support import humanize as fmt


class QuotaFill(Widget):
    """The bar itself; its colour comes from CSS (``color``), its background track from ``background``."""

    DEFAULT_CSS = """
    QuotaFill { width: 1fr; height: 1; color: $success; background: $boost; }
    """

    def __init__(self) -> None:
        super().__init__(classes="quota-fill")
        self.fraction: float | None = 0.0

    def render(self) -> Text:
        width = self.size.width
        if self.fraction is None:
            return Text("╌" * width)
        filled = round(min(max(self.fraction, 0.0), 1.0) * width)
        return Text("█" * filled + " " * (width - filled))


class QuotaBar(Horizontal):
    """``Rows read  ████████░░░  82.5%  412.3M / 500M``."""

    DEFAULT_CSS = """
    QuotaBar { height: 1; width: 1fr; }
    QuotaBar .quota-label { width: 14; }
    QuotaBar .quota-percent { width: 11; text-align: right; padding-right: 1; }
    QuotaBar .quota-value { width: 22; padding-left: 1; color: $text-muted; }
    QuotaBar.-warning .quota-fill { color: $warning; }
    QuotaBar.-warning .quota-percent { color: $warning; }
    QuotaBar.-error .quota-fill, QuotaBar.-full .quota-fill { color: $error; }
    QuotaBar.-error .quota-percent { color: $error; }
    QuotaBar.-full .quota-percent { color: $error; text-style: bold reverse; }
    QuotaBar.-unlimited .quota-fill { color: $text-muted; }
    """

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = label
        self.percent: float | None = None

    def compose(self) -> ComposeResult:
        yield Label(self._label, classes="quota-label", markup=False)
        yield QuotaFill()
        yield Label("", classes="quota-percent", markup=False)
        yield Label("", classes="quota-value", markup=False)

    def show(self, used: int | None, limit: int | None, unit: Callable[[int | None], str]) -> None:
        """``limit`` None: unlimited on this plan; ``used`` None: unknown (the API did not say)."""
        percent = quota.usage_percent(used, limit) if used is not None else None
        self.percent = percent
        fill = self.query_one(QuotaFill)
        fill.fraction = None if percent is None else percent / 100.0
        fill.refresh()
        level = quota.level(percent)
        for name in LEVEL_CLASSES:
            self.set_class(name == level, name)
        self.set_class(limit is None, "-unlimited")
        shown = "unlimited" if percent is None else fmt.percent(percent)
        if used is None:
            shown = "n/a"
        self.query_one(".quota-percent", Label).update(shown)
        total = "unlimited" if limit is None else unit(limit)
        self.query_one(".quota-value", Label).update(f"{unit(used)} / {total}")

    @property
    def level(self) -> str:
        return quota.level(self.percent)
