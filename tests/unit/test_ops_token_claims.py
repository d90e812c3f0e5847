"""A token's claims as sqld reads them (D13): the access level from ``a``, the permissions by database from
``p`` (``rw``, ``ro``, ``roa`` = read_attach, ``rwa``) which make sqld ignore ``a`` and ``id``, the parts of
``p`` not known here kept as they are; and which database or group a token belongs to (D6's reuse rule)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tursotui.local.control.keys import SigningKey
from tursotui.ops.token_claims import database_access, decode_claims

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC).timestamp()
KEY = SigningKey.generate()
DB_UUID = "0eb771dd-6906-11ee-8553-eaa7715aeaf2"
GROUP_UUID = "4c8b3a0e-1111-4222-8333-944455556666"


def _token(**claims: object) -> str:
    return KEY.mint(extra=dict(claims), now=NOW)


def test_access_from_a_alone() -> None:
    cloud = decode_claims(_token(a="rw", gid=GROUP_UUID))  # as a cloud group token carries it
    assert cloud.authorization == "full-access" and cloud.access_text == "full-access (a: rw)"
    assert cloud.permissions is None and cloud.to_json()["permissions"] is None
    assert decode_claims(_token(a="ro", id="app")).access_text == "read-only (a: ro)"
    assert decode_claims(_token(a="roa", id="app")).authorization == "read-only"
    bare = decode_claims(_token(id="app"))  # what the local Turso mints for full access
    assert bare.access_text == "full-access (no a claim)" and bare.access_claim == ""


def test_p_permissions_by_database_and_what_sqld_ignores() -> None:
    token = _token(
        a="ro",
        id="app",
        p={
            "rw": {"ns": ["app"]},
            "ro": {"ns": ["reports"]},
            "roa": {"ns": ["archive", "audit"]},
            "perm": [{"t": ["comments"], "a": ["data_add"]}],
        },
    )
    claims = decode_claims(token)
    # sqld: `if p.is_some() { Authorized(p) }` — the `a: ro` no longer makes it read-only
    assert claims.authorization == "full-access"
    assert claims.access_text == (
        "by database, from p (full-access at most; sqld ignores a: ro and id: app)"
    )
    assert claims.permissions is not None
    assert claims.permissions.lines() == [
        "rw (read and write): app",
        "ro (read only): reports",
        "roa (read_attach: ATTACH read-only): archive, audit",
        'perm: [{"a": ["data_add"], "t": ["comments"]}]',
    ]
    assert claims.to_json()["permissions"] == {
        "rw": ["app"],
        "ro": ["reports"],
        "roa": ["archive", "audit"],
        "other": {"perm": [{"t": ["comments"], "a": ["data_add"]}]},
    }
    assert claims.to_json()["a"] == "ro"
    read_attach_only = decode_claims(_token(p={"roa": {"ns": ["other"]}}))
    assert read_attach_only.authorization == "read-only"
    assert decode_claims(_token(p={})).permissions is not None
    assert decode_claims(_token(p={})).permissions.lines() == ["(empty: no database)"]  # type: ignore[union-attr]
    assert decode_claims(_token(p="odd")).permissions.other == {"p": "odd"}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"id": "app"}, "full-access"),  # the local Turso: the database's name
        ({"id": DB_UUID, "a": "ro"}, "read-only"),  # Turso Cloud: its id
        ({"id": "other"}, None),  # another database: never reused
        ({"gid": "default"}, "full-access"),
        ({"gid": GROUP_UUID, "a": "rw"}, "full-access"),
        ({"gid": "elsewhere"}, None),  # another group
        ({"p": {"ro": {"ns": ["app"]}}}, "read-only"),
        ({"p": {"rwa": {"ns": [DB_UUID]}}}, "full-access"),
        ({"p": {"roa": {"ns": ["app"]}, "rw": {"ns": ["other"]}}}, "read-only"),
        ({"p": {"rw": {"ns": ["other"]}}, "id": "app"}, None),  # p wins over id, as in sqld
        ({}, None),  # names nothing: not attributed to any database
    ],
)
def test_which_database_a_token_belongs_to(claims: dict[str, object], expected: str | None) -> None:
    decoded = decode_claims(_token(**claims))
    got = database_access(decoded, names=("app", DB_UUID), groups=("default", GROUP_UUID))
    assert got == expected
