"""The doctor (``tursotui doctor``, :mod:`tursotui.ops.doctor`): the seed's troubleshooting checklist on the
configured database (else the one selected on the Databases tab), run in a worker when the tab is first shown
and again on r. One row per check with its state; the highlighted check's whole finding and its fix (the key or
the command) below the table."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tursotui.libsql.errors import LibsqlError
from tursotui.ops.doctor import Check, DoctorInputs, DoctorReport, summary_text
from tursotui.ops.doctor.run import run_doctor
from tursotui.ops.errors import OpsError
from tursotui.ops.latency import LatencyProbe
from tursotui.platform import PlatformError
from tursotui.ui.host import OrgView
from tursotui.ui.services import Services

COLUMNS = ("State", "Check", "Finding")
STYLES = {"ok": "bold green", "warn": "bold yellow", "fail": "bold red", "skip": "dim"}
SHORT = 44
"""Characters of a finding shown in the table at the least (the whole one is below it); more when wider."""
BESIDE = 36
"""Columns taken by the state and check columns, their padding and the scrollbar."""


def short(text: str, width: int = SHORT) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def state_cell(check: Check) -> Text:
    return Text(check.label, style=STYLES[check.state])


def explanation(check: Check) -> Text:
    """The highlighted check: its title and state, the whole finding, and the fix."""
    text = Text()
    text.append(f"{check.title}: ", style="bold")
    text.append(check.label, style=STYLES[check.state])
    text.append(f"\n{check.detail}")
    if check.fix and check.state != "ok":
        text.append("\nfix: ", style="bold")
        text.append(check.fix)
    return text


class DoctorPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rerun", "Re-run", tooltip="Run every check again", id="doctor.rerun"),
    ]
    TITLE = "Doctor"
    DEFAULT_CSS = """
    DoctorPane #doctor-status { height: 1; width: 1fr; }
    DoctorPane #doctor-table { height: 1fr; }
    DoctorPane #doctor-detail { height: 5; width: 1fr; border-top: solid $primary; }
    """

    def __init__(self, services: Services, probe: LatencyProbe, org: OrgView) -> None:
        super().__init__(id="doctor-pane")
        self.services = services
        self.probe = probe
        self.org = org
        self.selected: str | None = None
        self.report: DoctorReport | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="doctor-status", markup=False)
        table: DataTable[str | Text] = DataTable(id="doctor-table", cursor_type="row")
        table.border_title = "Doctor"
        yield table
        yield Static("", id="doctor-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one("#doctor-table", DataTable).add_columns(*COLUMNS)
        self.run_checks()

    @property
    def database(self) -> str:
        """The configured database (its URL, token and replica are checked too), else the selected one."""
        return self.services.database_name or self.selected or ""

    def database_selected(self, name: str | None) -> None:
        first = self.selected is None and not self.services.database_name
        self.selected = name
        if first and name and self.report is None:
            self.run_checks()

    def inputs(self) -> DoctorInputs:
        services = self.services
        if services.settings is not None:
            return DoctorInputs.from_settings(
                services.settings,
                services.platform,
                self.probe,
                local=services.local_turso,
                ledger=services.ledger,
                clock=services.clock,
                open_sql=lambda name: services.open_sql(name, True),
            )
        return DoctorInputs(
            platform=services.platform,
            probe=self.probe,
            local=services.local_turso,
            database_name=services.database_name,
            env_path=services.env_path,
            config_path=services.config_path,
            ledger=services.ledger,
            target=services.target,
            open_sql=lambda name: services.open_sql(name, True),
            clock=services.clock,
        )

    @work(exclusive=True, group="doctor")
    async def run_checks(self) -> None:
        status = self.query_one("#doctor-status", Static)
        name = self.database
        if not name:
            status.update("Doctor · no database: set [turso] database_name, or pick one on tab 1")
            return
        status.update(f"Doctor · {name} · running every check …")
        try:
            self.report = await run_doctor(self.inputs(), name)
        except (OpsError, PlatformError, LibsqlError) as exc:
            status.update(f"Doctor · {name} · could not run: {exc} · r re-runs")
            return
        self.show(self.report)

    def show(self, report: DoctorReport) -> None:
        table = self.query_one("#doctor-table", DataTable)
        row = table.cursor_row
        table.clear()
        room = max(SHORT, self.size.width - BESIDE)
        for check in report.checks:
            table.add_row(
                state_cell(check), Text(check.title), Text(short(check.detail, room)), key=check.id
            )
        if report.checks:
            table.move_cursor(row=min(max(row, 0), len(report.checks) - 1))
        verdict = "all pass" if report.passed else "a check failed"
        self.query_one("#doctor-status", Static).update(
            f"Doctor · {report.database} · {verdict} · {summary_text(report.counts)} · r re-runs"
        )
        self.explain()

    def on_resize(self) -> None:
        """The findings are cut to the width: cut again when it changes (or is first known)."""
        if self.report is not None:
            self.show(self.report)

    @on(DataTable.RowHighlighted, "#doctor-table")
    def _highlighted(self) -> None:
        self.explain()

    def explain(self) -> None:
        detail = self.query_one("#doctor-detail", Static)
        table = self.query_one("#doctor-table", DataTable)
        if self.report is None or not self.report.checks:
            detail.update("")
            return
        index = min(max(table.cursor_row, 0), len(self.report.checks) - 1)
        detail.update(explanation(self.report.checks[index]))

    def action_rerun(self) -> None:
        self.run_checks()
