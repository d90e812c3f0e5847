"""Rotation scope (one helper for the CLI and the console) and the ledger after a rotation, including
a tech-preview database rotated alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tursotui.local.control.keys import SigningKey
from tursotui.ops.errors import InputError
from tursotui.ops.token_actions import rotate_tokens, scope_of_rotation
from tursotui.ops.tokens import TokenLedger, entry_for
from tursotui.platform import Database

DBS = (
    Database("a", group="g"),
    Database("b", group="g"),
    Database("c", group="other"),
    Database("t", group="g", version="tech-preview"),
)


def test_scope_of_a_database_in_a_group_is_its_group() -> None:
    scope = scope_of_rotation(DBS[1], DBS)
    assert (scope.group, scope.databases, scope.database) == ("g", ("a", "b", "t"), "b")
    assert "Database b is part of group g" in scope.describe()


def test_scope_of_a_group_and_of_a_tech_preview_database() -> None:
    scope = scope_of_rotation(None, DBS, group="g")
    assert (scope.group, scope.databases, scope.database) == ("g", ("a", "b", "t"), "")
    alone = scope_of_rotation(DBS[3], DBS)
    assert (alone.group, alone.databases, alone.database) == ("", ("t",), "t")
    assert alone.describe() == "Database t is rotated alone: only its own tokens stop working."
    with pytest.raises(InputError, match="give a database or a group"):
        scope_of_rotation(None, DBS)


def _ledger(tmp_path: Path) -> tuple[TokenLedger, list[str]]:
    ledger = TokenLedger.in_data_dir(tmp_path)
    prints = []
    for db in ("t", "a"):
        token = SigningKey.generate().mint(expires_in=3600, extra={"id": db})
        entry = entry_for(
            token, scope="database", database=db, group="g", organization="o", target="local"
        )
        ledger.record(entry)
        prints.append(entry.fingerprint)
    return ledger, prints


def test_mark_revoked_by_database_leaves_the_group_s_others(tmp_path: Path) -> None:
    ledger, (t, a) = _ledger(tmp_path)
    revoked = ledger.mark_revoked(database="t", organization="o", target="local")
    assert [e.fingerprint for e in revoked] == [t]
    state = {e.fingerprint: e.revoked_at for e in ledger.entries()}
    assert state[t] is not None and state[a] is None
    with pytest.raises(InputError, match="a group or a database"):
        ledger.mark_revoked(group="g", database="t")


class Platform:
    organization = "o"

    def __init__(self) -> None:
        self.rotated: list[str] = []

    async def get_database(self, name: str) -> Database:
        return next(d for d in DBS if d.name == name)

    async def list_databases(self) -> list[Database]:
        return list(DBS)

    async def rotate_database_tokens(self, name: str) -> None:
        self.rotated.append(name)


async def test_rotating_a_tech_preview_database_revokes_its_ledger_entries(tmp_path: Path) -> None:
    ledger, (t, _a) = _ledger(tmp_path)
    platform = Platform()
    rotation = await rotate_tokens(
        platform,  # type: ignore[arg-type]
        database="t",
        group=None,
        ledger=ledger,
        target="local",
    )
    assert platform.rotated == ["t"] and rotation.rotated == "database"
    assert [e.fingerprint for e in rotation.revoked] == [t]
    assert {e.fingerprint for e in ledger.entries() if e.revoked_at} == {t}
