"""Typed models of the Platform API: organizations, regions, databases, instances, groups, seeds.

Each model is a frozen dataclass with a ``from_json`` classmethod that ignores unknown fields, defaults missing
optional ones and raises :class:`~tursotui.platform.errors.ResponseFormatError` on wrong types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tursotui.platform._json import Obj
from tursotui.support.loopback import hostname_is_loopback


def database_url(hostname: str) -> str:
    """``libsql://<hostname>``; plain ``http://`` for a loopback host (the local Turso)."""
    return f"http://{hostname}" if hostname_is_loopback(hostname) else f"libsql://{hostname}"


def http_url(hostname: str) -> str:
    """The HTTP base of a database or instance hostname."""
    return f"http://{hostname}" if hostname_is_loopback(hostname) else f"https://{hostname}"


FREE_PLAN_ID = "starter"
"""The id of the free plan (the web site calls it "Free")."""


def parse_timestamp(text: str | None) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp as an aware datetime; ``None`` if absent or unparseable.

    Go emits nanoseconds (``2025-04-15T13:14:34.468213117Z``); Python keeps microseconds, so extra digits are cut.
    """
    if not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if "." in value:
        head, _, rest = value.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        value = f"{head}.{rest[: min(digits, 6)].ljust(6, '0')}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """An aware datetime as RFC 3339 in UTC (``2023-12-20T09:46:08Z``). Naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware (use datetime.now(UTC) or tzinfo=UTC)")
    utc = moment.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


@dataclass(frozen=True)
class Organization:
    name: str
    slug: str
    type: str = ""
    """``personal`` or ``team``."""
    overages: bool = False
    blocked_reads: bool = False
    blocked_writes: bool = False
    plan_id: str = ""
    plan_timeline: str = ""
    require_mfa: bool = False
    platform: str = ""
    """External platform managing the organization (e.g. ``vercel``); empty for Turso-managed ones."""

    @property
    def is_free_plan(self) -> bool:
        return self.plan_id == FREE_PLAN_ID

    @classmethod
    def from_json(cls, data: object) -> Organization:
        o = Obj(data, "organization")
        return cls(
            name=o.text("name"),
            slug=o.req_text("slug"),
            type=o.text("type"),
            overages=o.flag("overages"),
            blocked_reads=o.flag("blocked_reads"),
            blocked_writes=o.flag("blocked_writes"),
            plan_id=o.text("plan_id"),
            plan_timeline=o.text("plan_timeline"),
            require_mfa=o.flag("require_mfa"),
            platform=o.text("platform"),
        )


@dataclass(frozen=True)
class ClosestRegion:
    """The answer of ``https://region.turso.io``: the region code closest to the server and to the client."""

    server: str
    client: str

    @classmethod
    def from_json(cls, data: object) -> ClosestRegion:
        o = Obj(data, "closest region")
        return cls(server=o.text("server"), client=o.text("client"))


@dataclass(frozen=True)
class DatabaseParent:
    """The database a branch was created from."""

    id: str = ""
    name: str = ""
    branched_at: str = ""

    @property
    def branched(self) -> datetime | None:
        return parse_timestamp(self.branched_at)

    @classmethod
    def from_json(cls, data: object) -> DatabaseParent:
        o = Obj(data, "database.parent")
        return cls(id=o.text("id"), name=o.text("name"), branched_at=o.text("branched_at"))


@dataclass(frozen=True)
class Database:
    name: str
    db_id: str = ""
    hostname: str = ""
    primary_region: str = ""
    regions: tuple[str, ...] = ()
    """Deprecated by the API (the group's locations); kept for older databases."""
    group: str = ""
    block_reads: bool = False
    block_writes: bool = False
    delete_protection: bool | None = None
    """``None`` when the API did not say."""
    allow_attach: bool = False
    parent: DatabaseParent | None = None
    type: str = ""
    version: str = ""
    sleeping: bool = False
    archived: bool = False
    schema: str = ""
    is_schema: bool = False

    @property
    def url(self) -> str:
        """The libSQL URL clients connect to."""
        return database_url(self.hostname)

    @property
    def http_url(self) -> str:
        return http_url(self.hostname)

    @classmethod
    def from_json(cls, data: object) -> Database:
        o = Obj(data, "database")
        parent = o.obj("parent")
        return cls(
            name=o.req_text("Name", "name"),
            db_id=o.text("DbId", "dbId", "db_id", "ID", "id"),
            hostname=o.text("Hostname", "hostname"),
            primary_region=o.text("primaryRegion", "PrimaryRegion", "primary_region"),
            regions=o.str_list("regions", "Regions"),
            group=o.text("group", "Group"),
            block_reads=o.flag("block_reads"),
            block_writes=o.flag("block_writes"),
            delete_protection=o.opt_flag("delete_protection"),
            allow_attach=o.flag("allow_attach"),
            parent=DatabaseParent.from_json(parent) if parent else None,
            type=o.text("type", "Type"),
            version=o.text("version", "Version"),
            sleeping=o.flag("sleeping", "Sleeping"),
            archived=o.flag("archived", "Archived"),
            schema=o.text("schema", "Schema"),
            is_schema=o.flag("is_schema"),
        )


@dataclass(frozen=True)
class CreatedDatabase:
    """What ``create_database`` returns: enough to connect (then mint a token)."""

    name: str
    db_id: str = ""
    hostname: str = ""

    @property
    def url(self) -> str:
        return database_url(self.hostname)

    @classmethod
    def from_json(cls, data: object) -> CreatedDatabase:
        o = Obj(data, "database")
        return cls(
            name=o.req_text("Name", "name"),
            db_id=o.text("DbId", "dbId", "db_id"),
            hostname=o.text("Hostname", "hostname"),
        )


@dataclass(frozen=True)
class DatabaseConfiguration:
    size_limit: str | None = None
    """Maximum size as the API reports it (bytes or with a unit); ``None``/``"0"`` means no limit."""
    allow_attach: bool = False
    block_reads: bool = False
    block_writes: bool = False
    delete_protection: bool = False
    allowed_ips: tuple[str, ...] = ()
    """Allowed IPs/CIDRs; empty means no restriction."""
    allowed_aws_vpc_ids: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> DatabaseConfiguration:
        o = Obj(data, "configuration")
        return cls(
            size_limit=o.text_or_number("size_limit"),
            allow_attach=o.flag("allow_attach"),
            block_reads=o.flag("block_reads"),
            block_writes=o.flag("block_writes"),
            delete_protection=o.flag("delete_protection"),
            allowed_ips=o.str_list("allowed_ips"),
            allowed_aws_vpc_ids=o.str_list("allowed_aws_vpc_ids"),
        )


@dataclass(frozen=True)
class Instance:
    """One primary or replica of a database."""

    uuid: str
    name: str
    type: str = ""
    """``primary`` or ``replica``."""
    region: str = ""
    hostname: str = ""

    @property
    def is_primary(self) -> bool:
        return self.type == "primary"

    @property
    def url(self) -> str:
        return database_url(self.hostname)

    @property
    def http_url(self) -> str:
        return http_url(self.hostname)

    @classmethod
    def from_json(cls, data: object) -> Instance:
        o = Obj(data, "instance")
        return cls(
            uuid=o.text("uuid"),
            name=o.req_text("name"),
            type=o.text("type"),
            region=o.text("region"),
            hostname=o.text("hostname"),
        )


@dataclass(frozen=True)
class Group:
    name: str
    uuid: str = ""
    locations: tuple[str, ...] = ()
    primary: str = ""
    version: str = ""
    archived: bool = False
    delete_protection: bool = False

    @property
    def replicas(self) -> tuple[str, ...]:
        """The locations other than the primary (never remove the primary)."""
        return tuple(loc for loc in self.locations if loc != self.primary)

    @classmethod
    def from_json(cls, data: object) -> Group:
        o = Obj(data, "group")
        return cls(
            name=o.req_text("name"),
            uuid=o.text("uuid"),
            locations=o.str_list("locations"),
            primary=o.text("primary"),
            version=o.text("version"),
            archived=o.flag("archived"),
            delete_protection=o.flag("delete_protection"),
        )


@dataclass(frozen=True)
class Seed:
    """How a new database is filled, sent as ``seed`` by ``create_database``.

    Use :meth:`restore` for point-in-time restore (a NEW database from ``source`` at ``timestamp``),
    :meth:`copy` to copy a database as it is now, :meth:`upload` to upload a SQLite file afterwards.
    The source is sent under both ``name`` and ``value``: see :meth:`to_json`.
    """

    type: str
    name: str | None = None
    timestamp: str | None = None
    url: str | None = None

    @classmethod
    def restore(cls, source: str, timestamp: datetime | str) -> Seed:
        """Restore ``source`` as of ``timestamp`` (aware datetime, or an RFC 3339 string) into a new database."""
        when = timestamp if isinstance(timestamp, str) else format_timestamp(timestamp)
        return cls(type="database", name=source, timestamp=when)

    @classmethod
    def copy(cls, source: str) -> Seed:
        return cls(type="database", name=source)

    @classmethod
    def upload(cls) -> Seed:
        """An empty database waiting for ``POST https://<hostname>/v1/upload`` of a SQLite file."""
        return cls(type="database_upload")

    @classmethod
    def dump(cls, url: str) -> Seed:
        """A SQL dump at ``url`` (file://). Served by the local Turso only: not in Turso's spec."""
        return cls(type="dump", url=url)

    def to_json(self) -> dict[str, Any]:
        """The ``seed`` object; the source database goes under both ``name`` and ``value``.

        The official clients disagree on the field: the spec (``CreateDatabaseInput.seed.name``) and the TS
        Platform SDK send ``name``; turso-cli, whose ``db create --from-db``/``--timestamp`` restores and
        branches against Turso Cloud every day, sends ``value`` (``internal/turso/databases.go`` ``DBSeed``:
        ``json:"value"``). Which one the server reads is not documented, and a seed it does not read makes
        an EMPTY database instead of the copy. A Go JSON decoder ignores a field it does not know (unless told
        otherwise), and the spec's schema allows extra fields: both are sent, naming the same source."""
        body: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            body["name"] = self.name
            body["value"] = self.name
        if self.timestamp is not None:
            body["timestamp"] = self.timestamp
        if self.url is not None:
            body["url"] = self.url
        return body
