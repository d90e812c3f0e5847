"""Issue and rotate database/group tokens, keeping the ledger (metadata only) up to date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from tursotui.ops.errors import InputError
from tursotui.ops.names import check_name
from tursotui.ops.session_tokens import session_tokens
from tursotui.ops.tokens import Authorization, Expiration, LedgerEntry, TokenLedger, entry_for
from tursotui.platform import Database, PlatformClient


@dataclass(frozen=True)
class IssuedToken:
    token: str = field(repr=False)
    entry: LedgerEntry

    def to_json(self, *, include_token: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"ledger": self.entry.to_json()}
        if include_token:
            body["token"] = self.token
        return body


async def issue_token(
    platform: PlatformClient,
    *,
    database: str | None,
    group: str | None,
    expiration: Expiration,
    read_only: bool,
    ledger: TokenLedger | None,
    target: str = "",
) -> IssuedToken:
    """Mint a database token (or a group token when only ``group`` is given) and record it."""
    if (database is None) == (group is None):
        raise InputError("give a database or a group (not both)")
    authorization: Authorization = "read-only" if read_only else "full-access"
    if database is not None:
        check_name(database)
        group_name = (await platform.get_database(database)).group
        minted = await platform.create_database_token(
            database, expiration=expiration.text, authorization=authorization
        )
        scope = "database"
    else:
        group_name = check_name(group, "group")
        minted = await platform.create_group_token(
            group_name, expiration=expiration.text, authorization=authorization
        )
        scope = "group"
    entry = entry_for(
        minted.jwt,
        scope="database" if scope == "database" else "group",
        database=database or "",
        group=group_name,
        organization=platform.organization or "",
        target=target,
        expiration=expiration,
    )
    issued = IssuedToken(minted.jwt, entry)
    if ledger is not None:
        ledger.record(entry)
    return issued


TECH_PREVIEW = "tech-preview"
"""A database version whose tokens are its own (turso-cli rotates those per database)."""


def rotates_group(database: Database) -> bool:
    """Whether rotating ``database``'s tokens means rotating its group's, as turso-cli decides
    (``db_invalidatetokens.go``): its tokens are signed with the group's keys."""
    return bool(database.group) and database.version != TECH_PREVIEW


@dataclass(frozen=True)
class RotationScope:
    """What a rotation invalidates: every token of every database of ``group``, and its group
    tokens (a database's tokens are signed with its group's keys)."""

    group: str
    databases: tuple[str, ...]
    database: str = ""
    """The database asked for, when one was (its group is what is rotated)."""

    @property
    def via_group(self) -> bool:
        return bool(self.database) and bool(self.group)

    def describe(self) -> str:
        if not self.group:
            alone = self.database or ", ".join(self.databases)
            return f"Database {alone} is rotated alone: only its own tokens stop working."
        count = len(self.databases)
        names = ", ".join(self.databases) or "(no database)"
        lead = (
            f"Database {self.database} is part of group {self.group}: its tokens are the group's, so "
            f"rotating them rotates group {self.group} (as turso-cli does). "
            if self.via_group
            else ""
        )
        return (
            f"{lead}Group {self.group}: the tokens of its {count} database{'s' if count != 1 else ''} "
            f"stop working: {names}; and every group token of {self.group}."
        )


def scope_of_rotation(
    database: Database | None, databases: Iterable[Database], *, group: str | None = None
) -> RotationScope:
    """What rotating ``database`` (or ``group`` when no database is given) ends, from ``databases``
    (those of the organization, or at least of the group): its group's databases when its tokens
    are its group's (:func:`rotates_group`), else the database alone. The CLI and the console share it."""
    if database is not None:
        if not rotates_group(database):
            return RotationScope("", (database.name,), database.name)
        group_name, asked = database.group, database.name
    elif group:
        group_name, asked = group, ""
    else:
        raise InputError("give a database or a group (not both)")
    names = sorted({d.name for d in databases if d.group == group_name})
    return RotationScope(group_name, tuple(names), asked)


async def rotation_scope(
    platform: PlatformClient, *, database: str | None, group: str | None
) -> RotationScope:
    """The group and every database whose tokens a rotation of ``database`` (or ``group``) ends."""
    if (database is None) == (group is None):
        raise InputError("give a database or a group (not both)")
    if database is not None:
        db = await platform.get_database(check_name(database))
        if not rotates_group(db):
            return scope_of_rotation(db, ())
        return scope_of_rotation(db, await platform.list_databases())
    return scope_of_rotation(
        None, await platform.list_databases(), group=check_name(group, "group")
    )


@dataclass(frozen=True)
class Rotation:
    database: str
    group: str
    revoked: list[LedgerEntry]
    databases: tuple[str, ...] = ()
    """Every database whose tokens stopped working."""
    rotated: Literal["group", "database"] = "group"
    """What was rotated: the group (``POST …/groups/{g}/auth/rotate``) or the database alone."""

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database or None,
            "group": self.group or None,
            "rotated": self.rotated,
            "databases": list(self.databases),
            "ledger_entries_revoked": [e.fingerprint for e in self.revoked],
        }


async def rotate_tokens(
    platform: PlatformClient,
    *,
    database: str | None,
    group: str | None,
    ledger: TokenLedger | None,
    target: str = "",
) -> Rotation:
    """Invalidate every token of ``group``, or of ``database``: for a database in a group that is its
    group's rotation (turso-cli refuses ``db tokens invalidate`` there and rotates the group); a database
    outside any group is rotated alone. Replicas restart."""
    scope = await rotation_scope(platform, database=database, group=group)
    organization = platform.organization or ""
    if scope.group:
        await platform.rotate_group_tokens(scope.group)
        revoked: list[LedgerEntry] = []
        if ledger is not None:
            revoked = ledger.mark_revoked(
                group=scope.group, organization=organization, target=target
            )
        rotated: Literal["group", "database"] = "group"
    else:
        await platform.rotate_database_tokens(scope.databases[0])
        revoked = []
        if ledger is not None:
            revoked = ledger.mark_revoked(
                database=scope.databases[0], organization=organization, target=target
            )
        rotated = "database"
    session_tokens(platform).forget_group(organization, scope.group, scope.databases)
    return Rotation(database or "", scope.group, revoked, scope.databases, rotated)
