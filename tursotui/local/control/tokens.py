"""Database and group tokens of the local Turso: real EdDSA JWTs that sqld enforces.

As on Turso Cloud, databases in a group share the group's signing key: a database token
is a group-key JWT carrying the database id, and rotating a database's tokens rotates its
group's key, so every older token of every database in the group stops working.

The claims are shaped like the cloud's: ``a`` ("rw" or "ro") always, ``id`` the database's
UUID (its ``DbId``) or ``gid`` the group's UUID, and ``p`` for ``read_attach``. sqld 0.24.32
(libsql-server ``auth/user_auth_strategies/jwt.rs``) reads a token with ``p`` by ``p`` alone,
else by ``id`` as a namespace name and ``a``. Our namespaces are named after the databases, so
a database token's ``p`` also grants its own namespace by name (``{"rw"|"ro": {"ns": [name]}}``):
sqld never matches the UUID in ``id``. Tokens of the old shape (``id: <name>``, no ``a`` for
full access) stay valid under the same key until the group is rotated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tursotui.local.control.keys import SigningKey
from tursotui.local.errors import ApiError
from tursotui.support.atomic import atomic_write
from tursotui.support.names import parse_duration

if TYPE_CHECKING:
    from tursotui.local.control.state import DatabaseState, GroupState


def parse_expiration(text: str | None) -> int | None:
    """Turso's expiration format: "never", or parts such as "2w1d30m", "90d", "12h"."""
    if text is None or text == "":
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def parse_authorization(text: str | None) -> bool:
    """True for read-only."""
    if text in (None, "", "full-access"):
        return False
    if text == "read-only":
        return True
    raise ApiError(400, f"invalid authorization {text!r}: use 'full-access' or 'read-only'")


def parse_read_attach(body: dict[str, Any]) -> list[str]:
    """``permissions.read_attach.databases`` of a create-token body (the spec's shape), or []."""
    permissions = body.get("permissions")
    if permissions is None:
        return []
    if not isinstance(permissions, dict):
        raise ApiError(400, "'permissions' must be an object such as {\"read_attach\": {...}}")
    attach = permissions.get("read_attach")
    if attach is None:
        return []
    databases = attach.get("databases") if isinstance(attach, dict) else None
    if not isinstance(databases, list) or not all(isinstance(d, str) for d in databases):
        raise ApiError(
            400, "'permissions.read_attach' must be {\"databases\": [<database name>, ...]}"
        )
    return list(dict.fromkeys(databases))


def attach_namespaces(databases: Mapping[str, DatabaseState], wanted: Sequence[str]) -> list[str]:
    """The namespaces (database names) ``read_attach`` names, each by name or by id; 400 otherwise."""
    by_id = {db.uuid: name for name, db in databases.items()}
    found: list[str] = []
    for item in wanted:
        name = item if item in databases else by_id.get(item)
        if name is None:
            raise ApiError(
                400, f"read_attach: no database named {item[:100]!r} in this organization"
            )
        found.append(name)
    return list(dict.fromkeys(found))


def token_claims(
    *,
    read_only: bool,
    database: str | None,
    database_id: str | None = None,
    group_id: str | None = None,
    read_attach: Sequence[str] = (),
    members: Sequence[str] = (),
) -> dict[str, Any]:
    """The cloud-shaped claims (besides ``iat``/``exp``) of a database token (``database`` is its
    namespace name) or of a group token (``database`` None, ``members`` its databases' names).

    A group token without ``read_attach`` is ``{a, gid}``: sqld gives it the access of ``a`` to
    every namespace that trusts the group's key. With ``read_attach`` it needs ``p``, and sqld
    then reads nothing else: the group's databases are listed by name (the cloud names the group
    by a ``tags`` entry matched against sqld's ``LIBSQL_GID``; one local sqld serves every group,
    so a database created in the group later is not covered by such a token)."""
    access = "ro" if read_only else "rw"
    claims: dict[str, Any] = {"a": access}
    if database is not None:
        if database_id:
            claims["id"] = database_id
        own: Sequence[str] = [database]
    else:
        if group_id:
            claims["gid"] = group_id
        own = members
    if database is not None or read_attach:
        claims["p"] = {access: {"ns": list(own)}}
        if read_attach:
            claims["p"]["roa"] = {"ns": list(read_attach)}
    return claims


class GroupKeys:
    """One Ed25519 key per group, as PEM files (mode 0600) under ``<data_dir>/keys``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, SigningKey] = {}

    def _path(self, group: str) -> Path:
        return self.directory / f"group-{group}.pem"

    def get(self, group: str) -> SigningKey:
        if group in self._cache:
            return self._cache[group]
        path = self._path(group)
        if path.exists():
            try:
                key = SigningKey.from_pem(path.read_bytes())
            except (ValueError, TypeError) as exc:
                raise ApiError(500, f"signing key {path} is unreadable: {exc}") from None
        else:
            key = SigningKey.generate()
            atomic_write(path, key.private_pem(), mode=0o600)
        self._cache[group] = key
        return key

    def next_path(self, group: str) -> Path:
        """The key a rotate is pushing to sqld; it replaces the group's key once every sqld has it."""
        return self.directory / f"group-{group}.pem.next"

    def prepare_rotation(self, group: str) -> SigningKey:
        """A new key written beside the current one (a full disk fails here, before any change)."""
        key = SigningKey.generate()
        atomic_write(self.next_path(group), key.private_pem(), mode=0o600)
        return key

    def commit_rotation(self, group: str, key: SigningKey) -> None:
        """The new key becomes the group's (a rename: needs no space); tokens are minted with it."""
        self.next_path(group).replace(self._path(group))
        self._cache[group] = key

    def abort_rotation(self, group: str) -> None:
        self.next_path(group).unlink(missing_ok=True)

    def interrupted_rotations(self) -> list[str]:
        """Groups whose rotate was killed midway (their sqld may hold either key)."""
        suffix = ".pem.next"
        return sorted(
            path.name.removeprefix("group-").removesuffix(suffix)
            for path in self.directory.glob(f"group-*{suffix}")
        )

    def delete(self, group: str) -> None:
        self._cache.pop(group, None)
        self._path(group).unlink(missing_ok=True)
        self.abort_rotation(group)

    def mint(
        self,
        group: str,
        *,
        database: str | None,
        read_only: bool,
        expires_in: int | None,
        database_id: str | None = None,
        group_id: str | None = None,
        read_attach: Sequence[str] = (),
        members: Sequence[str] = (),
    ) -> str:
        """A token signed with ``group``'s key; see :func:`token_claims` for its claims."""
        extra = token_claims(
            read_only=read_only,
            database=database,
            database_id=database_id,
            group_id=group_id,
            read_attach=read_attach,
            members=members,
        )
        return self.get(group).mint(read_only=read_only, expires_in=expires_in, extra=extra)

    def mint_for(
        self,
        group: GroupState,
        databases: Mapping[str, DatabaseState],
        *,
        database: DatabaseState | None,
        read_only: bool,
        expires_in: int | None,
        read_attach: Sequence[str] = (),
    ) -> str:
        """A token for ``database`` (or the whole ``group``), its ids from the organization's state."""
        attach = attach_namespaces(databases, read_attach)
        members = [n for n, db in sorted(databases.items()) if db.group == group.name]
        return self.mint(
            group.name,
            database=database.name if database else None,
            read_only=read_only,
            expires_in=expires_in,
            database_id=database.uuid if database else None,
            group_id=group.uuid,
            read_attach=attach,
            members=members if database is None else (),
        )
