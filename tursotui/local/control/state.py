"""Persistent state of the local Turso organization: one JSON file, written atomically.

It holds the organization, groups, databases and recovery point metadata. Signing keys and
the API token live in separate 0600 files beside it. A corrupt file is reported, never
replaced or deleted.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tursotui.local.control.journal import Journal, JournalError
from tursotui.support.atomic import atomic_write
from tursotui.support.xswarm import PRIMARY_LOCATION

STATE_VERSION = 1
ORG_SLUG = "local"
JOURNAL_FROM = 256
"""Orgs with more databases than this journal their per-database changes (see :class:`StateStore`)."""

# Turso's classic location codes (as in the xSwarm guide), every one served on this machine.
LOCATIONS: dict[str, str] = {
    "sjc": "San Jose, California (US) - local sqld",
    "iad": "Ashburn, Virginia (US) - local sqld",
    "fra": "Frankfurt (Germany) - local sqld",
    "lhr": "London (UK) - local sqld",
    "nrt": "Tokyo (Japan) - local sqld",
    "syd": "Sydney (Australia) - local sqld",
    "ams": "Amsterdam (Netherlands) - local sqld",
    "gru": "Sao Paulo (Brazil) - local sqld",
    "bom": "Mumbai (India) - local sqld",
    "sin": "Singapore - local sqld",
}
DEFAULT_LOCATION = PRIMARY_LOCATION


SIZE_UNITS = {"": 1, "b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000}


def check_size_limit(value: Any) -> str | None:
    """A database size limit as sqld's ``max_db_size`` takes it ("256mb", "1gb", "1000"); None for
    none. ValueError (an ApiError 400 once raised to a caller) for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"invalid size_limit {value!r}: use bytes or a unit, e.g. 256mb, 1gb")
    text = str(value).strip().lower()
    number = text.rstrip("kmgb")
    unit = text[len(number) :]
    if not number.isdigit() or unit not in SIZE_UNITS:
        raise ValueError(f"invalid size_limit {value!r}: use bytes or a unit, e.g. 256mb, 1gb")
    return text


class StateError(RuntimeError):
    """The state file cannot be used; the message says which file and why."""


def now() -> float:
    return time.time()


def new_id() -> str:
    return str(uuid.uuid4())


TURSODB_ID_BYTE = 0x10
"""Byte 5 of a database id of the new Turso engine (turso-cli cmd/db_show.go ``isTursoDB``)."""


def new_database_id() -> str:
    """A libSQL database's id: never one turso-cli would read as the new Turso engine's."""
    while (value := uuid.uuid4()).bytes[5] == TURSODB_ID_BYTE:
        continue
    return str(value)


@dataclass
class GroupState:
    name: str
    primary: str
    locations: list[str]
    uuid: str = field(default_factory=new_id)
    created_at: float = field(default_factory=now)
    archived: bool = False


@dataclass
class DatabaseState:
    name: str
    group: str
    port: int
    uuid: str = field(default_factory=new_database_id)
    created_at: float = field(default_factory=now)
    delete_protection: bool = False
    block_reads: bool = False
    block_writes: bool = False
    allow_attach: bool = False
    size_limit: str | None = None
    allowed_ips: list[str] = field(default_factory=list)
    allowed_aws_vpc_ids: list[str] = field(default_factory=list)
    parent: dict[str, Any] | None = None
    seeded_from: dict[str, Any] | None = None
    replica_ports: dict[str, int] = field(default_factory=dict)
    awaiting_upload: bool = False
    encryption: dict[str, str] | None = None
    """A BYOK-encrypted database's ``{cipher, key_sha256}`` (never the key: control.encryption)."""
    broken: str | None = field(default=None, compare=False)
    """Why this start could not serve the database (never saved: each start decides again)."""

    def problem(self) -> str | None:
        """What in this database's stored state cannot be served, or None."""
        for name in ("delete_protection", "block_reads", "block_writes", "allow_attach"):
            if not isinstance(getattr(self, name), bool):
                return f"{name} is {getattr(self, name)!r}, not true or false"
        if not isinstance(self.port, int) or isinstance(self.port, bool):
            return f"port is {self.port!r}, not a number"
        ports = self.replica_ports
        if not isinstance(ports, dict) or not all(
            isinstance(p, int) and not isinstance(p, bool) for p in ports.values()
        ):
            return f"replica_ports is {ports!r}, not locations and port numbers"
        for name in ("allowed_ips", "allowed_aws_vpc_ids"):
            rules = getattr(self, name)
            if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
                return f"{name} is {rules!r}, not a list of strings"
        try:
            check_size_limit(self.size_limit)
        except ValueError as exc:
            return str(exc)
        from tursotui.local.control.encryption import state_problem

        return state_problem(self.encryption)


@dataclass
class RecoveryPoint:
    id: str
    database: str
    taken_at: float
    file: str
    size_bytes: int
    reason: str
    replication_index: int | None = None


@dataclass
class OrgState:
    slug: str = ORG_SLUG
    name: str = "Local Turso"
    created_at: float = field(default_factory=now)
    groups: dict[str, GroupState] = field(default_factory=dict)
    databases: dict[str, DatabaseState] = field(default_factory=dict)
    recovery_points: dict[str, list[RecoveryPoint]] = field(default_factory=dict)
    api_tokens: list[dict[str, Any]] = field(default_factory=list)
    version: int = STATE_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for db in data["databases"].values():
            db.pop("broken", None)
        return data

    def dumps(self, generation: int = 0) -> str:
        """The state file's text: one line per group, database and recovery point list, so that it
        reads well and a save stays fast with thousands of databases (asdict and an indenting
        encoder took 24 ms per save at 200 databases, and every create saves)."""

        encode = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode

        def row(obj: Any) -> str:
            fields = dict(vars(obj))
            fields.pop("broken", None)
            return encode(fields)

        def table(items: dict[str, str]) -> str:
            if not items:
                return "{}"
            lines = [f"    {json.dumps(k)}: {v}" for k, v in sorted(items.items())]
            return "{\n" + ",\n".join(lines) + "\n  }"

        points = {
            name: "[" + ",".join(row(p) for p in pts) + "]"
            for name, pts in self.recovery_points.items()
        }
        parts = {
            "api_tokens": json.dumps(self.api_tokens, sort_keys=True),
            "created_at": json.dumps(self.created_at),
            "databases": table({k: row(v) for k, v in self.databases.items()}),
            "groups": table({k: row(v) for k, v in self.groups.items()}),
            "name": json.dumps(self.name),
            "recovery_points": table(points),
            "slug": json.dumps(self.slug),
            "version": json.dumps(self.version),
        }
        if generation:
            parts["generation"] = json.dumps(generation)
        return "{\n" + ",\n".join(f"  {json.dumps(k)}: {v}" for k, v in parts.items()) + "\n}\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrgState:
        state = cls(
            slug=str(data["slug"]),
            name=str(data["name"]),
            created_at=float(data["created_at"]),
            version=int(data["version"]),
        )
        state.groups = {k: GroupState(**v) for k, v in data["groups"].items()}
        state.databases = {k: DatabaseState(**v) for k, v in data["databases"].items()}
        state.recovery_points = {
            k: [RecoveryPoint(**p) for p in v] for k, v in data["recovery_points"].items()
        }
        state.api_tokens = list(data.get("api_tokens", []))
        return state


class StateStore:
    """Load/save :class:`OrgState` at ``<data_dir>/state.json`` (and, for a large org, its journal).

    A small org (up to :data:`JOURNAL_FROM` databases) is rewritten whole at each save, as it always
    was: state.json says everything. A large one would make every create, delete or recovery point
    rewrite megabytes (O(N) per change), so a save that names the databases it changed appends one
    line per database to ``state.journal`` (0600, fsynced) instead; state.json is rewritten (the
    journal folded in, then removed) when the journal outgrows it, so a change costs O(1) amortized.
    The journal's first line names the generation of state.json it follows: a journal left beside a
    newer state.json (killed between the two writes) is ignored, never replayed over it.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / "state.json"
        self.journal = Journal(data_dir / "state.journal")
        self.generation = 0
        """The generation of state.json (0 until a journal was first folded into it)."""
        self._snapshot_bytes = 0

    def exists(self) -> bool:
        return self.path.exists()

    def peek(self) -> tuple[str, bool] | None:
        """(the org's slug, whether it has databases) from state.json's top-level lines, without parsing its
        databases: a console starting on an org of 10,000 learns them in ~5 ms instead of ~110 ms. None when
        only :meth:`load` can tell: no file, a journal to replay, or not the layout :meth:`OrgState.dumps`
        writes."""
        if self.journal.path.exists():
            return None
        try:
            raw = self.path.read_bytes()
        except OSError:
            return None
        slug, version = _top_line(raw, b"slug"), _top_line(raw, b"version")
        listed, empty = raw.find(b'\n  "databases": {\n'), raw.find(b'\n  "databases": {},\n')
        if slug is None or version != str(STATE_VERSION).encode() or (listed < 0) == (empty < 0):
            return None
        try:
            name = json.loads(slug)
        except ValueError:
            return None
        return (name, listed >= 0) if isinstance(name, str) else None

    def load(self) -> OrgState:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return OrgState()
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{self.path}: cannot be read ({exc})") from None
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("top level is not an object")
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {STATE_VERSION}")
            self.generation = int(data.get("generation", 0))
            self.journal.replay(data, self.generation)
            state = OrgState.from_json(data)
        except JournalError as exc:
            raise StateError(
                f"{exc}. Nothing was changed or deleted; restore it from a backup or move it away "
                "(the changes it holds since state.json was last written are then lost)."
            ) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise StateError(
                f"{self.path} is corrupt ({type(exc).__name__}: {exc}). Nothing was changed or "
                "deleted; restore it from a backup or move it away to start a new local org."
            ) from None
        self._snapshot_bytes = len(raw)
        return state

    def save(self, state: OrgState, changed: Collection[str] | None = None) -> None:
        """Save ``state``; ``changed``: the only databases (and their recovery points) this change
        touched, created or deleted (None: anything may have changed)."""
        journaling = len(state.databases) > JOURNAL_FROM or self.journal.lines
        if changed is not None and journaling and self.journal.size < self._snapshot_bytes:
            self.journal.append([_entry(state, name) for name in changed], self.generation)
            return
        self._rewrite(state, next_generation=bool(self.journal.lines))

    def compact(self, state: OrgState) -> None:
        """Fold the journal into state.json (at stop: the file then says everything again)."""
        if self.journal.lines:
            self._rewrite(state, next_generation=True)

    def _rewrite(self, state: OrgState, *, next_generation: bool) -> None:
        generation = self.generation + 1 if next_generation else self.generation
        text = state.dumps(generation)
        atomic_write(self.path, text.encode("utf-8"), mode=0o600)
        self.generation = generation
        self._snapshot_bytes = len(text)
        self.journal.remove()


def _top_line(raw: bytes, key: bytes) -> bytes | None:
    """The value of ``key`` on its own top-level line of state.json (as :meth:`OrgState.dumps` writes it)."""
    start = raw.rfind(b'\n  "' + key + b'": ')
    if start < 0:
        return None
    start += len(key) + 7
    end = raw.find(b"\n", start)
    return raw[start:end].rstrip(b",") if end >= 0 else None


def _entry(state: OrgState, name: str) -> dict[str, Any]:
    db = state.databases.get(name)
    if db is None:
        return {"db": name, "gone": True}
    row = dict(vars(db))
    row.pop("broken", None)
    points = [dict(vars(p)) for p in state.recovery_points.get(name, [])]
    return {"db": name, "row": row, "points": points}


def read_secret_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def ensure_api_token(path: Path) -> tuple[str, bool]:
    """The local API token, created (0600) on first use. Returns (token, created)."""
    existing = read_secret_file(path)
    if existing:
        return existing, False
    import secrets  # only the first start mints one (secrets and hashlib: ~2 ms of a console's start)

    token = "tlocal_" + secrets.token_urlsafe(32)
    atomic_write(path, (token + "\n").encode("utf-8"), mode=0o600)
    return token, True
