"""Platform API tokens in the local Turso on real sqld, as Turso Cloud has them: created org-wide or
group-scoped with scopes, listed, revoked, validated, and ENFORCED — a revoked or expired token gets 401, a
group-scoped token 403 outside its group or without the scope an action needs. Every exchange of the owner's
client and of the tokens' clients is checked against Turso's OpenAPI spec."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fixtures.contract import SpecValidator

from tursotui.local.control.api_tokens import SCOPES
from tursotui.local.control.profile import ProfileChoice
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.platform import PlatformClient, Seed
from tursotui.platform.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


@asynccontextmanager
async def serving(directory: Path, binary: Path) -> AsyncIterator[LocalTurso]:
    """A scaler-plan local Turso (several groups) with groups ``tenants`` and ``other``, a database in each."""
    turso = LocalTurso(
        directory, recovery_interval=0, binary=binary, profile=ProfileChoice(plan="scaler")
    )
    await turso.start()
    try:
        owner = client(turso, turso.api_token)
        if not turso.cp.state.groups:
            await owner.create_group("tenants", "sjc")
            await owner.create_group("other", "sjc")
            await owner.create_database("t1", "tenants")
            await owner.create_database("o1", "other")
        await owner.aclose()
        yield turso
    finally:
        await turso.close()


def client(turso: LocalTurso, token: str) -> PlatformClient:
    return PlatformClient(
        token,
        organization=turso.organization,
        base_url=IN_PROCESS_BASE_URL,
        transport=SpecValidator.default().wrap(turso.transport()),
        max_retries=0,
    )


async def raw(
    turso: LocalTurso, token: str, method: str, path: str, **kw: object
) -> httpx.Response:
    """A request as any HTTP client sends it, to look at the exact answer."""
    async with httpx.AsyncClient(transport=turso.transport(), base_url=IN_PROCESS_BASE_URL) as http:
        return await http.request(
            method,
            path,
            headers={"Authorization": f"Bearer {token}"},
            **kw,  # type: ignore[arg-type]
        )


async def test_create_list_validate_and_revoke_an_organization_token(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as turso:
        owner = client(turso, turso.api_token)
        created = await owner.create_api_token("ci", organization=turso.organization)
        assert created.name == "ci" and len(created.id) == 22
        assert created.token.count(".") == 2  # a JWT, shown once
        listed = {t.name: t for t in await owner.list_api_tokens()}
        assert listed["ci"].organization == "local" and listed["ci"].group == ""
        assert listed["ci"].created_at == time.strftime("%Y-%m-%d", time.gmtime())

        ci = client(turso, created.token)
        assert (await ci.validate_token()).exp == -1  # never expires, as on Turso Cloud
        assert (await owner.validate_token()).exp == -1
        await ci.create_database("made-by-ci", "other")  # org-wide: any group
        assert {t.name for t in await ci.list_api_tokens()} == {"ci"}

        assert await owner.revoke_api_token("ci") == "ci"
        with pytest.raises(Unauthorized, match="API token ci was revoked"):
            await ci.list_databases()
        assert await owner.list_api_tokens() == []
        with pytest.raises(NotFound, match="API token ci not found"):
            await owner.revoke_api_token("ci")
        await owner.aclose()
        await ci.aclose()

        # stored hashed, 0600; the secret is nowhere in the data dir
        stored = turso.data_dir / "api-tokens.json"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        record = json.loads(stored.read_text())["tokens"][0]
        assert len(record["sha256"]) == 64 and record["revoked_at"] is not None
        for path in turso.data_dir.rglob("*"):
            if path.is_file() and path.stat().st_size < 5_000_000:
                assert created.token.encode() not in path.read_bytes(), path


async def test_an_expiring_token_has_its_exp_and_is_refused_once_past_it(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as turso:
        owner = client(turso, turso.api_token)
        before = int(time.time())
        week = await owner.create_api_token("week", organization="local", expiration="1w")
        exp = (await client(turso, week.token).validate_token()).exp
        assert before + 604_800 <= exp <= int(time.time()) + 604_800
        listed = {t.name: t for t in await owner.list_api_tokens()}
        assert listed["week"].expires_at.endswith("Z")

        brief = await owner.create_api_token("brief", organization="local", expiration="1s")
        await asyncio.sleep(2.1)
        with pytest.raises(Unauthorized, match="API token brief expired at"):
            await client(turso, brief.token).validate_token()
        with pytest.raises(BadRequest, match="invalid expiration"):
            await owner.create_api_token("bad", organization="local", expiration="soon")
        await owner.aclose()


async def test_a_group_scoped_token_acts_only_in_its_group_and_only_as_its_scopes_allow(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as turso:
        owner = client(turso, turso.api_token)
        bot = await owner.create_api_token(
            "tenant-bot", organization="local", group="tenants", scopes=["read", "db:create"]
        )
        listed = {t.name: t for t in await owner.list_api_tokens()}
        assert listed["tenant-bot"].group == "tenants"
        assert listed["tenant-bot"].scopes == ("read", "db:create")

        tenant = client(turso, bot.token)
        assert [d.name for d in await tenant.list_databases()] == ["t1"]  # narrowed to its group
        assert [g.name for g in await tenant.list_groups()] == ["tenants"]
        assert (await tenant.get_database("t1")).group == "tenants"
        await tenant.create_database("t2", "tenants")
        with pytest.raises(Forbidden, match="scoped to group tenants: database o1 is not in it"):
            await tenant.get_database("o1")
        with pytest.raises(Forbidden, match="group other"):
            await tenant.create_database("sneaky", "other")
        with pytest.raises(Forbidden, match="without the db:delete scope"):
            await tenant.delete_database("t2")
        with pytest.raises(Forbidden, match="without the db:mint-token scope"):
            await tenant.create_database_token("t1")
        with pytest.raises(Forbidden, match="without the group:configure scope"):
            await tenant.add_location("tenants", "iad")
        for refused in (tenant.get_subscription(), tenant.list_plans(), tenant.list_api_tokens()):
            with pytest.raises(Forbidden, match="organization-wide"):
                await refused
        with pytest.raises(Forbidden, match="organization-wide"):
            await tenant.create_group("mine", "sjc")
        with pytest.raises(Forbidden, match="organization-wide"):
            await tenant.create_api_token("escalate", organization="local")
        assert "sneaky" not in turso.cp.state.databases

        # the cloud's error shape: {"error": "..."} with a 403
        answer = await raw(turso, bot.token, "GET", "/v1/organizations/local/databases/o1")
        assert answer.status_code == 403 and set(answer.json()) == {"error"}

        # read-only cannot mutate; full-access can do everything in its group, nothing outside it
        reader = await owner.create_api_token(
            "reader", organization="local", group="tenants", scopes=["read-only"]
        )
        ro = client(turso, reader.token)
        assert [d.name for d in await ro.list_databases()] == ["t1", "t2"]
        with pytest.raises(Forbidden, match="without the db:create scope"):
            await ro.create_database("t3", "tenants")
        with pytest.raises(Forbidden, match="without the db:configure scope"):
            await ro.update_database_configuration("t1", delete_protection=True)
        deployer = await owner.create_api_token(
            "deployer", organization="local", group="tenants", scopes=["full-access"]
        )
        listed = {t.name: t for t in await owner.list_api_tokens()}
        assert listed["deployer"].scopes == SCOPES
        full = client(turso, deployer.token)
        await full.create_database_token("t2")
        await full.delete_database("t2")
        with pytest.raises(Forbidden, match="database o1 is not in it"):
            await full.delete_database("o1")
        with pytest.raises(Forbidden, match="group other is not in it"):
            await full.create_group_token("other")
        for c in (owner, tenant, ro, full):
            await c.aclose()


async def test_a_group_scoped_token_cannot_read_another_group_through_a_seed_or_read_attach(
    tmp_path: Path, sqld_binary: Path
) -> None:
    """Branching, restoring or ATTACHing a database of another group would read it from inside the
    token's group: the source and every read_attach entry must be in the token's group too."""
    async with serving(tmp_path / "org", sqld_binary) as turso:
        owner = client(turso, turso.api_token)
        bot = await owner.create_api_token(
            "tenant-bot",
            organization="local",
            group="tenants",
            scopes=["read", "db:create", "db:mint-token", "group:mint-token"],
        )
        tenant = client(turso, bot.token)
        o1_id = turso.cp.state.databases["o1"].uuid
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        refused = "scoped to group tenants: seed source database o1 is in group other"
        with pytest.raises(Forbidden, match=refused):
            await tenant.create_database("branch", "tenants", seed=Seed.copy("o1"))
        with pytest.raises(Forbidden, match=refused):
            await tenant.create_database("restored", "tenants", seed=Seed.restore("o1", now))
        for seed in (
            {"type": "database", "value": "o1"},
            {"type": "database", "value": "o1", "timestamp": now},
        ):
            answer = await raw(
                turso,
                bot.token,
                "POST",
                "/v1/organizations/local/databases",
                json={"name": "by-value", "group": "tenants", "seed": seed},
            )
            assert answer.status_code == 403 and set(answer.json()) == {"error"}
            assert refused in answer.json()["error"]
        assert not {"branch", "restored", "by-value"} & set(turso.cp.state.databases)
        # its own group's database is still a seed it may use
        await tenant.create_database("t1-copy", "tenants", seed=Seed.copy("t1"))
        assert turso.cp.state.databases["t1-copy"].group == "tenants"

        attach = "scoped to group tenants: read_attach database o1 is in group other"
        for wanted in (["o1"], [o1_id], ["t1", "o1"]):
            with pytest.raises(Forbidden, match=attach):
                await tenant.create_database_token("t1", read_attach=wanted)
            with pytest.raises(Forbidden, match=attach):
                await tenant.create_group_token("tenants", read_attach=wanted)
        assert (await tenant.create_database_token("t1", read_attach=["t1-copy"])).jwt.count(
            "."
        ) == 2
        assert (await tenant.create_group_token("tenants", read_attach=["t1"])).jwt.count(".") == 2
        # an organization token (here the owner's) may still attach any database of the organization
        assert (await owner.create_database_token("t1", read_attach=["o1"])).jwt.count(".") == 2
        for c in (owner, tenant):
            await c.aclose()


async def test_bad_requests_name_what_is_wrong(tmp_path: Path, sqld_binary: Path) -> None:
    async with serving(tmp_path / "org", sqld_binary) as turso:
        owner = client(turso, turso.api_token)
        unknown = await raw(  # raw: the spec's enum would stop the client's request first
            turso,
            turso.api_token,
            "POST",
            "/v1/auth/api-tokens/x",
            json={"organization": "local", "group": "tenants", "scopes": ["db:drop"]},
        )
        assert unknown.status_code == 400
        assert unknown.json()["error"].startswith(
            "unknown scope 'db:drop': use one of read, db:create"
        )
        with pytest.raises(NotFound, match="group nowhere not found"):
            await owner.create_api_token(
                "x", organization="local", group="nowhere", scopes=["read"]
            )
        with pytest.raises(Forbidden, match="not a member of organization elsewhere"):
            await owner.create_api_token("x", organization="elsewhere")
        with pytest.raises(BadRequest, match="invalid API token name"):
            await owner.create_api_token("two words", organization="local")
        scopes_alone = await raw(
            turso, turso.api_token, "POST", "/v1/auth/api-tokens/x", json={"scopes": ["read"]}
        )
        assert (
            scopes_alone.status_code == 400
            and "only for a group-scoped" in scopes_alone.json()["error"]
        )
        no_scopes = await raw(
            turso,
            turso.api_token,
            "POST",
            "/v1/auth/api-tokens/x",
            json={"organization": "local", "group": "tenants"},
        )
        assert no_scopes.status_code == 400 and "non-empty list" in no_scopes.json()["error"]
        await owner.create_api_token("twice", organization="local")
        with pytest.raises(Conflict, match="already exists"):
            await owner.create_api_token("twice", organization="local")
        nobody = await raw(turso, "tlocal_not-a-token", "GET", "/v1/auth/validate")
        assert nobody.status_code == 401
        await owner.aclose()


async def test_turso_cli_paths_and_the_organization_endpoints(
    tmp_path: Path, sqld_binary: Path
) -> None:
    async with serving(tmp_path / "org", sqld_binary) as turso:
        # turso-cli mints with POST /v2/auth/api-tokens/{name}: {"token": {"name", "id", "value"}}
        answer = await raw(
            turso,
            turso.api_token,
            "POST",
            "/v2/auth/api-tokens/cli-made",
            json={"organization": "local", "group": "tenants", "scopes": ["read"]},
        )
        assert answer.status_code == 200
        minted = answer.json()["token"]
        assert set(minted) == {"name", "id", "value"} and minted["name"] == "cli-made"
        assert (await raw(turso, minted["value"], "GET", "/v1/auth/validate")).json() == {"exp": -1}

        owner = client(turso, turso.api_token)
        unrestricted = await owner.create_api_token("legacy")  # no body: deprecated, still served
        await owner.aclose()
        validator = SpecValidator.default()
        async with httpx.AsyncClient(
            transport=validator.wrap(turso.transport()),  # every exchange checked against the spec
            base_url=IN_PROCESS_BASE_URL,
            headers={"Authorization": f"Bearer {turso.api_token}"},
        ) as http:
            listing = (await http.get("/v1/organizations/local/api-tokens")).json()["tokens"]
            assert [t["name"] for t in listing] == ["cli-made"]  # unrestricted ones are not here
            assert listing[0]["owner"] == {"username": "local", "email": ""}
            assert listing[0]["scopes"] == ["read"]
            path = "/v1/organizations/local/api-tokens/"
            assert (await http.delete(path + unrestricted.id)).status_code == 404
            revoked = await http.delete(path + minted["id"])
            assert revoked.json() == {"token": minted["id"]}
        assert (await raw(turso, minted["value"], "GET", "/v1/auth/validate")).status_code == 401


async def test_tokens_and_revocations_survive_a_restart(tmp_path: Path, sqld_binary: Path) -> None:
    directory = tmp_path / "org"
    async with serving(directory, sqld_binary) as turso:
        owner = client(turso, turso.api_token)
        kept = await owner.create_api_token("kept", organization="local")
        gone = await owner.create_api_token("gone", organization="local")
        await owner.revoke_api_token("gone")
        await owner.aclose()
    async with serving(directory, sqld_binary) as turso:
        assert [d.name for d in await client(turso, kept.token).list_databases()] == ["o1", "t1"]
        with pytest.raises(Unauthorized, match="revoked"):
            await client(turso, gone.token).list_databases()
