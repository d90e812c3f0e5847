"""Database and group tokens of the local Turso: real EdDSA JWTs that sqld enforces.

As on Turso Cloud, databases in a group share the group's signing key: a database token
is a group-key JWT carrying the database id, and rotating a database's tokens rotates its
group's key, so every older token of every database in the group stops working.
"""

from __future__ import annotations

from pathlib import Path

from tursotui.local.control.keys import SigningKey
from tursotui.local.errors import ApiError
from tursotui.support.atomic import atomic_write
from tursotui.support.names import parse_duration


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
    ) -> str:
        # sqld reads the "id" claim as the namespace a token is scoped to.
        extra = {"id": database} if database else {"gid": group}
        return self.get(group).mint(read_only=read_only, expires_in=expires_in, extra=extra)
