"""The local Turso's rules for API tokens and the audit log, without sqld: scopes and presets, the token store
(hashed, 0600, revoked and expired), audit paging newest first, and that every route of the Platform API has a
scope rule and every mutating route an audit entry (a route added later is closed and named here)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from tursotui.local.api.access import ADMIN, NEEDS, need_of
from tursotui.local.api.trail import TRAIL, Done
from tursotui.local.control.api_tokens import SCOPES, ApiTokenStore, expand_scopes
from tursotui.local.control.audit import LOCAL_CODES, AuditLog, origin_of
from tursotui.local.errors import ApiError
from tursotui.local.host.service import LocalTurso


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_presets_expand_and_unknown_scopes_are_named() -> None:
    assert expand_scopes(["read-only"]) == ["read"]
    assert expand_scopes(["full-access"]) == list(SCOPES)
    assert expand_scopes(["db:mint-token", "read", "read"]) == ["read", "db:mint-token"]
    for bad in ([], "read", [1]):
        with pytest.raises(ApiError, match="non-empty list of strings"):
            expand_scopes(bad)
    with pytest.raises(ApiError, match="unknown scope 'write'"):
        expand_scopes(["write"])


def test_the_store_keeps_hashes_and_refuses_revoked_and_expired_tokens(tmp_path: Path) -> None:
    clock = Clock()
    store = ApiTokenStore(tmp_path, clock)
    record, secret = store.create(
        "ci", organization="local", group="g", scopes=["read"], expires_in=60
    )
    principal = store.authenticate(secret)
    assert (principal.name, principal.group, principal.scopes) == ("ci", "g", frozenset({"read"}))
    assert principal.exp() == int(clock.now) + 60
    text = (tmp_path / "api-tokens.json").read_text()
    assert secret not in text and record.sha256 in text
    assert stat.S_IMODE((tmp_path / "api-tokens.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys" / "api-tokens.pem").stat().st_mode) == 0o600

    with pytest.raises(ApiError, match="already exists"):
        store.create("ci", organization="local", group=None, scopes=[], expires_in=None)
    clock.now += 61
    with pytest.raises(ApiError, match="API token ci expired at"):
        store.authenticate(secret)
    store.revoke(record)
    with pytest.raises(ApiError, match="API token ci was revoked at"):
        ApiTokenStore(tmp_path, clock).authenticate(secret)  # read back from the file
    again, _ = store.create("ci", organization="local", group=None, scopes=[], expires_in=None)
    assert again.to_json() == {
        "name": "ci",
        "id": again.id,
        "created_at": "2027-01-15",
        "organization": "local",
    }
    with pytest.raises(ApiError, match="invalid API token for the local Turso"):
        store.authenticate("tlocal_unknown")


def test_a_corrupt_token_file_is_named_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "api-tokens.json").write_text("{not json")
    with pytest.raises(ApiError, match=r"api-tokens\.json cannot be read"):
        ApiTokenStore(tmp_path).authenticate("anything")
    assert (tmp_path / "api-tokens.json").read_text() == "{not json"


def test_audit_pages_are_newest_first_and_bad_lines_are_skipped(tmp_path: Path) -> None:
    clock = Clock()
    log = AuditLog(tmp_path, clock)
    for n in range(7):
        clock.now += 1
        log.append("db-create", author="local", data={"name": f"db{n}"})
    with (tmp_path / "audit-log.jsonl").open("a") as f:
        f.write("{torn\n")
    fresh = AuditLog(tmp_path, clock)
    first = fresh.page({"page_size": "3"})
    assert [e["data"]["name"] for e in first["audit_logs"]] == ["db6", "db5", "db4"]
    assert first["pagination"] == {"page": 1, "page_size": 3, "total_pages": 3, "total_rows": 7}
    last = fresh.page({"page": "3", "page_size": "3"})
    assert [e["data"]["name"] for e in last["audit_logs"]] == ["db0"]
    assert fresh.page({"page": "9"})["audit_logs"] == []
    assert fresh.page({})["pagination"]["page_size"] == 100
    assert first["audit_logs"][0]["created_at"] == "2027-01-15T08:00:07Z"
    with pytest.raises(ApiError, match="invalid page_size '0'"):
        fresh.page({"page_size": "0"})
    assert stat.S_IMODE((tmp_path / "audit-log.jsonl").stat().st_mode) == 0o600
    assert origin_of("Mozilla/5.0") == "web" and origin_of("tursotui/0.1") == "cli"


def _handlers(tmp_path: Path) -> list[tuple[str, set[str], str]]:
    """(path, methods, handler name) of every route of the local Turso's Platform API."""
    app = LocalTurso(tmp_path / "org").app  # nothing starts: the app is only built
    out = []
    for route in app.routes:
        cells = [c.cell_contents for c in route.endpoint.__closure__ or ()]  # type: ignore[attr-defined]
        handler = next(c for c in cells if callable(c) and hasattr(c, "__self__"))
        out.append((route.path, set(route.methods or ()) - {"HEAD"}, handler.__name__))  # type: ignore[attr-defined]
    return out


def test_every_route_has_a_scope_rule_and_every_mutation_an_audit_entry(tmp_path: Path) -> None:
    routes = _handlers(tmp_path)
    assert len(routes) > 30
    for path, methods, name in routes:
        assert name in NEEDS, f"{name} ({path}) has no scope rule: add it to access.NEEDS"
        if methods & {"POST", "PATCH", "PUT", "DELETE"}:
            assert name in TRAIL, f"{name} ({path}) writes no audit entry: add it to trail.TRAIL"
    assert need_of("a_new_route", "POST", {"db": "x"}) is ADMIN  # closed until named
    assert need_of("a_new_route", "GET", {"db": "x"}) == NEEDS["get_database"]
    assert written_codes() - set(LOCAL_CODES) <= SPEC_CODES


SPEC_CODES = {
    "db-create", "db-delete", "db-protect", "db-unprotect", "db-token-create", "group-token-create",
    "user-token-create", "instance-create", "instance-delete", "group-create", "group-delete",
    "group-unarchive", "db-aunrchive",
}  # fmt: skip
"""The spec's ``AuditLog.code`` values the local Turso writes."""


def written_codes() -> set[str]:
    """Every code the trail writes: each entry maker run on a request that touches everything."""
    cp = SimpleNamespace(state=SimpleNamespace(databases={}))
    done = Done(
        params={"db": "a", "group": "g", "location": "l"},
        query={},
        body={"delete_protection": True, "size_limit": "1gb", "group": "g"},
        answer={"database": {"Name": "a"}, "group": {"name": "g", "primary": "sjc"}},
        extra={"name": "ci"},
        access=SimpleNamespace(cp=cp),  # type: ignore[arg-type]
    )
    return {code for make in TRAIL.values() for code, _, _ in make(done)}


def test_the_json_of_a_token_file_round_trips(tmp_path: Path) -> None:
    store = ApiTokenStore(tmp_path)
    store.create("a", organization=None, group=None, scopes=[], expires_in=None)
    data = json.loads((tmp_path / "api-tokens.json").read_text())
    assert list(data) == ["tokens"] and data["tokens"][0]["organization"] is None
    assert [r.name for r in ApiTokenStore(tmp_path).active()] == ["a"]
