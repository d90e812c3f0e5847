"""The xSwarm guide's Quick Setup Checklist as resumable steps (for `tursotui setup` and the wizard).

Each step first detects whether it is already done and then skips it, so the whole checklist can
be re-run at any time and resumes after a failure. Every write is atomic (config.toml with
tomlkit and a backup, .env 0600 with a backup, databases created server-side in one call), so a
failure mid-way leaves nothing half-written.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tursotui.config import read_env_file, update_config
from tursotui.config.envfile import AUTH_TOKEN
from tursotui.config.load import load_config
from tursotui.config.point import point_at_database
from tursotui.libsql.errors import LibsqlError
from tursotui.ops.access import DatabaseAccess, open_database
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.locations import (
    EDGE_REPLICAS_DEPRECATED,
    LocationChoices,
    add_replica_locations,
    choose_primary,
    fetch_location_warning,
    has_location,
    location_choices,
    replica_refusal,
    split_primary,
    wait_for_group_location,
)
from tursotui.ops.names import check_name
from tursotui.ops.replica import foreign_file
from tursotui.ops.session_tokens import session_tokens, sql_client
from tursotui.ops.setup_preview import expiry_words, pick_organization
from tursotui.ops.tokens import TokenLedger, entry_for, parse_expiration
from tursotui.platform import Database, Group, PlatformError
from tursotui.support.xswarm import INSERT_USER, SCHEMA, TEST_USERS

if TYPE_CHECKING:
    from tursotui.backend import Backend  # a type only: ops never imports the composition root

__all__ = ["LocationChoices", "Setup", "SetupPlan", "StepResult", "location_choices"]

Status = Literal["done", "skipped", "failed"]
CRON_LINE = "0 2 * * * tursotui backup"
REPLICA_NOTE = (
    "Edge replicas are deprecated for new Turso users; existing users can still add them."
)
CLOUD_ACCESS_HELP = (
    "Turso Cloud needs a Platform API token in TURSO_API_TOKEN (environment or .env). "
    "To get one with the Turso CLI: `turso auth login` (over SSH with no browser: "
    "`turso auth login --headless`, open the link it prints on any machine and paste the token "
    "back), then `turso auth api-tokens mint tursotui`. Or in the dashboard: app.turso.tech → "
    "Settings → API Tokens → Create. Put it in .env as TURSO_API_TOKEN=… (mode 0600)."
)


@dataclass
class SetupPlan:
    database: str = "xswarm-users"
    group: str = "default"
    organization: str | None = None
    """None = the configured organization, or the only one the token sees."""
    primary: str | None = None
    """Primary location; None = the closest (Turso Cloud) or sjc (local Turso)."""
    replicas: tuple[str, ...] = ()
    expiration: str = "90d"
    read_only: bool = False
    test_users: bool = False
    local_replica: bool = False
    backups: bool = False


@dataclass
class StepResult:
    key: str
    title: str
    status: Status
    detail: str
    statements: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.key,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "statements": self.statements,
        }


@dataclass
class _State:
    organization: str = ""
    primary: str = ""
    database: Database | None = None
    token: str | None = None
    minted: bool = False


class Setup:
    """Run the checklist against ``backend`` (Turso Cloud or the local Turso)."""

    def __init__(self, backend: Backend, plan: SetupPlan) -> None:
        self.backend = backend
        self.plan = plan
        self.settings = backend.settings
        self.is_local = backend.target == "local"
        self.state = _State()
        check_name(plan.database)
        check_name(plan.group, "group")
        parse_expiration(plan.expiration)
        self.steps: list[
            tuple[str, str, Callable[[], Awaitable[tuple[Status, str, list[str]]]]]
        ] = [
            ("api_token", "Validate the Platform API token", self._api_token),
            ("organization", "Pick the organization", self._organization),
            ("location", "Pick the primary location", self._location),
            ("database", f"Create database {plan.database}", self._database),
            ("replicas", "Add replica locations", self._replicas),
            ("db_token", "Mint a database token", self._db_token),
            ("config", "Write .env and config.toml", self._config),
            ("schema", "Apply the schema and its indexes", self._schema),
            ("test_users", "Insert the guide's test users", self._test_users),
            ("connection", "Test the connection", self._connection),
            ("local_replica", "Enable the local embedded replica", self._local_replica),
            ("backups", "Set up the backup schedule", self._backups),
        ]

    @property
    def platform(self) -> Any:
        return self.backend.platform

    @property
    def wanted_organization(self) -> str | None:
        """The plan's organization, else the client's or the configured one."""
        return self.plan.organization or self.platform.organization or self.settings.organization

    @property
    def titles(self) -> list[tuple[str, str]]:
        """``(key, title)`` of every step, in order."""
        return [(key, title) for key, title, _ in self.steps]

    async def run(
        self,
        on_step: Callable[[StepResult], None] | None = None,
        *,
        on_start: Callable[[str], None] | None = None,
    ) -> list[StepResult]:
        """Every step in order; stops at the first failure (re-running resumes there).

        ``on_start(key)`` is called as each step begins, ``on_step(result)`` when it ends."""
        results: list[StepResult] = []
        for key, title, step in self.steps:
            if on_start is not None:
                on_start(key)
            try:
                status, detail, statements = await step()
            except (OpsError, PlatformError, LibsqlError) as exc:
                status, detail, statements = "failed", str(exc), []
            result = StepResult(key, title, status, detail, statements)
            results.append(result)
            if on_step is not None:
                on_step(result)
            if status == "failed":
                break
        return results

    # --- steps ------------------------------------------------------------------------------

    async def _api_token(self) -> tuple[Status, str, list[str]]:
        if self.is_local:
            await self.platform.list_organizations()
            return "skipped", "local Turso: its own API token is valid (no account needed)", []
        validation = await self.platform.validate_token()
        exp = getattr(validation, "exp", None)
        when = (
            "never expires" if not exp or exp < 0 else time.strftime("%Y-%m-%d", time.gmtime(exp))
        )
        return "done", f"Platform API token valid ({when})", []

    async def _organization(self) -> tuple[Status, str, list[str]]:
        slugs = [o.slug for o in await self.platform.list_organizations()]
        chosen = pick_organization(slugs, self.wanted_organization)
        self.platform.organization = chosen
        self.state.organization = chosen
        if load_config(self.settings.config_path).turso.organization == chosen:
            return "skipped", f"organization {chosen} (already in config.toml)", []
        return "done", f"organization {chosen}", []

    async def _location(self) -> tuple[Status, str, list[str]]:
        # The primary is settled once the database (or its group) exists: that is checked first, so an
        # existing database never fails on a location it does not need (the closest may not be offered).
        existing = {d.name: d for d in await self.platform.list_databases()}
        groups = {g.name: g for g in await self.platform.list_groups()}
        if self.plan.database in existing:
            db = existing[self.plan.database]
            self._check_replicas(groups.get(db.group))
            where = db.primary_region or "its group's primary"
            return "skipped", f"{self.plan.database} already exists, primary {where}", []
        group = groups.get(self.plan.group)
        if group is not None and group.primary:
            self._check_replicas(group)
            return (
                "skipped",
                f"group {self.plan.group} exists: the database joins its primary {group.primary}",
                [],
            )
        chosen, described = await choose_primary(
            self.platform, self.plan.primary, local=self.is_local
        )
        self._check_replicas(Group(self.plan.group, primary=chosen, locations=(chosen,)))
        self.state.primary = chosen
        return "done", f"{chosen} ({described})", []

    def _check_replicas(self, group: Group | None) -> None:
        """Replicas asked for a group on AWS: refused now, before anything is created (the cloud refuses them)."""
        refusal = replica_refusal(group) if group is not None and self.plan.replicas else None
        if refusal is not None:
            raise InputError(f"{refusal}; run setup without --replicas")

    async def _database(self) -> tuple[Status, str, list[str]]:
        existing = {d.name: d for d in await self.platform.list_databases()}
        if self.plan.database in existing:
            self.state.database = existing[self.plan.database]
            return "skipped", f"{self.plan.database} already exists", []
        groups = {g.name for g in await self.platform.list_groups()}
        waited = ""
        if self.plan.group not in groups:
            await self.platform.create_group(self.plan.group, self.state.primary)
            # as turso-cli does: the new group's location is ready before a database is made in it
            await wait_for_group_location(self.platform, self.plan.group, self.state.primary)
            waited = f" (new group, its location {self.state.primary} ready)"
        await self.platform.create_database(self.plan.database, self.plan.group)
        self.state.database = await self.platform.get_database(self.plan.database)
        return "done", f"created {self.plan.database} in group {self.plan.group}{waited}", []

    async def _replicas(self) -> tuple[Status, str, list[str]]:
        db = self._db()
        group = await self.platform.get_group(db.group)
        missing = [loc for loc in self.plan.replicas if not has_location(group, loc)]
        if not self.plan.replicas:
            return "skipped", "none asked (optional)", []
        if not missing:
            return "skipped", f"already in {', '.join(group.locations)}", []
        refusal = replica_refusal(group)
        if refusal is not None:
            raise InputError(refusal)
        over = await fetch_location_warning(self.platform, missing)
        await add_replica_locations(self.platform, group, missing)
        note = f" — {over}" if over else ""
        return "done", f"added {', '.join(missing)}{note} — {EDGE_REPLICAS_DEPRECATED}", []

    async def _db_token(self) -> tuple[Status, str, list[str]]:
        db = self._db()
        in_env_file = read_env_file(self.settings.env_path).get(AUTH_TOKEN)
        # .env first: it may hold a token written since the settings were resolved (a re-run)
        candidates = ((in_env_file, f"the {AUTH_TOKEN} in .env"),
                      (self.settings.auth_token, f"the configured {AUTH_TOKEN}"))  # fmt: skip
        for current, which in candidates:
            if current and await self._works(db, current):
                self.state.token = current
                self._hold(db, current)
                return "skipped", f"{which} already opens {db.name}", []
        minted = await self.platform.create_database_token(
            db.name,
            expiration=self.plan.expiration,
            authorization="read-only" if self.plan.read_only else "full-access",
        )
        self.state.token, self.state.minted = minted.jwt, True
        self._hold(db, minted.jwt)
        access = "read-only" if self.plan.read_only else "full access"
        entry = entry_for(
            minted.jwt,
            scope="database",
            database=db.name,
            group=db.group,
            organization=self.platform.organization or "",
            target=self.backend.target,
            expiration=parse_expiration(self.plan.expiration),
        )
        try:
            self.ledger.record(entry)
            noted = f"recorded in the token ledger as {entry.fingerprint}"
        except OpsError as exc:
            noted = f"NOT recorded in the token ledger: {exc}"
        lifetime = expiry_words(self.plan.expiration)
        return "done", f"minted ({access}, {lifetime}; {noted})", []

    async def _config(self) -> tuple[Status, str, list[str]]:
        db = self._db()
        group = await self.platform.get_group(db.group)
        primary, replicas = split_primary(group, db.primary_region)
        wanted: dict[str, Any] = {
            "turso.database_name": db.name,
            "turso.organization": self.state.organization,
            "turso.database_url": db.url,
            "turso.primary_region": primary,
            "turso.replica_regions": replicas,
            "tursotui.target": "local" if self.is_local else "cloud",
        }
        token = self.state.token if self.state.minted else None
        pointed = point_at_database(
            self.settings.config_path, self.settings.env_path, config=wanted, token=token
        )
        if not pointed.changed:
            return "skipped", "config.toml and .env already point at the database", []
        changed, kept = [], []
        if pointed.config_keys:
            changed.append(f"config.toml ({', '.join(pointed.config_keys)})")
            kept.append(_kept(self.settings.config_path, pointed.config_backup))
        if pointed.env_written:
            changed.append(f".env ({AUTH_TOKEN}, mode 0600)")
            kept.append(_kept(self.settings.env_path, pointed.env_backup))
        return "done", "wrote " + " and ".join(changed) + "; " + "; ".join(kept), []

    async def _schema(self) -> tuple[Status, str, list[str]]:
        async with self._open() as access:
            names = {
                row[0]
                for row in (await access.client.execute("SELECT name FROM sqlite_master")).rows
            }
            wanted = {"users", "subscription_items", "usage", "idx_users_email",
                      "idx_users_xswarm_phone", "idx_users_stripe_customer"}  # fmt: skip
            if wanted <= names:
                return "skipped", "tables and indexes already exist", list(SCHEMA)
            await access.client.batch(list(SCHEMA))
        return "done", f"{len(SCHEMA)} statements applied (idempotent)", list(SCHEMA)

    async def _test_users(self) -> tuple[Status, str, list[str]]:
        if not self.plan.test_users:
            return "skipped", "not asked (optional)", []
        async with self._open() as access:
            ids = [row[0] for row in TEST_USERS]
            found = await access.client.execute(
                "SELECT COUNT(*) FROM users WHERE id IN (?, ?)", ids
            )
            if found.rows and found.rows[0][0] == len(ids):
                return "skipped", "test-123 and admin-456 already exist", []
            await access.client.batch([(INSERT_USER, list(row)) for row in TEST_USERS])
        return "done", "inserted test-123 and admin-456 (INSERT OR IGNORE)", [INSERT_USER]

    async def _connection(self) -> tuple[Status, str, list[str]]:
        db = self._db()
        if not self.state.token:
            raise OpsError("no database token to test the connection with")
        start = time.perf_counter()
        async with sql_client(self.platform, db, self.state.token) as sql:
            count = (await sql.execute("SELECT COUNT(*) FROM users")).rows[0][0]
        ms = (time.perf_counter() - start) * 1000
        return "done", f"connected to {db.url}: {count!r} users ({ms:.0f} ms)", []

    async def _local_replica(self) -> tuple[Status, str, list[str]]:
        local = load_config(self.settings.config_path).turso.local_replica
        db = self.state.database
        other = "" if db is None else foreign_file(local.local_db_path, db.name, db.url)
        note = f"; note: {other}" if other else ""
        if not self.plan.local_replica:
            return "skipped", f"not asked (optional){note}", []
        if local.enabled:
            return "skipped", f"[turso.local_replica] is already enabled{note}", []
        path = self.settings.config_path
        saved = update_config(path, {"turso.local_replica.enabled": True}, backup=True)
        return "done", f"[turso.local_replica] enabled = true; {_kept(path, saved)}{note}", []

    async def _backups(self) -> tuple[Status, str, list[str]]:
        if not self.plan.backups:
            return "skipped", "not asked (optional)", []
        schedule = f"schedule it with cron: {CRON_LINE}"
        if load_config(self.settings.config_path).turso.backup.enabled:
            return "skipped", f"[turso.backup] is already enabled; {schedule}", [CRON_LINE]
        path = self.settings.config_path
        saved = update_config(path, {"turso.backup.enabled": True}, backup=True)
        return "done", f"[turso.backup] enabled; {_kept(path, saved)}; {schedule}", [CRON_LINE]

    # --- helpers -----------------------------------------------------------------------------

    @property
    def ledger(self) -> TokenLedger:
        return TokenLedger.in_data_dir(self.settings.data_dir)

    def _open(self) -> AbstractAsyncContextManager[DatabaseAccess]:
        return open_database(
            self.platform, self._db().name, ledger=self.ledger, target=self.backend.target
        )

    def _hold(self, db: Database, token: str) -> None:
        """The schema and test-user steps (and nothing else of this run) use setup's own token: no mint."""
        session_tokens(self.platform).hold(self.platform.organization or "", db, token)

    def _db(self) -> Database:
        if self.state.database is None:
            raise OpsError(f"database {self.plan.database} is not there yet")
        return self.state.database

    async def _works(self, db: Database, token: str) -> bool:
        try:
            async with sql_client(self.platform, db, token) as sql:
                await sql.execute("SELECT 1")
        except LibsqlError:
            return False
        return True


def _kept(path: Path, backup: Path | None) -> str:
    """What became of the file a step rewrote: its backup, or that it is new."""
    if backup is None:
        return f"{path.name} is new (nothing to back up)"
    return f"previous {path.name} kept as {backup}"
