"""Usage vs limits: the plan as ``tursotui plan show`` resolves it (``ops/plan.py``: base name, overages, billing
cycle, "plan unknown" rather than another plan's limits), org and per-database usage against its quotas, the reset
date, a history sparkline and a projection of when the rows-read quota runs out. Platform API only: watching
spends no rows read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Sparkline

from tursotui.ops import plan as plans
from tursotui.ops import quota
from tursotui.ops.fleet import FleetRow, fleet_rows
from tursotui.ops.plan import PlanView, QuotaRow
from tursotui.ops.snapshot import OrgSnapshot
from tursotui.ops.usage_history import UsageSample
from tursotui.platform import OrganizationUsageTotals, PlanQuotas
from tursotui.support import humanize as fmt
from tursotui.ui.actions import bindings_for
from tursotui.ui.widgets.fleet_table import Column
from tursotui.ui.widgets.fleet_view import FleetView
from tursotui.ui.widgets.quota_bar import QuotaBar

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
PER_DATABASE = "Per database (this period; % of the plan's quota)"
DB_COLUMNS = (
    Column("name", "Database", flex=True, min_width=10),
    Column("rows_read", "Read", right=True),
    Column("rows_read_pct", "%", right=True),
    Column("rows_written", "Written", right=True),
    Column("rows_written_pct", "%", right=True),
    Column("storage", "Storage", right=True),
    Column("storage_pct", "%", right=True),
    Column("synced", "Synced", right=True, drop=1),
)


def _pct(used: int, limit: int | None, known: bool) -> str:
    if not known:
        return "?"  # the plan (so its quotas) is unknown: not "unlimited"
    value = quota.usage_percent(used, limit)
    return "unlimited" if value is None else fmt.percent(value)


def database_usage_cells(row: FleetRow, quotas: PlanQuotas | None) -> tuple[str, ...]:
    """``quotas`` None: the plan is unknown, so is the share of each quota."""
    if row.rows_read is None or row.rows_written is None or row.size is None:
        return (row.name, "n/a", "", "n/a", "", "n/a", "", "n/a")
    known = quotas is not None
    limits = quotas or PlanQuotas()
    return (
        row.name,
        fmt.count(row.rows_read),
        _pct(row.rows_read, limits.rows_read, known),
        fmt.count(row.rows_written),
        _pct(row.rows_written, limits.rows_written, known),
        fmt.size(row.size),
        _pct(row.size, limits.storage_bytes, known),
        fmt.size(row.synced or 0),
    )


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


class PlanQuotaBar(QuotaBar):
    """A quota bar that tells an unknown limit (plan unknown, ``/plans`` refused) from an unlimited one."""

    def show_row(self, view: PlanView, row: QuotaRow, used: int | None, unit: Unit) -> None:
        if view.quotas_known:
            self.show(used, row.limit, unit)
            return
        self.show(used, None, unit)
        self.set_class(False, "-unlimited")
        self.query_one(".quota-percent", Label).update("?")
        self.query_one(".quota-value", Label).update(f"{unit(used)} / unknown")


def plan_line(view: PlanView) -> str:
    source = {"subscription": "", "organization.plan_id": " (from the organization's plan_id)"}.get(
        view.plan_source, ""
    )
    overages = "unknown" if view.overages is None else ("on" if view.overages else "off")
    name = f"Plan {view.plan}" if view.plan else "Plan unknown"
    return f"{name}{source} · overages {overages}"


def cycle_line(view: PlanView, now: datetime) -> str:
    timeline = f"billing {view.timeline}" if view.timeline else "billing cycle unknown"
    return f"{timeline} · quotas {quota.reset_text(now)}"


def state_lines(view: PlanView) -> list[str]:
    """What an operator must know beyond the bars: quotas unknown, billed excess, a quota that blocks."""
    lines = [] if view.quotas_known else ["Quotas unknown: " + "; ".join(view.notes)]
    for row in view.rows:
        if row.billed_excess is not None:
            lines.append(
                f"{row.resource}: overages: billed past the quota ({row.show(row.billed_excess)} billed)"
            )
        elif row.state and row.used is not None:
            lines.append(f"{row.resource}: {row.state}")
    return lines


class UsagePane(VerticalScroll):
    DEFAULT_CSS = """
    UsagePane #usage-cycle, UsagePane #usage-blocked, UsagePane #usage-states { width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = list(bindings_for("usage"))
    TITLE = "Usage"
    can_focus = True

    def __init__(self, organization: str) -> None:
        super().__init__(id="usage-pane")
        self.organization = organization
        self._quotas: tuple[PlanQuotas | None] | None = None
        """The quotas the per-database cells were made with (new quotas: every row is made again)."""

    def compose(self) -> ComposeResult:
        yield Label("", id="usage-plan", markup=False)
        yield Label("", id="usage-cycle", markup=False)
        yield Label("", id="usage-blocked", markup=False)
        yield Label("", id="usage-states", markup=False)
        yield Label("Organization", id="usage-org-title", classes="usage-section", markup=False)
        for key, label, *_ in METRICS:
            yield PlanQuotaBar(label, id=f"quota-{key}")
        with Horizontal(id="usage-history"):
            yield Label("Rows read / h", id="usage-history-label", markup=False)
            yield Sparkline([], id="usage-sparkline")
            yield Label("", id="usage-history-range", markup=False)
        yield Label("", id="usage-projection", markup=False)
        yield Label(PER_DATABASE, id="usage-db-title", classes="usage-section", markup=False)
        yield FleetView(
            DB_COLUMNS,
            partial(database_usage_cells, quotas=None),
            table_id="usage-databases",
            id="usage-fleet",
        )

    @property
    def fleet(self) -> FleetView:
        return self.query_one("#usage-fleet", FleetView)

    def action_filter(self) -> None:
        self.fleet.open_filter()

    def action_sort(self) -> None:
        self.fleet.cycle_sort()  # the per-database title says "by size"

    def action_top(self) -> None:
        self.fleet.cycle_top()

    @on(FleetView.Changed, "#usage-fleet")
    def _counted(self) -> None:
        title = f"{PER_DATABASE} · {self.fleet.describe()}"
        self.query_one("#usage-db-title", Label).update(title)

    def show_snapshot(
        self, snapshot: OrgSnapshot, history: Sequence[UsageSample], now: datetime
    ) -> None:
        view = snapshot.plan_view or plans.resolve(
            self.organization,
            organization=snapshot.organization,
            subscription=None,
            plans=None,
            usage=snapshot.usage,
            now=now,
        )
        quotas = view.quotas or PlanQuotas()
        org = snapshot.organization
        self.query_one("#usage-plan", Label).update(plan_line(view))
        self.query_one("#usage-cycle", Label).update(cycle_line(view, now))
        blocked = [
            n for n, on_ in (("reads", view.blocked_reads), ("writes", view.blocked_writes)) if on_
        ]
        blocked_label = self.query_one("#usage-blocked", Label)
        blocked_label.display = bool(blocked)
        blocked_label.update(
            f"The organization is BLOCKED for {' and '.join(blocked)}: a quota is exhausted "
            "(overages off) until it resets or overages are on"
        )
        states = state_lines(view)
        states_label = self.query_one("#usage-states", Label)
        states_label.display = bool(states)
        states_label.update("\n".join(states))
        name = org.name if org and org.name else self.organization
        self.query_one("#usage-org-title", Label).update(f"Organization {name}")
        totals = org_totals(snapshot)
        by_key = {row.key: row for row in view.rows}
        for key, _, total_field, quota_field, unit in METRICS:
            self.query_one(f"#quota-{key}", PlanQuotaBar).show_row(
                view, by_key[quota_field], totals[total_field], unit
            )
        self._history(history, now, totals["rows_read"], quotas.rows_read, view)
        fleet = self.fleet
        recell = self._quotas != (view.quotas,)
        if recell:
            self._quotas = (view.quotas,)
            fleet.cells = partial(database_usage_cells, quotas=view.quotas)
        with self.app.batch_update():
            fleet.show(fleet_rows(snapshot.databases, snapshot.db_usage), recell=recell)

    def _history(
        self,
        history: Sequence[UsageSample],
        now: datetime,
        used: int | None,
        limit: int | None,
        view: PlanView,
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
        if not view.quotas_known:
            projection.update("At this rate …: the rows-read quota is unknown (so is the plan's)")
            return
        result = quota.project(points, now, used, limit, overages=view.overages)
        projection.update(result.text)
        projection.set_class(result.runs_out is not None, "-runs-out")
