"""The Databases pane's rows: the columns of the databases and instances tables and their cells (no Textual)."""

from __future__ import annotations

from tursotui.ops.archived import unarchive_command
from tursotui.platform import Database, Instance, UsageCounters
from tursotui.platform.models_local import ReplicaLag
from tursotui.support import humanize as fmt

DATABASE_COLUMNS = (
    ("name", "Name"),
    ("group", "Group"),
    ("primary", "Primary"),
    ("size", "Size"),
    ("blocked", "Blocked"),
    ("protect", "Delete prot."),
)
"""The URL is not a column (it alone is wider than an 80-column terminal): the highlighted database's URL is in
the table's subtitle, and ``c`` copies it."""
INSTANCE_COLUMNS = (
    ("name", "Instance"),
    ("type", "Type"),
    ("latency", "Latency"),
    ("lag", "Repl. lag"),
    ("location", "Location"),
    ("hostname", "Hostname"),
)
PROBING = "…"


def _blocked(db: Database) -> str:
    parts = [name for name, on_ in (("reads", db.block_reads), ("writes", db.block_writes)) if on_]
    return "+".join(parts) if parts else "no"


def database_cells(db: Database, usage: UsageCounters | None) -> list[str]:
    return [
        db.name,
        db.group or "–",
        db.primary_region or "–",
        fmt.size(usage.storage_bytes) if usage else "–",
        _blocked(db),
        fmt.flag(db.delete_protection),
    ]


def table_subtitle(
    db: Database | None, count: int, organization: str, *, unavailable: bool = False
) -> str:
    """``libsql://… · 3 in org acme``: the highlighted database's URL, then the count (``unavailable``: no
    list was fetched yet, which is not "0 in org")."""
    if unavailable:
        return f"databases of org {organization} unavailable"
    listed = f"{count} in org {organization}"
    return f"{db.url} · {listed}" if db is not None and db.hostname else listed


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


def archived_cells(cells: list[str], archived: bool) -> list[str]:
    """The row of an archived database: its name marked."""
    return [cells[0] + ARCHIVED_MARK, *cells[1:]] if archived else cells


def archived_hint(database: str, group: str) -> tuple[str, str]:
    """ "archived — unarchive with u / tursotui group unarchive G", as a title and a subtitle (each fits 80
    columns)."""
    return f"{database} is archived — unarchive with u", f"or {unarchive_command(group)}"
