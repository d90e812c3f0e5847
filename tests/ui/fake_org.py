"""A small deterministic Turso org served over ``httpx.MockTransport`` (Platform API shapes from the spec).

Org ``acme`` on Turso Cloud (or ``local``), databases xswarm-users, xswarm-analytics (group ``default``:
primary aws-us-west-2, replicas aws-us-east-1 and aws-eu-west-1) and xswarm-staging (group ``staging``), with
this period's usage chosen to show every colour class: rows read 82 %, rows written 93 %, bytes synced 103 %.
Tests only: the lead's end-to-end tests use the real local Turso.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

TOKEN = "tursotui-test-platform-token-9f8e7d6c5b4a3210"
NS = uuid.UUID("6f1c5e2a-0000-4000-8000-000000000000")

LOCATIONS = {
    "aws-ap-northeast-1": "AWS AP NorthEast (Tokyo)",
    "aws-ap-south-1": "AWS AP South (Mumbai)",
    "aws-eu-west-1": "AWS EU West (Ireland)",
    "aws-us-east-1": "AWS US East (Virginia)",
    "aws-us-east-2": "AWS US East (Ohio)",
    "aws-us-west-2": "AWS US West (Oregon)",
}

# plans as in turso-facts.md (0 = unlimited)
PLANS = [
    {
        "name": "starter",
        "price": "0",
        "prices": [{"value": "0", "timeline": "monthly"}],
        "quotas": {
            "rowsRead": 500_000_000,
            "rowsWritten": 10_000_000,
            "databases": 100,
            "locations": 0,
            "storage": 5_000_000_000,
            "groups": 0,
            "bytesSynced": 3_000_000_000,
        },
    },
    {
        "name": "developer",
        "price": "4.99",
        "prices": [{"value": "4.99", "timeline": "monthly"}],
        "quotas": {
            "rowsRead": 2_500_000_000,
            "rowsWritten": 25_000_000,
            "databases": 0,
            "locations": 0,
            "storage": 9_000_000_000,
            "groups": 0,
            "bytesSynced": 10_000_000_000,
        },
    },
]


def usage(rows_read: int, rows_written: int, storage: int, synced: int) -> dict[str, int]:
    return {
        "rows_read": rows_read,
        "rows_written": rows_written,
        "storage_bytes": storage,
        "bytes_synced": synced,
    }


@dataclass
class FakeDatabase:
    name: str
    group: str
    usage: dict[str, int]
    delete_protection: bool = False
    block_reads: bool = False
    block_writes: bool = False

    @property
    def db_id(self) -> str:
        return str(uuid.uuid5(NS, f"db/{self.name}"))


@dataclass
class FakeGroup:
    name: str
    primary: str
    locations: list[str]

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(NS, f"group/{self.name}"))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": "v0.24.32",
            "uuid": self.uuid,
            "locations": list(self.locations),
            "primary": self.primary,
            "archived": False,
            "delete_protection": False,
        }


@dataclass
class FakeOrg:
    slug: str = "acme"
    local: bool = False
    groups: dict[str, FakeGroup] = field(default_factory=dict)
    databases: dict[str, FakeDatabase] = field(default_factory=dict)
    plans: list[dict[str, Any]] | None = field(
        default_factory=lambda: json.loads(json.dumps(PLANS))
    )
    subscription: str | None = "starter"
    blocked_reads: bool = False
    usage_in_org: bool = True
    """Org usage lists per-database usage (else the client asks each database)."""
    fail: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    """``"METHOD /path"`` -> status and body, to inject errors."""
    raise_on: dict[str, BaseException] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds ``GET …/databases`` takes (to test that refreshes never overlap)."""
    calls: list[str] = field(default_factory=list)
    listing: int = 0
    """``GET …/databases`` requests in flight now (a refresh starts with one)."""
    max_listing: int = 0

    @classmethod
    def acme(cls, **kwargs: Any) -> FakeOrg:
        org = cls(**kwargs)
        org.groups = {
            "default": FakeGroup(
                "default", "aws-us-west-2", ["aws-us-west-2", "aws-us-east-1", "aws-eu-west-1"]
            ),
            "staging": FakeGroup("staging", "aws-us-east-1", ["aws-us-east-1"]),
        }
        org.databases = {
            "xswarm-users": FakeDatabase(
                "xswarm-users",
                "default",
                usage(350_000_000, 8_000_000, 900_000_000, 2_900_000_000),
                delete_protection=True,
            ),
            "xswarm-analytics": FakeDatabase(
                "xswarm-analytics",
                "default",
                usage(60_000_000, 1_250_000, 320_000_000, 200_000_000),
            ),
            "xswarm-staging": FakeDatabase(
                "xswarm-staging",
                "staging",
                usage(2_345_678, 50_000, 14_567_890, 0),
                block_writes=True,
            ),
        }
        return org

    @classmethod
    def local_turso(cls, **kwargs: Any) -> FakeOrg:
        org = cls.acme(slug="local", local=True, **kwargs)
        org.groups["default"].locations = ["aws-us-west-2"]
        org.groups["staging"].locations = ["aws-us-east-1"]
        return org

    # -- shapes --------------------------------------------------------------------------------------------

    def hostname(self, db: str, instance: str | None = None) -> str:
        if self.local:
            return f"{db}.localhost:8080"
        prefix = f"{instance}-" if instance else ""
        return f"{prefix}{db}-{self.slug}.turso.io"

    def database_json(self, db: FakeDatabase) -> dict[str, Any]:
        group = self.groups[db.group]
        return {
            "Name": db.name,
            "DbId": db.db_id,
            "Hostname": self.hostname(db.name),
            "block_reads": db.block_reads,
            "block_writes": db.block_writes,
            "regions": list(group.locations),
            "primaryRegion": group.primary,
            "group": db.group,
            "delete_protection": db.delete_protection,
        }

    def instances_json(self, db: FakeDatabase) -> list[dict[str, Any]]:
        group = self.groups[db.group]
        return [
            {
                "uuid": str(uuid.uuid5(NS, f"instance/{db.name}/{loc}")),
                "name": loc,
                "type": "primary" if loc == group.primary else "replica",
                "region": loc,
                "hostname": self.hostname(db.name, loc),
            }
            for loc in group.locations
        ]

    def database_usage_json(self, db: FakeDatabase) -> dict[str, Any]:
        instances = self.instances_json(db)
        share = {k: v // len(instances) for k, v in db.usage.items()}
        return {
            "uuid": db.db_id,
            "instances": [{"uuid": i["uuid"], "usage": share} for i in instances],
            "total": dict(db.usage),
        }

    def org_usage_json(self) -> dict[str, Any]:
        totals = {
            k: sum(db.usage[k] for db in self.databases.values())
            for k in next(iter(self.databases.values())).usage
        }
        locations = {loc for g in self.groups.values() for loc in g.locations}
        body: dict[str, Any] = {
            "uuid": str(uuid.uuid5(NS, f"org/{self.slug}")),
            "usage": {
                "rows_read": totals["rows_read"],
                "rows_written": totals["rows_written"],
                "databases": len(self.databases),
                "locations": len(locations),
                "storage_bytes": totals["storage_bytes"],
                "groups": len(self.groups),
                "bytes_synced": totals["bytes_synced"],
            },
        }
        if self.usage_in_org:
            body["databases"] = [self.database_usage_json(db) for db in self.databases.values()]
        return body

    # -- the server ----------------------------------------------------------------------------------------

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        self.calls.append(key)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"error": "invalid token"})
        if key in self.raise_on:
            raise self.raise_on[key]
        if key in self.fail:
            status, body = self.fail[key]
            return httpx.Response(status, json=body)
        if key.endswith("/databases") and request.method == "GET":
            self.listing += 1
            self.max_listing = max(self.max_listing, self.listing)
            try:
                await asyncio.sleep(self.delay)
            finally:
                self.listing -= 1
        self.last_params = dict(request.url.params)
        status, body = self.route(request.method, request.url.path)
        return httpx.Response(status, json=body)

    def count(self, method: str, suffix: str) -> int:
        """How many ``method`` requests went to a path ending in ``suffix``."""
        return sum(1 for c in self.calls if c.startswith(method + " ") and c.endswith(suffix))

    def route(self, method: str, path: str) -> tuple[int, Any]:
        if path == "/v1/locations":
            return 200, {"locations": dict(LOCATIONS)}
        m = re.fullmatch(r"/v1/organizations/([^/]+)(/.*)?", path)
        if not m or m.group(1) != self.slug:
            return 404, {"error": "organization not found"}
        rest = m.group(2) or ""
        if rest == "" and method == "GET":
            return 200, {
                "organization": {
                    "name": self.slug,
                    "slug": self.slug,
                    "type": "team",
                    "overages": False,
                    "blocked_reads": self.blocked_reads,
                    "blocked_writes": False,
                    "plan_id": self.subscription or "starter",
                    "plan_timeline": "monthly",
                    "require_mfa": False,
                    "platform": "",
                }
            }
        if rest == "/databases" and method == "GET":
            return 200, {"databases": [self.database_json(db) for db in self.databases.values()]}
        if rest == "/groups" and method == "GET":
            return 200, {"groups": [g.to_json() for g in self.groups.values()]}
        if rest == "/usage" and method == "GET":
            return 200, {"organization": self.org_usage_json()}
        if rest == "/plans" and method == "GET":
            if self.plans is None:
                return 404, {"error": "not found"}
            return 200, {"plans": self.plans}
        if rest == "/subscription" and method == "GET":
            if self.subscription is None:
                return 404, {"error": "no subscription"}
            sub = self.subscription
            return 200, {
                "subscription": {"name": sub, "overages": False, "plan": sub, "timeline": "monthly"}
            }
        d = re.fullmatch(r"/databases/([^/]+)(/instances|/usage)?", rest)
        if d and method == "GET":
            db = self.databases.get(d.group(1))
            if db is None:
                return 404, {"error": f"database {d.group(1)} not found"}
            if d.group(2) == "/instances":
                return 200, {"instances": self.instances_json(db)}
            if d.group(2) == "/usage":
                return 200, {"database": self.database_usage_json(db)}
            return 200, {"database": self.database_json(db)}
        t = re.fullmatch(r"/(databases|groups)/([^/]+)/auth/(tokens|rotate)", rest)
        if t and method == "POST":
            return self._auth(t.group(1), t.group(2), t.group(3))
        g = re.fullmatch(r"/groups/([^/]+)/locations/([^/]+)", rest)
        if g and method in ("POST", "DELETE"):
            return self._change_location(method, g.group(1), g.group(2))
        return 404, {"error": f"no route {method} {path}"}

    def _change_location(self, method: str, name: str, location: str) -> tuple[int, Any]:
        group = self.groups.get(name)
        if group is None:
            return 404, {"error": f"group {name} not found"}
        if location not in LOCATIONS:
            return 400, {"error": f"invalid location {location}"}
        if method == "POST":
            if location not in group.locations:
                group.locations.append(location)
        else:
            if location == group.primary:
                return 400, {"error": "cannot remove the primary location of a group"}
            if location not in group.locations:
                return 404, {"error": f"group {name} is not in {location}"}
            group.locations.remove(location)
        return 200, {"group": group.to_json()}


# -- tokens and SQL (the SQL console, tokens and backups panes) ----------------------------------------

EPOCH = 1_781_524_800  # helpers.NOW (2026-06-15 12:00 UTC)
_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def fake_jwt(claims: dict[str, Any], serial: int) -> str:
    """A JWT-shaped token (signature fake but deterministic)."""
    signature = hashlib.sha256(f"sig-{serial}".encode()).hexdigest()[:43]
    return f"{_b64({'alg': 'EdDSA', 'typ': 'JWT'})}.{_b64(claims)}.{signature}"


def _seconds(expiration: str) -> int | None:
    if expiration in ("", "never"):
        return None
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([wdhms])", expiration))


def _auth(self: FakeOrg, kind: str, name: str, what: str) -> tuple[int, Any]:
    if kind == "databases":
        db = self.databases.get(name)
        if db is None:
            return 404, {"error": f"database {name} not found"}
        claims: dict[str, Any] = {"id": db.db_id}
    else:
        if name not in self.groups:
            return 404, {"error": f"group {name} not found"}
        claims = {"gid": self.groups[name].uuid}
    if what == "rotate":
        self.__dict__.setdefault("rotations", []).append(f"{kind}/{name}")
        return 200, {}
    params = getattr(self, "last_params", {})
    claims["iat"] = EPOCH
    lifetime = _seconds(params.get("expiration", "never"))
    if lifetime is not None:
        claims["exp"] = EPOCH + lifetime
    if params.get("authorization") == "read-only":
        claims["a"] = "ro"
    minted = self.__dict__.setdefault("minted", [])
    minted.append(f"{kind}/{name}")
    return 200, {"jwt": fake_jwt(claims, len(minted))}


FakeOrg._auth = _auth  # type: ignore[attr-defined]


class FakeHrana:
    """A tiny Hrana-over-HTTP endpoint backed by an in-memory sqlite3 database (execute and close only).

    ``read_only`` refuses writes as sqld does for a read-only token. Rows read are approximated by
    sqlite's VM steps of the statement (scans read more than index lookups)."""

    def __init__(self, script: str = "") -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.executescript(script)
        self.statements: list[str] = []

    @classmethod
    def users(cls, count: int = 250) -> FakeHrana:
        rows = ",".join(
            f"({i}, 'user{i}@example.com', '+1555{i:07d}', '{'pro' if i % 3 == 0 else 'free'}')"
            for i in range(1, count + 1)
        )
        return cls(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, phone TEXT,"
            " plan TEXT);"
            "CREATE INDEX idx_users_phone ON users(phone);"
            f"INSERT INTO users VALUES {rows};"
        )

    def opener(self, token: str = "fake-sql-token") -> Any:  # noqa: S107
        hrana = self

        @contextlib.asynccontextmanager
        async def open_sql(database: str, read_only: bool) -> AsyncIterator[Any]:
            from tursotui.libsql import HranaClient

            http = httpx.AsyncClient(transport=httpx.MockTransport(hrana.handler_for(read_only)))
            client = HranaClient(f"https://{database}-acme.turso.io", token, http=http)
            try:
                yield client
            finally:
                await http.aclose()

        return open_sql

    def handler_for(self, read_only: bool) -> Any:
        async def handler(request: httpx.Request) -> httpx.Response:
            if request.method == "GET" and request.url.path == "/dump":
                dump = "\n".join(self.db.iterdump()) + "\n"
                return httpx.Response(200, content=dump.encode())
            body = json.loads(request.content)
            results = [self._request(r, read_only) for r in body.get("requests", [])]
            return httpx.Response(200, json={"baton": None, "base_url": None, "results": results})

        return handler

    def _request(self, request: dict[str, Any], read_only: bool) -> dict[str, Any]:
        if request.get("type") == "close":
            return {"type": "ok", "response": {"type": "close"}}
        if request.get("type") == "batch":
            outcomes = [
                self._request({"type": "execute", **step}, read_only)
                for step in request["batch"]["steps"]
            ]
            results = [o["response"]["result"] if o["type"] == "ok" else None for o in outcomes]
            errors = [o["error"] if o["type"] == "error" else None for o in outcomes]
            batch = {"step_results": results, "step_errors": errors}
            return {"type": "ok", "response": {"type": "batch", "result": batch}}
        if request.get("type") != "execute":
            return {"type": "error", "error": {"message": "not supported by the fake", "code": "X"}}
        sql = request["stmt"]["sql"]
        self.statements.append(sql)
        try:
            self.db.execute(f"PRAGMA query_only = {'ON' if read_only else 'OFF'}")
            before = self.db.total_changes
            cursor = self.db.execute(sql)
            rows = cursor.fetchall()
            cols = [{"name": d[0], "decltype": None} for d in cursor.description or []]
            written = self.db.total_changes - before
        except sqlite3.Error as exc:
            message = f"SQLite error: {exc}"
            return {"type": "error", "error": {"message": message, "code": "SQLITE_ERROR"}}
        result = {
            "cols": cols,
            "rows": [[_value(v) for v in row] for row in rows],
            "affected_row_count": written,
            "last_insert_rowid": None,
            "rows_read": len(rows),
            "rows_written": written,
        }
        return {"type": "ok", "response": {"type": "execute", "result": result}}


def _value(value: Any) -> dict[str, Any]:
    if value is None:
        return {"type": "null"}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, bytes):
        return {"type": "blob", "base64": base64.b64encode(value).decode()}
    return {"type": "text", "value": str(value)}
