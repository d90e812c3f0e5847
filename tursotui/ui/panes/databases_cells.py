"""The Databases pane's rows: the columns of the databases and instances tables and their cells (no Textual)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tursotui.ops.archived import unarchive_command
from tursotui.ops.fleet import FleetRow
from tursotui.platform import Database, Instance
from tursotui.support import humanize as fmt
from tursotui.ui.widgets.fleet_table import Column

if TYPE_CHECKING:
    from tursotui.platform.models_local import ReplicaLag

DATABASE_COLUMNS = (
    Column("name", "Name", flex=True, min_width=10),
    Column("group", "Group"),
    Column("primary", "Primary"),
    Column("size", "Size", right=True),
    Column("rows_read", "Read", right=True, drop=2),
    Column("rows_written", "Written", right=True, drop=1),
    Column("blocked", "Blocked", drop=3),
    Column("protect", "Delete prot."),
)
"""The URL is not a column (it alone is wider than an 80-column terminal): the highlighted database's URL is in
the table's subtitle, and ``c`` copies it. Rows read and written leave first when the columns do not fit (80
columns), unless the table is sorted by one of them; then Blocked; the names are cut last."""
INSTANCE_COLUMNS = (
    ("name", "Instance"),
    ("type", "Type"),
    ("latency", "Latency"),
    ("lag", "Repl. lag"),
    ("location", "Location"),
    ("hostname", "Hostname"),
)
PROBING = "…"


def _blocked(row: FleetRow) -> str:
    parts = [
        name for name, on_ in (("reads", row.block_reads), ("writes", row.block_writes)) if on_
    ]
    return "+".join(parts) if parts else "no"


def _count(value: int | None) -> str:
    return "–" if value is None else fmt.count(value)


def database_cells(row: FleetRow) -> tuple[str, ...]:
    return (
        row.name + ARCHIVED_MARK if row.archived else row.name,
        row.group or "–",
        row.location or "–",
        "–" if row.size is None else fmt.size(row.size),
        _count(row.rows_read),
        _count(row.rows_written),
        _blocked(row),
        fmt.flag(row.delete_protection),
    )


def table_subtitle(
    db: Database | None, counted: str, organization: str, *, unavailable: bool = False
) -> str:
    """``libsql://… · 3 databases``: the highlighted database's URL, then what is listed (``312 of 10,000 · by
    size``; ``unavailable``: no list was fetched yet, which is not "0 databases")."""
    if unavailable:
        return f"databases of org {organization} unavailable"
    return f"{db.url} · {counted}" if db is not None and db.hostname else counted


def instance_cells(instance: Instance, latency: str, lag_of: ReplicaLag | None = None) -> list[str]:
    # The Platform API exposes no replication index: "n/a" unless the backend (local Turso) reports it.
    lag = "–" if instance.is_primary else "n/a"
    if lag_of is not None and not instance.is_primary and lag_of.lag is not None:
        lag = f"{lag_of.lag} frame{'s' if lag_of.lag != 1 else ''}" if lag_of.lag else "0 (in sync)"
    return [
        instance.name,
        instance.type or "?",
        latency,
        lag,
        instance.region or "–",
        instance.hostname or "–",
    ]


ARCHIVED_MARK = " ⏸"
"""After an archived database's name (kept short: the Name column must not grow at 80 columns); selecting it
says "archived — unarchive with u"."""


def archived_hint(database: str, group: str) -> tuple[str, str]:
    """ "archived — unarchive with u / tursotui group unarchive G", as a title and a subtitle (each fits 80
    columns)."""
    return f"{database} is archived — unarchive with u", f"or {unarchive_command(group)}"
