"""The Fleet health tab's drift view: one row per schema fingerprint (the expected one first), the highlighted
group's summary, and ``enter`` showing its diff from the expected schema (:class:`SchemaDiffScreen`)."""

from __future__ import annotations

from textual import on
from textual.widgets import DataTable

from tursotui.ops.migrate.drift import DriftReport, SchemaGroup
from tursotui.ui.dialogs.bulk import names_preview
from tursotui.ui.dialogs.migrate import SchemaDiffScreen


class DriftTable(DataTable[str]):
    """The groups of a :class:`DriftReport`."""

    def __init__(self) -> None:
        super().__init__(id="fleet-health-drift", cursor_type="row")
        self.border_title = "Schemas"
        self.report: DriftReport | None = None

    def on_mount(self) -> None:
        self.add_columns("Schema", "Databases", "", "Names")

    def show(self, report: DriftReport) -> None:
        self.report = report
        self.clear()
        for group in report.groups:
            self.add_row(
                group.fingerprint,
                f"{len(group.databases):,}",
                "expected" if group.expected else "DRIFTED",
                names_preview(list(group.databases), 3),
                key=group.fingerprint,
            )

    @property
    def group(self) -> SchemaGroup | None:
        """The highlighted group."""
        report = self.report
        if report is None or not report.groups:
            return None
        return report.groups[min(max(self.cursor_row, 0), len(report.groups) - 1)]

    def detail(self) -> str:
        report = self.report
        if report is None:
            return "reading the schemas …"
        head = (
            "no drift: every database has the expected schema"
            if report.clean
            else f"{len(report.drifted)} drifted, {len(report.errors)} unreadable"
        )
        group = self.group
        if group is None:
            return head
        changes = sum(1 for line in group.diff[2:] if line[:1] in "+-")
        what = (
            "the expected schema"
            if group.expected
            else f"{changes} lines differ · enter shows the diff"
        )
        return f"{head} · d back to the status\n{group.fingerprint}: {what}"

    @on(DataTable.RowSelected)
    def _show_diff(self, event: DataTable.RowSelected) -> None:
        event.stop()
        group = self.group
        if group is None:
            return
        if group.expected:
            self.notify("This is the expected schema: nothing differs")
            return
        self.app.push_screen(SchemaDiffScreen(group))
