"""Try before apply (``--canary NAME``): branch one tenant database, apply there, verify, delete the branch.

The branch is the cloud's seed-from-database copy (:mod:`tursotui.ops.branch`), made in the tenant's group so
the group's token opens it. The pending migrations are applied to it as to any database (one transaction);
then it is verified: its normalised schema is the expected one, ``PRAGMA integrity_check`` says ok, and every
table that existed before keeps its row count unless a migration's statement writes to it (INSERT, UPDATE,
DELETE, REPLACE). The branch is deleted whatever happened; the fleet is touched only when every check passed."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tursotui.libsql import HranaClient
from tursotui.libsql.errors import LibsqlError
from tursotui.libsql.local import SCHEMA_OBJECTS, count_sql, user_tables, vector_indexes
from tursotui.ops.access import remote_encryption
from tursotui.ops.branch import BranchPlan, run_branch
from tursotui.ops.errors import InputError
from tursotui.ops.migrate.apply import Outcome, apply_pending
from tursotui.ops.migrate.drift import read_schema
from tursotui.ops.migrate.files import Migration
from tursotui.ops.migrate.run import SqlOn
from tursotui.ops.migrate.schema import schema_diff
from tursotui.ops.names import check_name
from tursotui.platform import NotFound, PlatformClient, PlatformError

_WRITES = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"
    r"""["`\[]?(?P<table>[\w]+)""",
    re.IGNORECASE,
)
NAME_CHARS = 64


@dataclass(frozen=True)
class Verified:
    check: str
    ok: bool
    detail: str


@dataclass
class CanaryReport:
    source: str
    branch: str = ""
    outcome: Outcome | None = None
    checks: list[Verified] = field(default_factory=list)
    deleted: bool = False
    error: str = ""

    @property
    def passed(self) -> bool:
        return (
            not self.error
            and self.outcome is not None
            and self.outcome.ok
            and all(c.ok for c in self.checks)
            and bool(self.checks)
        )

    def lines(self) -> list[str]:
        out = [f"canary: {self.source} branched to {self.branch or '(not made)'}"]
        if self.outcome is not None:
            out.append(f"  apply: {self.outcome.describe()}")
        out += [f"  {'ok  ' if c.ok else 'FAIL'} {c.check}: {c.detail}" for c in self.checks]
        if self.error:
            out.append(f"  error: {self.error}")
        if self.branch:
            out.append(
                f"  branch {self.branch} deleted"
                if self.deleted
                else f"  branch {self.branch} could NOT be deleted: `tursotui db delete {self.branch}`"
            )
        out.append(
            "  passed: the fleet goes next" if self.passed else "  failed: no tenant was touched"
        )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "canary": {
                "source": self.source,
                "branch": self.branch or None,
                "apply": self.outcome.to_json() if self.outcome else None,
                "checks": [{"check": c.check, "ok": c.ok, "detail": c.detail} for c in self.checks],
                "deleted": self.deleted,
                "error": self.error or None,
                "passed": self.passed,
            }
        }


def branch_name(source: str) -> str:
    tail = f"-canary-{secrets.token_hex(3)}"
    return check_name(source[: NAME_CHARS - len(tail)].rstrip("-_") + tail, "canary branch")


def written_tables(migrations: Sequence[Migration]) -> set[str]:
    """Tables a migration's statement writes rows of (their counts may change)."""
    return {
        found["table"].lower()
        for m in migrations
        for step in m.steps
        for found in _WRITES.finditer(step.sql)
    }


async def row_counts(client: HranaClient) -> dict[str, int]:
    rows = (await client.execute(SCHEMA_OBJECTS)).rows
    vectors = set(vector_indexes(rows).values())
    tables = user_tables(rows)
    if not tables:
        return {}
    results = await client.batch([count_sql(t, t in vectors) for t in tables], transactional=False)
    return {t.lower(): int(str(r.rows[0][0])) for t, r in zip(tables, results, strict=True)}


async def run_canary(
    platform: PlatformClient,
    sql: SqlOn,
    source_name: str,
    migrations: Sequence[Migration],
    expected: Sequence[str],
) -> CanaryReport:
    """Branch ``source_name``, apply, verify, delete (see the module); never raises for the servers."""
    report = CanaryReport(source_name)
    try:
        source = await platform.get_database(check_name(source_name, "canary database"))
    except PlatformError as exc:
        report.error = f"canary database {source_name}: {exc}"
        return report
    name = branch_name(source.name)
    try:  # the branch's name must be free: on a failure below, what carries it is ours to delete
        await platform.get_database(name)
    except NotFound:
        pass
    except PlatformError as exc:
        report.error = f"the branch could not be made: {exc}"
        return report
    else:
        report.error = f"the branch could not be made: a database named {name} already exists"
        return report
    try:
        encrypted = remote_encryption(platform, source.name) is not None
        plan = BranchPlan(source.name, name, source.group, None, encrypted)
        report.branch = name
        branch = (await run_branch(platform, plan)).database
    except (PlatformError, LibsqlError, InputError) as exc:
        report.error = f"the branch could not be made: {exc}"
        if report.branch:  # made, but not read back: it goes too
            with contextlib.suppress(PlatformError):
                await platform.delete_database(report.branch)
                report.deleted = True
        report.branch = report.branch if report.deleted else ""
        return report
    try:
        before = await sql.on(branch, row_counts)  # the branch holds still; its source may not
        report.outcome = await sql.on(branch, lambda c: apply_pending(c, branch, migrations))
        if report.outcome.ok:
            report.checks = await sql.on(
                branch, lambda c: _verify(c, before, migrations, expected, branch.name)
            )
    except (PlatformError, LibsqlError) as exc:
        report.error = f"the branch could not be checked: {exc}"
    finally:
        try:
            await platform.delete_database(branch.name)
            report.deleted = True
        except PlatformError as exc:
            report.error = report.error or f"the branch could not be deleted: {exc}"
    return report


async def _verify(
    client: HranaClient,
    before: dict[str, int],
    migrations: Sequence[Migration],
    expected: Sequence[str],
    name: str,
) -> list[Verified]:
    schema = await read_schema(client)
    diff = schema_diff(expected, schema, name)
    checks = [
        Verified(
            "schema",
            not diff,
            "as the migrations make it"
            if not diff
            else f"differs from the expected one: {' | '.join(d for d in diff[2:] if d[:1] in '+-')}",
        )
    ]
    integrity = [str(r[0]) for r in (await client.execute("PRAGMA integrity_check")).rows]
    checks.append(
        Verified("integrity_check", integrity == ["ok"], "; ".join(integrity[:5]) or "no answer")
    )
    after = await row_counts(client)
    written = written_tables(migrations)
    lost = [
        f"{t}: {n} → {after.get(t, 'gone')}"
        for t, n in sorted(before.items())
        if t not in written and after.get(t) != n
    ]
    checks.append(
        Verified(
            "row counts",
            not lost,
            f"{len(before)} tables kept their rows"
            + (f" ({', '.join(sorted(written))} written by the migrations)" if written else "")
            if not lost
            else "changed: " + "; ".join(lost),
        )
    )
    return checks
