"""Usage vs limits: org and per-database usage against the plan's quotas, the reset date, a history sparkline
and a projection of when the rows-read quota runs out. Platform API only: watching spends no rows read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Sparkline

from tursotui.ops import quota
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.ops.usage_history import UsageSample
from tursotui.platform import OrganizationUsageTotals, PlanQuotas, UsageCounters
from tursotui.support import humanize as fmt
from tursotui.ui.actions import bindings_for
from tursotui.ui.widgets.quota_bar import QuotaBar
from tursotui.ui.widgets.tables import sync_rows

Unit = Callable[[int | None], str]

# (id, label, totals field, quota field, unit)
METRICS: tuple[tuple[str, str, str, str, Unit], ...] = (
    ("rows-read", "Rows read", "rows_read", "rows_read", fmt.count),
    ("rows-written", "Rows written", "rows_written", "rows_written", fmt.count),
    ("storage", "Storage", "storage_bytes", "storage_bytes", fmt.size),
    ("databases", "Databases", "databases", "databases", fmt.count),
    ("locations", "Locations", "locations", "locations", fmt.count),
    ("groups", "Groups", "groups", "groups", fmt.count),
    ("synced", "Bytes synced", "bytes_synced", "bytes_synced", fmt.size),
)
DB_COLUMNS = (
    ("name", "Database"),
    ("rows_read", "Rows read"),
    ("rows_read_pct", "% quota"),
    ("rows_written", "Rows written"),
    ("rows_written_pct", "% quota"),
    ("storage", "Storage"),
    ("storage_pct", "% quota"),
    ("synced", "Synced"),
)


def _pct(used: int, limit: int | None) -> str:
    value = quota.usage_percent(used, limit)
    return "unlimited" if value is None else fmt.percent(value)


def database_usage_cells(name: str, usage: UsageCounters | None, quotas: PlanQuotas) -> list[str]:
    if usage is None:
        return [name, "n/a", "", "n/a", "", "n/a", "", "n/a"]
    return [
        name,
        fmt.count(usage.rows_read),
        _pct(usage.rows_read, quotas.rows_read),
        fmt.count(usage.rows_written),
        _pct(usage.rows_written, quotas.rows_written),
        fmt.size(usage.storage_bytes),
        _pct(usage.storage_bytes, quotas.storage_bytes),
        fmt.size(usage.bytes_synced),
    ]


def org_totals(snapshot: OrgSnapshot) -> dict[str, int | None]:
    """The org's usage; counts the API did not give are derived from the snapshot, the rest unknown."""
    if snapshot.usage is not None:
        totals: OrganizationUsageTotals = snapshot.usage.usage
        return {name: getattr(totals, name) for _, _, name, _, _ in METRICS}
    locations = {loc for g in snapshot.groups.values() for loc in g.locations}
    return {
        "rows_read": None,
        "rows_written": None,
        "storage_bytes": None,
        "databases": len(snapshot.databases),
        "locations": len(locations) if snapshot.groups else None,
        "groups": len(snapshot.groups) if snapshot.groups else None,
        "bytes_synced": None,
    }


class UsagePane(VerticalScroll):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("usage"))
    TITLE = "Usage"
    can_focus = True

    def __init__(self, organization: str) -> None:
        super().__init__(id="usage-pane")
        self.organization = organization

    def compose(self) -> ComposeResult:
        yield Label("", id="usage-plan", markup=False)
        yield Label("", id="usage-blocked", markup=False)
        yield Label("Organization", id="usage-org-title", classes="usage-section", markup=False)
        for key, label, *_ in METRICS:
            yield QuotaBar(label, id=f"quota-{key}")
        with Horizontal(id="usage-history"):
            yield Label("Rows read / h", id="usage-history-label", markup=False)
            yield Sparkline([], id="usage-sparkline")
            yield Label("", id="usage-history-range", markup=False)
        yield Label("", id="usage-projection", markup=False)
        yield Label("Per database (this period)", classes="usage-section", markup=False)
        table: DataTable[str] = DataTable(
            id="usage-databases", cursor_type="row", zebra_stripes=True
        )
        yield table

    def on_mount(self) -> None:
        table = self.query_one("#usage-databases", DataTable)
        for key, label in DB_COLUMNS:
            table.add_column(label, key=key)

    def show_snapshot(
        self, snapshot: OrgSnapshot, history: Sequence[UsageSample], now: datetime
    ) -> None:
        plan = snapshot.plan or quota.resolve_plan(None, None)
        quotas = plan.quotas
        org = snapshot.organization
        self.query_one("#usage-plan", Label).update(f"{plan.source} · {quota.reset_text(now)}")
        blocked = [
            n
            for n, on_ in (
                ("reads", org and org.blocked_reads),
                ("writes", org and org.blocked_writes),
            )
            if on_
        ]
        blocked_label = self.query_one("#usage-blocked", Label)
        blocked_label.display = bool(blocked)
        blocked_label.update(
            f"The organization is BLOCKED for {' and '.join(blocked)}: a quota is exhausted"
        )
        name = org.name if org and org.name else self.organization
        self.query_one("#usage-org-title", Label).update(f"Organization {name}")
        totals = org_totals(snapshot)
        for key, _, total_field, quota_field, unit in METRICS:
            self.query_one(f"#quota-{key}", QuotaBar).show(
                totals[total_field], getattr(quotas, quota_field), unit
            )
        self._history(history, now, totals["rows_read"], quotas.rows_read)
        rows = {
            db.name: database_usage_cells(db.name, snapshot.db_usage.get(db.name), quotas)
            for db in snapshot.databases
        }
        with self.app.batch_update():
            sync_rows(self.query_one("#usage-databases", DataTable), rows)

    def _history(
        self, history: Sequence[UsageSample], now: datetime, used: int | None, limit: int | None
    ) -> None:
        start = quota.period_start(now)
        points = [(s.at, s.rows_read) for s in history if start <= s.at <= now]
        rates = quota.hourly_rates(points)
        sparkline = self.query_one("#usage-sparkline", Sparkline)
        sparkline.data = rates
        sparkline.display = bool(rates)
        if rates:
            since = points[0][0].strftime("%d %b %H:%M")
            span = (
                f"{len(points)} samples since {since} UTC · peak {fmt.count(round(max(rates)))}/h"
            )
        else:
            span = "no history yet (sampled once a minute)"
        self.query_one("#usage-history-range", Label).update(span)
        projection = self.query_one("#usage-projection", Label)
        if used is None:
            projection.update("At this rate …: rows read unknown (usage unavailable)")
            return
        result = quota.project(points, now, used, limit)
        projection.update(result.text)
        projection.set_class(result.runs_out is not None, "-runs-out")
