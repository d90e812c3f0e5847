"""The ledger each database keeps of its migrations (``_tursotui_migrations``) and what it says against the
folder: per database, the migrations applied, pending, or changed since they were applied (checksum).

The ledger is written only inside the transaction that applies the migrations (its rows and the schema change
commit together or not at all): a row per migration with its checksum, when it began (``applied_at``, UTC, the
server's clock) and how long its statements took there (``duration``, seconds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tursotui.libsql.result import ResultSet, Statement
from tursotui.ops.migrate.files import Migration

LEDGER = "_tursotui_migrations"
CREATE_LEDGER = (
    f"CREATE TABLE IF NOT EXISTS {LEDGER} ("
    "id INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
    "applied_at TEXT NOT NULL, duration REAL)"
)
READ_LEDGER = f"SELECT id, checksum, applied_at, duration FROM {LEDGER} ORDER BY id"  # noqa: S608
NO_LEDGER = f"no such table: {LEDGER}"

DbState = Literal["up-to-date", "pending", "changed", "unknown", "out-of-order", "error"]
STATES: tuple[DbState, ...] = (
    "up-to-date",
    "pending",
    "changed",
    "unknown",
    "out-of-order",
    "error",
)
"""``changed``: an applied file's checksum differs now; ``unknown``: the ledger names a migration the folder
does not have (a newer folder elsewhere); ``out-of-order``: a pending migration is numbered below one already
applied (a file added in the middle: applying it now would run it after later ones); ``error``: the ledger
could not be read."""


@dataclass(frozen=True)
class Applied:
    id: int
    checksum: str
    applied_at: str
    duration: float | None


def applied_rows(result: ResultSet) -> list[Applied]:
    out: list[Applied] = []
    for row in result.rows:
        ident, check, at, duration = row[0], row[1], row[2], row[3]
        out.append(
            Applied(
                int(str(ident)),
                str(check),
                str(at),
                float(duration) if isinstance(duration, int | float) else None,
            )
        )
    return out


@dataclass(frozen=True)
class LedgerStatus:
    """One database's migrations against the folder."""

    database: str
    group: str
    applied: tuple[int, ...] = ()
    pending: tuple[int, ...] = ()
    changed: tuple[int, ...] = ()
    unknown: tuple[int, ...] = ()
    error: str = ""

    @property
    def out_of_order(self) -> tuple[int, ...]:
        """Pending migrations numbered below the highest applied one."""
        top = max(self.applied, default=0)
        return tuple(i for i in self.pending if i < top)

    @property
    def state(self) -> DbState:
        if self.error:
            return "error"
        if self.changed:
            return "changed"
        if self.unknown:
            return "unknown"
        if self.out_of_order:
            return "out-of-order"
        return "pending" if self.pending else "up-to-date"

    @property
    def can_apply(self) -> bool:
        """Pending migrations and nothing that makes applying them unsafe (a changed, unknown or out-of-order
        one)."""
        return self.state == "pending"

    def describe(self) -> str:
        if self.error:
            return self.error
        parts = [f"{len(self.applied)} applied"]
        if self.pending:
            parts.append("pending " + ", ".join(f"{i:04d}" for i in self.pending))
        if self.changed:
            parts.append("changed since applied " + ", ".join(f"{i:04d}" for i in self.changed))
        if self.unknown:
            parts.append("not in the folder " + ", ".join(f"{i:04d}" for i in self.unknown))
        if self.out_of_order:
            top = max(self.applied)
            parts.append(
                "numbered below the applied "
                + f"{top:04d}: "
                + ", ".join(f"{i:04d}" for i in self.out_of_order)
                + " (renumber the new file after it)"
            )
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "group": self.group,
            "state": self.state,
            "applied": list(self.applied),
            "pending": list(self.pending),
            "changed": list(self.changed),
            "unknown": list(self.unknown),
            "out_of_order": list(self.out_of_order),
            "error": self.error or None,
        }


def compare(
    database: str, group: str, migrations: Sequence[Migration], applied: Sequence[Applied]
) -> LedgerStatus:
    """What ``applied`` (the ledger's rows) says against the folder's ``migrations``."""
    by_id = {m.id: m for m in migrations}
    done = {a.id: a for a in applied}
    changed = tuple(
        sorted(i for i, a in done.items() if i in by_id and by_id[i].checksum != a.checksum)
    )
    unknown = tuple(sorted(i for i in done if i not in by_id))
    pending = tuple(m.id for m in migrations if m.id not in done)
    return LedgerStatus(database, group, tuple(sorted(done)), pending, changed, unknown)


def apply_statements(
    pending: Sequence[Migration],
) -> tuple[list[Statement], list[tuple[Migration, int]]]:
    """The statements of one database's transaction and, per statement, (its migration, its step index or -1
    for a ledger statement): the ledger (created if missing), then for each migration its ledger row (the
    start time), its statements and the row's duration. A ledger row already there (another run applied the
    migration meanwhile) fails the PRIMARY KEY, and so the whole transaction."""
    statements: list[Statement] = [Statement(CREATE_LEDGER)]
    where: list[tuple[Migration, int]] = [(pending[0], -1)] if pending else []
    for migration in pending:
        statements.append(
            Statement(
                f"INSERT INTO {LEDGER} (id, name, checksum, applied_at) "  # noqa: S608
                "VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                [migration.id, migration.name, migration.checksum],
            )
        )
        where.append((migration, -1))
        for index, step in enumerate(migration.steps):
            statements.append(Statement(step.sql))
            where.append((migration, index))
        statements.append(
            Statement(
                f"UPDATE {LEDGER} SET duration = "  # noqa: S608
                "round((julianday('now') - julianday(applied_at)) * 86400.0, 3) WHERE id = ?",
                [migration.id],
            )
        )
        where.append((migration, -1))
    return statements, where
