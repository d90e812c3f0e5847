"""The local Turso's audit log on real sqld: every mutating action of the Platform API appends an entry (its
author the API token that asked), ``GET …/audit-logs`` pages them newest first as the spec says, the
starter plan is refused with the code turso-cli knows, and nothing secret is ever written. Pages are checked
against Turso's spec; the codes the spec's enum lacks (:data:`LOCAL_CODES`) are added to it, by name."""

from __future__ import annotations

import asyncio
import copy
import json
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.contract import SpecValidator

from tursotui.local.control.audit import LOCAL_CODES, STARTER_REFUSAL
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient
from tursotui.platform.errors import Forbidden
from tursotui.platform.models import Seed


def spec_with_local_codes() -> SpecValidator:
    """The official spec, its ``AuditLog.code`` enum extended by exactly the local codes."""
    raw = copy.deepcopy(SpecValidator.default().raw)
    raw["components"]["schemas"]["AuditLog"]["properties"]["code"]["enum"] += list(LOCAL_CODES)
    return SpecValidator(raw)


@asynccontextmanager
async def serving(
    directory: Path, binary: Path, plan: str = "scaler", validator: SpecValidator | None = None
) -> AsyncIterator[tuple[LocalTurso, PlatformClient]]:
    turso = LocalTurso(
        directory, recovery_interval=0, binary=binary, profile=ProfileChoice(plan=plan)
    )
    await turso.start()
    owner = client(turso, turso.api_token, validator)
    try:
        yield turso, owner
    finally:
        await owner.aclose()
        await turso.close()


def client(turso: LocalTurso, token: str, validator: SpecValidator | None = None) -> PlatformClient:
    return PlatformClient(
        token,
        organization=turso.organization,
        base_url=IN_PROCESS_BASE_URL,
        transport=(validator or SpecValidator.default()).wrap(turso.transport()),
        max_retries=0,
    )


async def test_the_starter_plan_has_no_audit_logs(tmp_path: Path, sqld_binary: Path) -> None:
    async with serving(tmp_path / "org", sqld_binary, plan="starter") as (_, owner):
        await owner.create_group("default", "sjc")  # still recorded: shown once the plan allows
        with pytest.raises(Forbidden) as refused:
            await owner.list_audit_logs()
        assert refused.value.code == STARTER_REFUSAL
        assert "not available on the starter (free) plan" in refused.value.message
    async with serving(tmp_path / "org", sqld_binary, plan="developer") as (_, owner):
        page = await owner.list_audit_logs()
        assert [e.code for e in page.entries] == ["group-create"]


async def test_every_mutating_action_is_recorded_newest_first(
    tmp_path: Path, sqld_binary: Path
) -> None:
    validator = spec_with_local_codes()
    async with serving(tmp_path / "org", sqld_binary, validator=validator) as (turso, owner):
        await owner.create_group("default", "sjc")
        await owner.create_group("side", "sjc")
        await owner.add_location("side", "iad")
        await owner.create_database("app", "default")
        ci = await owner.create_api_token("ci", organization="local")
        bot = client(turso, ci.token, validator)
        await bot.create_database("made-by-ci", "side")
        await bot.aclose()
        db_token = (await owner.create_database_token("app", expiration="1d")).jwt
        group_token = (await owner.create_group_token("side", authorization="read-only")).jwt
        await owner.update_database_configuration("app", delete_protection=True)
        await owner.update_database_configuration("app", delete_protection=False, size_limit="1gb")
        await asyncio.sleep(1.1)  # the recovery point of "app" is before the timestamp
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        await owner.create_database("app-restored", "default", seed=Seed.restore("app", when))
        await owner.create_database("app-branch", "default", seed=Seed.copy("app"))
        await owner.rotate_database_tokens("app")
        await owner.rotate_group_tokens("side")
        await owner.revoke_api_token("ci")
        await owner.remove_location("side", "iad")
        await owner.delete_database("made-by-ci")
        await owner.delete_group("side")
        # refused actions are not recorded
        with pytest.raises(Forbidden):
            await owner.create_api_token("x", organization="elsewhere")

        page = await owner.list_audit_logs(page=1, page_size=100)
        codes = [e.code for e in reversed(page.entries)]
        assert codes == [
            "group-create",
            "group-create",
            "instance-create",
            "db-create",
            "user-token-create",
            "db-create",
            "db-token-create",
            "group-token-create",
            "db-protect",
            "db-unprotect",
            "db-config-update",
            "db-create",
            "db-create",
            "db-token-rotate",
            "group-token-rotate",
            "user-token-revoke",
            "instance-delete",
            "db-delete",
            "group-delete",
        ]
        assert (page.page, page.page_size, page.total_rows, page.total_pages) == (1, 100, 19, 1)
        by_code = {e.code: e for e in page.entries}  # newest of each code
        made_by_ci = [e for e in page.entries if e.data.get("name") == "made-by-ci"]
        assert [(e.code, e.author) for e in made_by_ci] == [
            ("db-delete", "local"),
            ("db-create", "ci"),
        ]
        assert by_code["group-delete"].author == "local"  # the local Turso's own token: the owner
        assert {e.origin for e in page.entries} == {"cli"}
        restored = next(e for e in page.entries if e.data.get("name") == "app-restored")
        seed = {"type": "database", "name": "app", "value": "app", "timestamp": when}
        assert restored.data["seed"] == seed
        assert restored.data["recovery_point"]
        assert restored.message.startswith(f"restored app as of {when} into new database")
        branch = next(e for e in page.entries if e.data.get("name") == "app-branch")
        assert branch.message == "branched app into new database app-branch"
        assert by_code["instance-create"].data == {"group": "side", "location": "iad"}
        assert by_code["db-config-update"].data == {"name": "app", "changes": {"size_limit": "1gb"}}
        assert by_code["user-token-create"].data == {
            "name": "ci",
            "id": ci.id,
            "organization": "local",
        }
        assert by_code["db-token-create"].data == {
            "name": "app",
            "authorization": "full-access",
            "expiration": "1d",
        }
        assert by_code["db-token-rotate"].data == {"name": "app", "group": "default"}
        created = by_code["group-create"].created
        assert created is not None and (datetime.now(UTC) - created).total_seconds() < 60

        # pages of 5, newest first, as the spec pages them
        pages = [await owner.list_audit_logs(page=n, page_size=5) for n in (1, 2, 3, 4, 5)]
        assert [p.total_pages for p in pages] == [4] * 5
        assert [len(p.entries) for p in pages] == [5, 5, 5, 4, 0]
        flat = [e.code for p in pages for e in p.entries]
        assert flat == [e.code for e in page.entries]
        assert pages[0].has_next and not pages[3].has_next

        # nothing secret, 0600
        log = turso.data_dir / "audit-log.jsonl"
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        text = log.read_text()
        for secret in (ci.token, db_token, group_token, turso.api_token):
            assert secret not in text


async def test_pages_of_spec_codes_validate_against_the_unmodified_spec(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as (_, owner):
        await owner.create_group("default", "sjc")
        await owner.create_database("app", "default")
        await owner.create_database_token("app")
        await owner.delete_database("app")
        page = await owner.list_audit_logs(page_size=2)  # validated by the official spec as is
        assert [e.code for e in page.entries] == ["db-delete", "db-token-create"]


async def test_bad_paging_is_a_400_and_the_log_survives_a_restart(
    tmp_path: Path, sqld_binary: Path
) -> None:
    directory = tmp_path / "org"
    async with serving(directory, sqld_binary) as (turso, owner):
        await owner.create_group("default", "sjc")
        async with httpx.AsyncClient(
            transport=turso.transport(), base_url=IN_PROCESS_BASE_URL
        ) as http:
            headers = {"Authorization": f"Bearer {turso.api_token}"}
            for query in ("page=0", "page_size=-1", "page=two"):
                answer = await http.get(
                    f"/v1/organizations/local/audit-logs?{query}", headers=headers
                )
                assert answer.status_code == 400, query
                assert "a whole number, 1 or more" in answer.json()["error"]
        with (turso.data_dir / "audit-log.jsonl").open("a") as log:
            log.write('{"code": "db-create", "cut short\n')  # a crash mid-line
    async with serving(directory, sqld_binary) as (_, owner):
        await owner.create_group("second", "sjc")
        entries: list[Any] = list((await owner.list_audit_logs()).entries)
        assert [e.data["name"] for e in entries] == ["second", "default"]
        assert json.dumps([e.code for e in entries]) == '["group-create", "group-create"]'
