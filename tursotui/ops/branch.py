"""Branching: a NEW database copied from another, now or as of a past moment (``turso db branch``), for the
CLI (``tursotui db branch``) and the console's Databases pane (``B``) alike.

As turso-cli's ``db branch SOURCE NEW [--timestamp T] [--group G]`` it creates NEW with ``seed: {type:
"database", value: SOURCE[, timestamp]}`` (the seed also carries ``name``: see ``Seed.to_json``), in the
source's group unless another is given; the branch name must differ from the source's. A time is read like
a restore's (``ops.restore.times``: local, RFC 3339 or relative) and checked against the plan's window and
the database's age before anything is created; on the local Turso the recovery point it copies is named.
An encrypted (BYOK) source is branched with its key (``remote_encryption``, the same key, as the docs
require); the branch has that key too. The source is only ever read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tursotui.ops.access import copy_key, remote_encryption
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.names import check_name
from tursotui.ops.restore import RestorePlan, RestoreTime, plan_restore
from tursotui.platform import Database, PlatformClient, Seed
from tursotui.platform.models import format_timestamp


@dataclass(frozen=True)
class BranchPlan:
    source: str
    name: str
    group: str
    restore: RestorePlan | None = None
    """With a time: the restore checks (window, age, the local Turso's recovery point)."""
    encrypted: bool = False

    def lines(self) -> list[str]:
        head = [f"branch  {self.source} -> {self.name} (group {self.group})"]
        if self.restore is None:
            head.append(f"time    now: {self.source} as it is when the branch is made")
        else:
            head += self.restore.lines()
        if self.encrypted:
            head.append(f"key     {self.source} is encrypted: the branch is made with its key")
        return head

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "name": self.name,
            "group": self.group,
            "timestamp": format_timestamp(self.restore.moment) if self.restore else None,
            "restore": self.restore.to_json() if self.restore else None,
            "encrypted": self.encrypted,
        }


@dataclass(frozen=True)
class BranchResult:
    plan: BranchPlan
    database: Database
    key_variable: str | None = None
    """An encrypted source's branch has its key: the variable that gives it to later sessions."""

    def to_json(self) -> dict[str, Any]:
        db = self.database
        return {
            **self.plan.to_json(),
            "url": db.url,
            "hostname": db.hostname,
            "branched_at": format_timestamp(db.parent.branched)
            if db.parent and db.parent.branched
            else None,
            "key_variable": self.key_variable,
        }


def check_branch_name(source: str, name: str) -> str:
    """turso-cli's checks: not empty, not the source's name; then a valid database name."""
    value = name.strip()
    if not value:
        raise InputError("the branch needs a name")
    if value == source:
        raise InputError("the branch name must be different from the source database's name")
    return check_name(value, "branch")


async def plan_branch(
    platform: PlatformClient,
    source: str,
    name: str,
    *,
    when: RestoreTime | None = None,
    group: str | None = None,
    local: bool,
    now: datetime | None = None,
) -> BranchPlan:
    """Everything checked before anything is created: the names (bad input: :class:`InputError`), a free
    name (:class:`OpsError`, like the server's 409), the time against the window and the source's age."""
    check_name(source, "source database")
    name = check_branch_name(source, name)
    if group is not None:
        check_name(group, "group")
    restore = None
    if when is not None:
        restore = await plan_restore(
            platform, source, when, local=local, now=now or datetime.now(UTC), group=group
        )
        chosen = restore.group
    else:
        chosen = group or (await platform.get_database(source)).group
        if not chosen:
            raise InputError(f"database {source} has no group: give --group")
    if name in {d.name for d in await platform.list_databases()}:
        raise OpsError(f"a database named {name} already exists: choose a free name")
    encrypted = remote_encryption(platform, source) is not None
    return BranchPlan(source, name, chosen, restore, encrypted)


async def run_branch(platform: PlatformClient, plan: BranchPlan) -> BranchResult:
    """Create the branch as planned; with an encrypted source the session keeps the key for it."""
    seed = (
        Seed.copy(plan.source)
        if plan.restore is None
        else Seed.restore(plan.source, plan.restore.moment)
    )
    encryption = remote_encryption(platform, plan.source)
    await platform.create_database(
        plan.name,
        plan.group,
        seed=seed,
        remote_encryption=encryption.to_json() if encryption is not None else None,
    )
    variable = copy_key(platform, plan.source, plan.name)
    return BranchResult(plan, await platform.get_database(plan.name), variable)
