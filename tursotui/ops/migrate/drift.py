"""Drift: the fleet grouped by schema fingerprint, against the schema the migrations produce.

Each database's ``sqlite_schema`` is read (one SQL request, read-only token) and normalised
(:mod:`.schema`); databases with the same normalised schema form one group. The expected schema is the
migrations applied to a scratch in-memory database; a group whose schema differs names its databases and
carries the unified diff of normalised DDL from the expected one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError
from tursotui.ops.migrate.files import Migration
from tursotui.ops.migrate.fleet import run_bounded
from tursotui.ops.migrate.run import SqlOn
from tursotui.ops.migrate.schema import (
    READ_SCHEMA,
    expected_schema,
    fingerprint,
    normalised_schema,
    schema_diff,
)
from tursotui.platform import Database, PlatformError


@dataclass(frozen=True)
class SchemaGroup:
    fingerprint: str
    databases: tuple[str, ...]
    lines: tuple[str, ...]
    expected: bool
    diff: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "expected": self.expected,
            "databases": list(self.databases),
            "count": len(self.databases),
            "diff": list(self.diff),
        }


@dataclass
class DriftReport:
    expected_fingerprint: str
    expected_lines: tuple[str, ...]
    groups: list[SchemaGroup] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    """Databases whose schema could not be read, and why."""

    @property
    def drifted(self) -> list[str]:
        """The databases whose schema differs from the expected one."""
        return sorted(name for g in self.groups if not g.expected for name in g.databases)

    @property
    def clean(self) -> bool:
        return not self.drifted and not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "expected": self.expected_fingerprint,
            "groups": [g.to_json() for g in self.groups],
            "drifted": self.drifted,
            "errors": dict(sorted(self.errors.items())),
        }


async def read_schema(client: HranaClient) -> list[str]:
    return normalised_schema((await client.execute(READ_SCHEMA)).rows)


def group_schemas(
    expected: Sequence[str], schemas: dict[str, list[str]], errors: dict[str, str]
) -> DriftReport:
    """Databases grouped by fingerprint: the expected group first, then the largest first."""
    want = fingerprint(expected)
    by_print: dict[str, list[str]] = {}
    lines: dict[str, list[str]] = {}
    for name, found in schemas.items():
        key = fingerprint(found)
        by_print.setdefault(key, []).append(name)
        lines.setdefault(key, found)
    report = DriftReport(want, tuple(expected), errors=errors)
    order = sorted(by_print, key=lambda k: (k != want, -len(by_print[k]), k))
    for key in order:
        same = key == want
        report.groups.append(
            SchemaGroup(
                key,
                tuple(sorted(by_print[key])),
                tuple(lines[key]),
                same,
                () if same else tuple(schema_diff(expected, lines[key], sorted(by_print[key])[0])),
            )
        )
    return report


async def fleet_drift(
    sql: SqlOn,
    targets: Sequence[Database],
    migrations: Sequence[Migration],
    *,
    concurrency: int,
    finished: Callable[[Database, object], None] | None = None,
) -> DriftReport:
    """Every target's schema, grouped (see the module)."""
    expected = expected_schema(migrations)

    async def one(db: Database) -> list[str] | str:
        try:
            return await sql.on(db, read_schema)
        except (PlatformError, LibsqlError) as exc:
            return f"could not be read: {exc}"

    found = await run_bounded(targets, one, concurrency, finished=finished)
    schemas = {name: value for name, value in found.items() if isinstance(value, list)}
    errors = {name: value for name, value in found.items() if isinstance(value, str)}
    return group_schemas(expected, schemas, errors)
