"""``PlatformClient``: the async Turso Platform API client (organizations, databases, groups, tokens, billing).

Usage::

    async with PlatformClient(token, organization="my-org") as api:
        for db in await api.list_databases():
            print(db.name, db.hostname)

Org-scoped methods use ``client.organization`` unless given ``org=``; they raise ``OrganizationNotSet`` if
neither is set. ``transport=`` plugs in anything speaking httpx (the local Turso via ``httpx.ASGITransport``,
``httpx.MockTransport`` in tests).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tursotui.platform._core import segment
from tursotui.platform._json import Obj, member, members
from tursotui.platform.client_account import AccountClient
from tursotui.platform.errors import ConnectionFailed, ResponseFormatError
from tursotui.platform.local_ext import LocalExtensions
from tursotui.platform.models import (
    CreatedDatabase,
    Database,
    DatabaseConfiguration,
    Group,
    Instance,
    Seed,
    format_timestamp,
)
from tursotui.platform.models_usage import (
    DatabaseStats,
    DatabaseUsage,
)

# Token and query models are imported by the calls that return them: not before a console's first frame.
if TYPE_CHECKING:
    from tursotui.platform.models_auth import DatabaseToken
    from tursotui.platform.models_queries import QueryUsage

Authorization = Literal["full-access", "read-only"]

MAX_DATABASE_PAGES = 1000
"""Safety stop for the undocumented database-list pagination."""


@dataclass(frozen=True)
class DatabasePage:
    """One page of the database list: its number (1 for the first) and its databases."""

    number: int
    databases: tuple[Database, ...]
    last: bool
    """No page follows (the server gave no ``pagination.next``)."""


def format_expiration(expiration: str | timedelta) -> str:
    """A token lifetime as the API wants it: ``never`` or units like ``2w1d30m`` (from a ``timedelta`` too)."""
    if isinstance(expiration, str):
        if not expiration.strip():
            raise ValueError("expiration must be 'never' or a duration such as '2w1d30m'")
        return expiration.strip()
    seconds = int(expiration.total_seconds())
    if seconds <= 0:
        raise ValueError("expiration must be positive")
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _token_body(read_attach: Sequence[str] | None) -> dict[str, Any] | None:
    if read_attach is None:
        return None
    return {"permissions": {"read_attach": {"databases": list(read_attach)}}}


class PlatformClient(AccountClient, LocalExtensions):
    """Async client for ``https://api.turso.tech`` (see :class:`PlatformCore` for connection options)."""

    # -- databases -------------------------------------------------------------------------------------------

    async def list_databases(
        self,
        *,
        group: str | None = None,
        parent: str | None = None,
        page_size: int | None = None,
        org: str | None = None,
    ) -> list[Database]:
        """All databases, in one list (:meth:`database_pages` holds one page at a time)."""
        databases: list[Database] = []
        async for page in self.database_pages(
            group=group, parent=parent, page_size=page_size, org=org
        ):
            databases.extend(page.databases)
        return databases

    async def database_pages(
        self,
        *,
        group: str | None = None,
        parent: str | None = None,
        page_size: int | None = None,
        org: str | None = None,
    ) -> AsyncGenerator[DatabasePage, None]:
        """The databases page by page as they arrive, following the undocumented ``?limit=&cursor=`` /
        ``pagination.next`` paging if the server uses it (``page_size`` is sent as ``limit``); a response
        without ``pagination`` is the last page. A failing page raises its PlatformError when it is reached
        (the pages before it were yielded); a repeated cursor or more than :data:`MAX_DATABASE_PAGES` pages
        raise ResponseFormatError."""
        if page_size is not None and page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        path = f"/v1/organizations/{self._org(org)}/databases"
        base: dict[str, str | int] = {}
        if group:
            base["group"] = group
        if parent:
            base["parent"] = parent
        if page_size is not None:
            base["limit"] = page_size
        seen: set[str] = set()
        cursor: str | None = None
        for number in range(1, MAX_DATABASE_PAGES + 1):
            params = dict(base) if cursor is None else {**base, "cursor": cursor}
            databases, cursor = await self._call("GET", path, _database_page, params=params)
            yield DatabasePage(number, tuple(databases), last=not cursor)
            if not cursor:
                return
            if cursor in seen:
                raise ResponseFormatError(
                    f"pagination cursor {cursor!r} repeated", method="GET", path=path
                )
            seen.add(cursor)
        raise ResponseFormatError(
            f"more than {MAX_DATABASE_PAGES} pages of databases", method="GET", path=path
        )

    async def create_database(
        self,
        name: str,
        group: str,
        *,
        seed: Seed | None = None,
        size_limit: str | int | None = None,
        remote_encryption: dict[str, Any] | None = None,
        org: str | None = None,
    ) -> CreatedDatabase:
        """Create a database in an existing ``group``. Restore = a new database with ``Seed.restore(...)``.
        ``remote_encryption`` (``{encryption_key, encryption_cipher}``): a BYOK-encrypted database, or the
        key of an encrypted source a restore or branch copies (required then, the same key)."""
        body: dict[str, Any] = {"name": name, "group": group}
        if seed is not None:
            body["seed"] = seed.to_json()
        if size_limit is not None:
            body["size_limit"] = str(size_limit)
        if remote_encryption is not None:
            body["remote_encryption"] = remote_encryption
        return await self._call(
            "POST",
            f"/v1/organizations/{self._org(org)}/databases",
            lambda d: CreatedDatabase.from_json(member(d, "database")),
            json_body=body,
        )

    async def upload_dump(self, path: Path, *, org: str | None = None) -> str:
        """``POST …/databases/dumps`` of a SQL dump file (multipart ``file``, as turso-cli's ``db create
        --from-dump``); returns the ``dump_url`` a new database is seeded from (``Seed.dump(url)``)."""
        import httpx

        shown = f"/v1/organizations/{self._org(org)}/databases/dumps"
        with path.open("rb") as fh:
            try:
                response = await self._http.post(
                    shown, files={"file": (path.name, fh, "application/sql")}, auth=self._bearer
                )
            except httpx.HTTPError as exc:
                raise ConnectionFailed(
                    self._snippet(str(exc)) or type(exc).__name__, method="POST", path=shown
                ) from None
        if not response.is_success:
            raise self._http_error("POST", shown, response)
        return Obj(self._decode("POST", shown, response), "dump").req_text("dump_url")

    async def get_database(self, name: str, *, org: str | None = None) -> Database:
        return await self._call(
            "GET",
            self._db_path(name, org),
            lambda d: Database.from_json(member(d, "database")),
        )

    async def delete_database(self, name: str, *, org: str | None = None) -> str:
        """Delete a database; returns the deleted name."""

        def parse(data: Any) -> str:
            return Obj(data, "response").text("database", default=name)

        return await self._call("DELETE", self._db_path(name, org), parse)

    async def get_database_configuration(
        self, name: str, *, org: str | None = None
    ) -> DatabaseConfiguration:
        return await self._call(
            "GET", self._db_path(name, org, "/configuration"), DatabaseConfiguration.from_json
        )

    async def update_database_configuration(
        self,
        name: str,
        *,
        size_limit: str | int | None = None,
        block_reads: bool | None = None,
        block_writes: bool | None = None,
        delete_protection: bool | None = None,
        allow_attach: bool | None = None,
        allowed_ips: Sequence[str] | None = None,
        allowed_aws_vpc_ids: Sequence[str] | None = None,
        org: str | None = None,
    ) -> DatabaseConfiguration:
        """Change only the given fields (``None`` leaves a field unchanged; ``allowed_ips=[]`` clears it)."""
        fields: dict[str, Any] = {
            "size_limit": None if size_limit is None else str(size_limit),
            "block_reads": block_reads,
            "block_writes": block_writes,
            "delete_protection": delete_protection,
            "allow_attach": allow_attach,
            "allowed_ips": None if allowed_ips is None else list(allowed_ips),
            "allowed_aws_vpc_ids": None
            if allowed_aws_vpc_ids is None
            else list(allowed_aws_vpc_ids),
        }
        body = {key: value for key, value in fields.items() if value is not None}
        if not body:
            raise ValueError("update_database_configuration needs at least one field to change")
        return await self._call(
            "PATCH",
            self._db_path(name, org, "/configuration"),
            DatabaseConfiguration.from_json,
            json_body=body,
        )

    async def list_instances(self, name: str, *, org: str | None = None) -> list[Instance]:
        return await self._call(
            "GET",
            self._db_path(name, org, "/instances"),
            lambda d: [Instance.from_json(i) for i in members(d, "instances")],
        )

    async def get_instance(self, name: str, instance: str, *, org: str | None = None) -> Instance:
        return await self._call(
            "GET",
            self._db_path(name, org, f"/instances/{segment(instance)}"),
            lambda d: Instance.from_json(member(d, "instance")),
        )

    async def database_usage(
        self,
        name: str,
        from_: datetime | str | None = None,
        to: datetime | str | None = None,
        *,
        org: str | None = None,
    ) -> DatabaseUsage:
        """Usage over a period (default: the current calendar month). Datetimes must be timezone-aware."""
        params: dict[str, str | int] = {}
        if from_ is not None:
            params["from"] = from_ if isinstance(from_, str) else format_timestamp(from_)
        if to is not None:
            params["to"] = to if isinstance(to, str) else format_timestamp(to)
        return await self._call(
            "GET",
            self._db_path(name, org, "/usage"),
            lambda d: DatabaseUsage.from_json(member(d, "database")),
            params=params,
        )

    async def database_stats(self, name: str, *, org: str | None = None) -> DatabaseStats:
        return await self._call("GET", self._db_path(name, org, "/stats"), DatabaseStats.from_json)

    async def database_queries(
        self,
        name: str,
        from_: datetime | str | None = None,
        to: datetime | str | None = None,
        *,
        org: str | None = None,
    ) -> list[QueryUsage]:
        """Top queries (``GET …/usage/queries``, what turso-cli's ``db inspect --queries`` asks, with
        ``from`` 24 h ago there; not in the spec, whose ``/stats`` turso-cli calls obsolete)."""
        from tursotui.platform.models_queries import parse_queries

        params: dict[str, str | int] = {}
        if from_ is not None:
            params["from"] = from_ if isinstance(from_, str) else format_timestamp(from_)
        if to is not None:
            params["to"] = to if isinstance(to, str) else format_timestamp(to)
        return await self._call(
            "GET", self._db_path(name, org, "/usage/queries"), parse_queries, params=params
        )

    async def wakeup_database(self, name: str, *, org: str | None = None) -> None:
        """Wake an archived database (turso-cli's ``db unarchive``: ``POST …/wakeup``, not in the spec);
        on Turso Cloud its group is what was archived: :meth:`unarchive_group` is the spec's call."""
        await self._request("POST", self._db_path(name, org, "/wakeup"), expect_json=False)

    def _db_path(self, name: str, org: str | None, suffix: str = "") -> str:
        return f"/v1/organizations/{self._org(org)}/databases/{segment(name)}{suffix}"

    # -- database and group tokens ---------------------------------------------------------------------------

    async def create_database_token(
        self,
        name: str,
        *,
        expiration: str | timedelta = "never",
        authorization: Authorization = "full-access",
        read_attach: Sequence[str] | None = None,
        org: str | None = None,
    ) -> DatabaseToken:
        """Mint a database token (a JWT). ``read_attach`` lists databases it may ``ATTACH`` read-only."""
        return await self._mint(
            self._db_path(name, org, "/auth/tokens"), expiration, authorization, read_attach
        )

    async def _mint(
        self,
        path: str,
        expiration: str | timedelta,
        authorization: Authorization,
        read_attach: Sequence[str] | None,
    ) -> DatabaseToken:
        from tursotui.platform.models_auth import DatabaseToken

        return await self._call(
            "POST",
            path,
            DatabaseToken.from_json,
            params={"expiration": format_expiration(expiration), "authorization": authorization},
            json_body=_token_body(read_attach),
        )

    async def rotate_database_tokens(self, name: str, *, org: str | None = None) -> None:
        """Invalidate ALL tokens of the database (its replicas restart briefly)."""
        await self._request("POST", self._db_path(name, org, "/auth/rotate"), expect_json=False)

    async def create_group_token(
        self,
        group: str,
        *,
        expiration: str | timedelta = "never",
        authorization: Authorization = "full-access",
        read_attach: Sequence[str] | None = None,
        org: str | None = None,
    ) -> DatabaseToken:
        """Mint a token valid for every database of the group."""
        return await self._mint(
            self._group_path(group, org, "/auth/tokens"), expiration, authorization, read_attach
        )

    async def rotate_group_tokens(self, group: str, *, org: str | None = None) -> None:
        """Invalidate ALL tokens of every database in the group."""
        await self._request("POST", self._group_path(group, org, "/auth/rotate"), expect_json=False)

    # -- groups ----------------------------------------------------------------------------------------------

    async def list_groups(self, *, org: str | None = None) -> list[Group]:
        return await self._call(
            "GET",
            f"/v1/organizations/{self._org(org)}/groups",
            lambda d: [Group.from_json(g) for g in members(d, "groups")],
        )

    async def get_group(self, group: str, *, org: str | None = None) -> Group:
        return await self._call("GET", self._group_path(group, org), _group)

    async def create_group(
        self,
        name: str,
        location: str,
        *,
        extensions: Sequence[str] | Literal["all"] | None = None,
        org: str | None = None,
    ) -> Group:
        body: dict[str, Any] = {"name": name, "location": location}
        if extensions is not None:
            body["extensions"] = extensions if isinstance(extensions, str) else list(extensions)
        return await self._call(
            "POST", f"/v1/organizations/{self._org(org)}/groups", _group, json_body=body
        )

    async def delete_group(self, group: str, *, org: str | None = None) -> Group:
        """Delete a group AND all its databases; returns the deleted group."""
        return await self._call("DELETE", self._group_path(group, org), _group)

    async def add_location(self, group: str, location: str, *, org: str | None = None) -> Group:
        """Add a replica location to the group."""
        return await self._call(
            "POST", self._group_path(group, org, f"/locations/{segment(location)}"), _group
        )

    async def remove_location(self, group: str, location: str, *, org: str | None = None) -> Group:
        """Remove a replica location (never the primary: the API refuses it)."""
        return await self._call(
            "DELETE", self._group_path(group, org, f"/locations/{segment(location)}"), _group
        )

    async def unarchive_group(self, group: str, *, org: str | None = None) -> Group:
        """Wake a group archived after idle days on the free plan."""
        return await self._call("POST", self._group_path(group, org, "/unarchive"), _group)

    def _group_path(self, group: str, org: str | None, suffix: str = "") -> str:
        return f"/v1/organizations/{self._org(org)}/groups/{segment(group)}{suffix}"


def _group(data: Any) -> Group:
    return Group.from_json(member(data, "group"))


def _database_page(data: Any) -> tuple[list[Database], str | None]:
    response = Obj(data, "response")
    databases = [Database.from_json(d) for d in response.objs("databases")]
    pagination = response.obj("pagination")
    cursor = pagination.opt_text("next") if pagination else None
    return databases, cursor or None
