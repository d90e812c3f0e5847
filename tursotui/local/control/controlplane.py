"""The local Turso control plane: one organization, its groups and databases, over real sqld.

Every mutation holds one lock and saves the state file atomically before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

from tursotui.local.control import (
    archive,
    databases,
    dbconfig,
    encryption,
    groups,
    plans,
    platforms,
    querylog,
    rotation,
    startup,
    syncauth,
)
from tursotui.local.control import profile as profiles
from tursotui.local.control.billing import Block, effective
from tursotui.local.control.binding import Binder
from tursotui.local.control.keys import SigningKey
from tursotui.local.control.state import (
    DatabaseState,
    GroupState,
    OrgState,
    StateStore,
    ensure_api_token,
    now,
)
from tursotui.local.control.tokens import GroupKeys, parse_authorization, parse_expiration
from tursotui.local.engine.dataplane import PRIMARY, DataPlane
from tursotui.local.engine.proxy import namespace_header
from tursotui.local.engine.settle import settle
from tursotui.local.errors import ApiError, not_found
from tursotui.support.loopback import loopback_only_tls
from tursotui.support.names import name_problem

log = logging.getLogger(__name__)


def check_name(kind: str, name: str) -> None:
    problem = name_problem(name, kind)
    if problem is not None:
        raise ApiError(400, problem)


class ControlPlane:
    """Owns the state file, the signing keys and the :class:`DataPlane`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        binary: Path | None = None,
        clock: Callable[[], float] = now,
        profile: profiles.ProfileChoice | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.choice = profile or profiles.ProfileChoice()
        self.profile = profiles.Profile()  # resolved at start (tursotui.local.control.profile)
        self.plan_overrides: dict[str, dict[str, int | None]] = {}
        self.quota_block = Block()  # what the plan's quotas block now (control.billing)
        self.legacy_groups = False  # groups may take legacy (Fly) codes: platforms.legacy_groups
        self.store = StateStore(data_dir)
        self.keys = GroupKeys(data_dir / "keys")
        # sqld's admin APIs on 127.0.0.1, plain HTTP: no CA bundle to load.
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, connect=5.0), verify=loopback_only_tls()
        )
        self.dataplane = DataPlane(data_dir / "sqld", self.http, binary, data_dir=data_dir)
        self.clock = clock
        self.lock = asyncio.Lock()
        self.state = OrgState()
        self.api_token = ""
        self.api_token_created = False
        self.notices: list[str] = []
        """What the start had to work around: broken databases, orphans removed, a rotate undone."""
        self.key_locks: dict[str, asyncio.Lock] = {}
        self.on_seeded: Callable[[str], Coroutine[Any, Any, None]] | None = None
        """Called (as a task, after the lock is released) once an upload has seeded a database:
        :class:`Pitr` takes its first recovery point."""
        self._seeding: set[asyncio.Task[None]] = set()
        self.binder = Binder(self)
        """Binds the databases' listeners at start (a fleet's after it: control.binding)."""
        self.creating: set[str] = set()
        """Names being created (claimed under the lock, recorded under it once made)."""
        self.failed_creates: set[str] = set()
        """Names whose create failed in this run: sqld may hold them (startup.clear_orphan)."""

    # --- lifecycle ---

    async def start(self) -> None:
        self.state = self.store.load()
        self.notices.clear()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.api_token, self.api_token_created = ensure_api_token(self.data_dir / "api-token")
        self.profile, notes = profiles.resolve_profile(self.data_dir, self.choice)
        self.notices.extend(notes)
        self.plan_overrides = profiles.load_plan_overrides(self.data_dir)
        await startup.serve_all(self)

    async def ready(self, *names: str) -> None:
        """Return once the listeners of ``names`` are bound (at once, but for a fleet just started)."""
        await self.binder.ready(names)

    def seeded(self, name: str) -> None:
        """Database ``name`` now holds its seed: run :attr:`on_seeded` once the lock is free."""
        if self.on_seeded is not None:
            task = asyncio.create_task(self.on_seeded(name))
            self._seeding.add(task)
            task.add_done_callback(self._seeding.discard)

    def quotas(self) -> dict[str, Any]:
        """The quotas of the profile's plan (``GET …/plans``'s entry)."""
        return plans.quotas_of(self.profile.plan, self.profile.platform, self.plan_overrides)

    def mark_broken(self, db: DatabaseState, reason: str) -> None:
        startup.mark_broken(self, db, reason)

    async def close(self) -> None:
        await self.binder.close()
        for task in list(self._seeding):
            task.cancel()
        await asyncio.gather(*self._seeding, return_exceptions=True)
        if self.dataplane.nodes:
            await querylog.record(self)  # sqld keeps its top queries in memory only
        await self.dataplane.close()
        await self.http.aclose()
        try:
            self.store.compact(self.state)  # a large org's journal folded into state.json
        except OSError as exc:
            log.warning("%s was left to the next start: %s", self.store.journal.path, exc)

    def save(self, *databases: str) -> None:
        """Save the state; ``databases``: the only ones this change touched (a large org then appends
        them to its journal instead of rewriting state.json: control.state.StateStore)."""
        self.store.save(self.state, databases or None)

    # --- lookups ---

    def group(self, name: str) -> GroupState:
        group = self.state.groups.get(name)
        if group is not None:
            return group
        if any(db.group == name for db in self.state.databases.values() if db.broken):
            # A broken database names a group state.json lacks: show it with no locations.
            return GroupState(name=name, primary="", locations=[])
        raise not_found("group", name)

    def _own_group(self, name: str) -> GroupState:
        group = self.state.groups.get(name)
        if group is None:
            raise not_found("group", name)
        return group

    def _servable(self, name: str) -> DatabaseState:
        db = self.database(name)
        if db.broken:
            raise ApiError(409, f"database {name} is not served by this start: {db.broken}")
        return db

    def database(self, name: str) -> DatabaseState:
        db = self.state.databases.get(name)
        if db is None:
            raise not_found("database", name)
        return db

    @staticmethod
    def replica_locations(group: GroupState) -> list[str]:
        return [loc for loc in group.locations if loc != group.primary]

    def namespace_file(self, name: str) -> Path:
        return self.dataplane.root / "primary" / "data.sqld" / "dbs" / name / "data"

    def hostname(self, db: DatabaseState, location: str | None = None) -> str:
        group = self.group(db.group)
        if location is None or location == group.primary:
            return f"127.0.0.1:{db.port}"
        return f"127.0.0.1:{db.replica_ports[location]}"

    def instances(self, db: DatabaseState) -> list[dict[str, Any]]:
        group = self.group(db.group)
        out = [
            {
                "uuid": db.uuid,
                "name": group.primary,
                "type": "primary",
                "region": group.primary,
                "hostname": self.hostname(db),
            }
        ]
        for location in self.replica_locations(group):
            out.append(
                {
                    "uuid": str(uuid.uuid5(uuid.UUID(db.uuid), location)),
                    "name": location,
                    "type": "replica",
                    "region": location,
                    "hostname": self.hostname(db, location),
                }
            )
        return out

    # --- namespaces, keys and proxies ---

    def namespace_config(self, db: DatabaseState) -> dict[str, Any]:
        """What ``POST /v1/namespaces/{db}/create`` takes for ``db``: its key and limits in one call."""
        config: dict[str, Any] = {
            "jwt_key": self.keys.get(db.group).public_b64url(),
            "allow_attach": db.allow_attach,
        }
        if db.size_limit:
            config["max_db_size"] = db.size_limit
        return config

    async def create_namespace(self, db: DatabaseState, *, dump_url: str | None = None) -> None:
        """The primary namespace of ``db``, created with its config (key, limits) in one call."""
        admin = self.dataplane.node(PRIMARY).admin
        await admin.create_namespace(db.name, **self.namespace_config(db), dump_url=dump_url)
        blocks = effective(db, self.quota_block)  # its own, or the organization's quota block
        if blocks["block_reads"] or blocks["block_writes"]:  # not accepted by create: set when true
            await admin.set_config(db.name, **blocks)

    async def attach(self, db: DatabaseState, *, create: bool, warm: bool = True) -> None:
        """Make ``db`` live: its namespace (created with its config when asked) and its proxies.

        Replicas get no admin call: a replica sqld creates the namespace on first access and
        takes its config (the key) from the primary. A create on a replica would reset the key
        it holds, leaving that replica URL open to anyone.
        """
        group = self.group(db.group)
        if create:
            await self.create_namespace(db)
        db.port = await self.dataplane.expose(db.name, PRIMARY, db.port, self._on_upload)
        await settle(
            self.attach_replica(db, loc, warm=warm) for loc in self.replica_locations(group)
        )
        archive.mark(self, db)  # an archived group's URLs answer 502 (control.archive)
        encryption.mark(self, db)  # an encrypted database's URLs want its key (control.encryption)
        syncauth.mark(self, db)  # its sync store, read only with its own tokens (control.syncauth)

    async def attach_replica(self, db: DatabaseState, location: str, *, warm: bool = True) -> None:
        """Serve ``db`` at a replica location; ``warm``: replicate it now rather than on first use."""
        node = await self.dataplane.start_node(location)
        port = db.replica_ports.get(location, 0)
        db.replica_ports[location] = await self.dataplane.expose(db.name, location, port)
        if warm:
            await self._warm(db, node.process.http_url)

    async def warm(self, db: DatabaseState) -> None:
        """Have each replica of ``db`` load it now (else on its first query)."""
        if self.state.databases.get(db.name) is db:
            nodes = [
                self.dataplane.nodes.get(loc)
                for loc in self.replica_locations(self.group(db.group))
            ]
            await asyncio.gather(
                *(self._warm(db, node.process.http_url) for node in nodes if node is not None)
            )

    async def _warm(self, db: DatabaseState, http_url: str) -> None:
        """One query so a replica loads the namespace (its stats say index 0 until then)."""
        body = {"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}, {"type": "close"}]}
        # If the replica does not answer yet, its lag shows as unknown until it does.
        with contextlib.suppress(httpx.HTTPError):
            await self.http.post(
                f"{http_url}/v2/pipeline", json=body, headers=self.internal_headers(db)
            )

    async def apply_config(self, db: DatabaseState) -> None:
        """Push ``db``'s settings to its primary namespace; the replicas follow from the primary."""
        await self.dataplane.node(PRIMARY).admin.set_config(
            db.name,
            jwt_key=self.keys.get(db.group).public_b64url(),
            allow_attach=db.allow_attach,
            **effective(db, self.quota_block),
            max_db_size=db.size_limit or dbconfig.NO_SIZE_LIMIT,  # none: sqld's own default
        )

    # --- groups (tursotui.local.control.groups) ---

    async def create_group(self, name: str, location: str) -> GroupState:
        check_name("group", name)
        platforms.check_group_location(self.profile.platform, location, legacy=self.legacy_groups)
        async with self.lock:
            return groups.create(self, name, location)

    async def delete_group(self, name: str) -> GroupState:
        async with self.lock:
            return groups.delete(self, self._own_group(name))

    async def add_location(self, name: str, location: str) -> GroupState:
        async with self.lock:
            group = self._own_group(name)
            platforms.check_replica_location(group, location)
            return await groups.add_location(self, group, location)

    async def remove_location(self, name: str, location: str) -> GroupState:
        async with self.lock:
            return await groups.remove_location(self, self._own_group(name), location)

    # --- databases ---

    create_database = databases.create
    """Create a database; ``seed`` (async, given the new state) fills it before it goes live."""

    async def delete_database(self, name: str) -> DatabaseState:
        await self.ready(name)  # a listener still to be bound at start is bound, then closed here
        async with self.lock:
            db = self.database(name)
            dbconfig.check_deletable(db)
            await self.dataplane.unexpose(name)
            for location in self.replica_locations(self.group(db.group)):
                node = self.dataplane.nodes.get(location)
                if node is not None:
                    await node.admin.delete_namespace_if_exists(name)
            primary = self.dataplane.primary.admin
            if db.broken:  # its namespace may be gone already
                await primary.delete_namespace_if_exists(name)
            else:
                await primary.delete_namespace(name)
            await syncauth.forget(self, db)  # its sync store goes too (control.syncauth)
            del self.state.databases[name]
            self.state.recovery_points.pop(name, None)
            self.save(name)
            return db

    async def update_configuration(self, name: str, changes: dict[str, Any]) -> DatabaseState:
        """Checked whole before anything changes; if sqld or the disk refuses, nothing has."""
        wanted = dbconfig.checked_changes(changes)
        async with self.lock:
            db = self._servable(name)
            await dbconfig.apply(self, db, wanted)
            return db

    # --- uploads (Turso's `POST /v1/upload` on the database URL) ---

    async def _on_upload(
        self, name: str, authorization: str | None, path: Path | None
    ) -> tuple[int, dict[str, Any]]:
        """The proxy's upload handler: first with no file (100: go on, before any body byte is
        read), then with the stored file (see tursotui.local.engine.upload_body)."""
        from tursotui.local.control.uploads import accept_upload

        try:
            answer = await accept_upload(self, name, authorization, path)
        except ApiError as exc:
            return exc.status, exc.body()
        return (100 if path is None else 200), answer

    # --- tokens (tursotui.local.control.rotation) ---

    def key_lock(self, group: str) -> asyncio.Lock:
        """Per group: held by a rotate until every sqld has the new key, and by each token mint."""
        return self.key_locks.setdefault(group, asyncio.Lock())

    async def create_token(
        self,
        *,
        group: str,
        database: DatabaseState | None,
        expiration: str | None,
        authorization: str | None,
        read_attach: list[str] | None = None,
    ) -> str:
        self._own_group(group)
        return await rotation.mint(
            self,
            group,
            database=database,
            read_only=parse_authorization(authorization),
            expires_in=parse_expiration(expiration),
            read_attach=read_attach or (),
        )

    async def set_key(self, db: DatabaseState, key: SigningKey) -> None:
        await self.dataplane.node(PRIMARY).admin.set_config(db.name, jwt_key=key.public_b64url())

    async def rotate_group_key(self, group: str) -> None:
        async with self.lock, self.key_lock(group):
            self._own_group(group)
            await rotation.rotate(self, group)

    # --- helpers for SQL against a database (trusted, control plane only) ---

    def internal_token(self, db: DatabaseState) -> str:
        return self.keys.mint_for(
            self.group(db.group), {}, database=db, read_only=False, expires_in=300
        )

    def internal_headers(self, db: DatabaseState) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.internal_token(db)}",
            "x-namespace-bin": namespace_header(db.name).decode("ascii"),
        }

    async def stats(self, db: DatabaseState, location: str = PRIMARY) -> dict[str, Any]:
        node = self.dataplane.node(location)
        return await node.admin.stats(db.name)


__all__ = ["ControlPlane", "check_name"]
