"""Every tab of the main screen, declared once: its id, title, key, pane, the widget focused when it is shown,
and what it needs from the organization's state. The main screen builds the tabs from :data:`TABS`, the
keys and the palette's "show" commands come from it (``actions.py``): adding a tab is one entry here.

A pane's module is imported when the tab is first shown (``DeferredPane``), so each factory imports its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.widget import Widget

    from tursotui.ops.latency import LatencyProbe
    from tursotui.ops.snapshot import OrgSnapshot
    from tursotui.ops.usage_history import UsageSample
    from tursotui.ui.host import OrgView
    from tursotui.ui.services import Services


@dataclass(frozen=True)
class PaneContext:
    """What a tab's pane is built with."""

    services: Services
    probe: LatencyProbe
    org: OrgView
    """The organization's state (the main screen owns it): read the snapshot and the selection here."""


@runtime_checkable
class ShowsSnapshot(Protocol):
    """A pane that shows each refresh (``TabSpec.wants_snapshot``)."""

    def show_snapshot(
        self, snapshot: OrgSnapshot, history: Sequence[UsageSample], now: datetime
    ) -> None: ...


@runtime_checkable
class FollowsSelection(Protocol):
    """A pane that acts on the selected database (``TabSpec.follows_selection``)."""

    def database_selected(self, name: str | None) -> None: ...


@dataclass(frozen=True)
class TabSpec:
    id: str
    """The TabPane's id, the scope of the pane's actions (``actions.py``) and ``show_tab``'s argument."""
    title: str
    key: str
    """Shows the tab (an app binding, ``app.show_<id>``)."""
    help: str
    """What showing it does (the palette and ``?``)."""
    pane: Callable[[PaneContext], Widget]
    focus: str
    """Selector of the widget focused when the tab is shown."""
    deferred: bool = True
    """Built the first time it is shown (False: in the first frame)."""
    wants_snapshot: bool = False
    """Gets every refresh (:class:`ShowsSnapshot`); a pane built later gets the latest at once."""
    follows_selection: bool = False
    """Told when the selected database changes (:class:`FollowsSelection`)."""


def _databases(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.databases import DatabasesPane

    return DatabasesPane(ctx.services, ctx.probe, ctx.org)


def _usage(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.usage import UsagePane

    return UsagePane(ctx.services.organization)


def _browser(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.browser import BrowserPane

    return BrowserPane(ctx.services, ctx.org)


def _sql(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.sql import SqlConsolePane

    return SqlConsolePane(ctx.services)


def _tokens(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.tokens import TokensPane

    return TokensPane(ctx.services, ctx.org)


def _backups(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.backups import BackupsPane

    return BackupsPane(ctx.services, ctx.org)


def _replica(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.replica import ReplicaPane

    return ReplicaPane(ctx.services)


def _audit(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.audit import AuditPane

    return AuditPane(ctx.services)


def _inspect(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.inspect import InspectPane

    return InspectPane(ctx.services, ctx.org)


def _doctor(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.doctor import DoctorPane

    return DoctorPane(ctx.services, ctx.probe, ctx.org)


def _fleet_health(ctx: PaneContext) -> Widget:
    from tursotui.ui.panes.fleet_health import FleetHealthPane

    return FleetHealthPane(ctx.services, ctx.org)


TABS: tuple[TabSpec, ...] = (
    TabSpec("databases", "Databases", "1", "Show databases & replicas", _databases, "#databases-table",
            deferred=False, wants_snapshot=True, follows_selection=True),
    TabSpec("usage", "Usage", "2", "Show usage against the plan's quotas", _usage, "UsagePane",
            wants_snapshot=True),
    TabSpec("browser", "Browser", "b", "Browse the rows of a table", _browser, "#browser-table",
            follows_selection=True),
    TabSpec("sql", "SQL", "3", "Show the SQL console", _sql, "#sql-editor"),
    TabSpec("tokens", "Tokens", "4", "Show database/group tokens", _tokens, "#tokens-table",
            follows_selection=True),
    TabSpec("backups", "Backups", "5", "Show verified backups", _backups, "#backups-table",
            follows_selection=True),
    TabSpec("replica", "Replica", "6", "Show the local embedded replica", _replica, "#replica-table"),
    TabSpec("inspect", "Inspect", "7", "Inspect the selected database: configuration, instances, top queries",
            _inspect, "InspectPane", follows_selection=True),
    TabSpec("audit", "Audit", "8", "Show the organization's audit log", _audit, "#audit-table"),
    TabSpec("doctor", "Doctor", "9", "Run the troubleshooting checks on the database", _doctor, "#doctor-table", follows_selection=True),
    TabSpec("fleet_health", "Fleet health", "0", "Migrations across the fleet: status, apply, drift", _fleet_health, "#fleet-health-table"),
)  # fmt: skip
"""In the order the tabs are shown. The SQL console reads the Databases pane's highlighted row (the selection);
the Replica tab is the configured database's local replica and does not follow the selection."""

TAB_IDS = frozenset(tab.id for tab in TABS)


def tab(tab_id: str) -> TabSpec:
    """The tab ``tab_id``; a ``KeyError`` naming the known ones otherwise."""
    for spec in TABS:
        if spec.id == tab_id:
            return spec
    raise KeyError(f"no tab {tab_id!r} (tabs: {', '.join(t.id for t in TABS)})")


def shows(spec: TabSpec, pane: Widget) -> ShowsSnapshot:
    """``pane`` as the snapshot's viewer its tab says it is (``wants_snapshot``)."""
    if not isinstance(pane, ShowsSnapshot):
        raise TypeError(
            f"tab {spec.id}: {type(pane).__name__} has no show_snapshot (wants_snapshot)"
        )
    return pane


def follows(spec: TabSpec, pane: Widget) -> FollowsSelection:
    """``pane`` as the selection's follower its tab says it is (``follows_selection``)."""
    if not isinstance(pane, FollowsSelection):
        raise TypeError(
            f"tab {spec.id}: {type(pane).__name__} has no database_selected (follows_selection)"
        )
    return pane
