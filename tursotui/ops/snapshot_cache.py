"""The last known snapshot of an organization, kept so the console's first frame shows data at once.

One file per target in ``<data_dir>/cache/`` (``snapshot-<hash of the key>.json``, 0600 in a 0700 directory,
written atomically): the key is the local Turso's organization (its data dir is where the file lives) or the
Turso Cloud API host and organization, so one org never shows another's databases. It holds only what the
Databases and Usage panes show: the databases, groups, the organization's record and usage totals, and each
database's usage this period; no token, key or secret is in any of them (nothing else is written).

A missing file is nothing to say; a corrupt one, one of another version or of another key is ignored with a
log line (and overwritten by the next save). The console marks what it loads here as "as of HH:MM" until a
live refresh replaces it (``ui/main/screen.py``); nothing here is ever shown as live.

The console saves with :func:`save_later`: the file is made and written in a thread (10,000 databases are
~0.1 s of work and 4 MB: never on the event loop, never waited for by a refresh), the newest snapshot
replacing one still waiting, and not at all when what the file holds would not change (a fingerprint of its
contents; it is rewritten anyway once :data:`REWRITE_AFTER` has passed, so its "as of" is never older than
that while nothing changes). :func:`load` waits for a save of the same file still running in this process.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import operator
import threading
import types
import typing
from collections.abc import Callable, Hashable
from dataclasses import MISSING, fields, is_dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from tursotui.ops.snapshot import OrgSnapshot
from tursotui.platform import (
    Database,
    Group,
    Organization,
    OrganizationUsage,
    OrganizationUsageTotals,
    UsageCounters,
)
from tursotui.platform.models import parse_timestamp
from tursotui.support.atomic import atomic_write

VERSION = 1
DIR_NAME = "cache"
REWRITE_AFTER = timedelta(minutes=5)
"""An unchanged snapshot is saved again once this much newer than the one in the file (its "as of")."""
LOAD_WAIT = 10.0
"""Seconds :func:`load` waits for a save of the same file still being written by this process."""

log = logging.getLogger("tursotui.ops.snapshot_cache")
T = TypeVar("T")


class CacheError(ValueError):
    """The file is not a snapshot this version wrote for this key (what is wrong, where)."""


def cache_key(target: str, organization: str, base_url: str = "") -> str:
    """``local:ORG`` (the file lives in that local Turso's data dir), ``cloud:HOST:ORG`` on Turso Cloud."""
    if target == "local":
        return f"local:{organization}"
    host = urlsplit(base_url).hostname or "api.turso.tech"
    return f"{target}:{host}:{organization}"


def cache_path(data_dir: Path, key: str) -> Path:
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return data_dir / DIR_NAME / f"snapshot-{digest}.json"


def save(data_dir: Path, key: str, snapshot: OrgSnapshot) -> Path:
    """Write ``snapshot`` as the last known state of ``key`` (atomic, 0600). Raises OSError."""
    path = cache_path(data_dir, key)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write(path, encode(key, snapshot), mode=0o600)
    return path


def encode(key: str, snapshot: OrgSnapshot) -> bytes:
    """``to_json``'s JSON, made a database at a time: the C encoder holds the interpreter's lock for a whole
    call, so one call for 10,000 databases (~40 ms) would stop the console's event loop that long, while
    one per database lets it run in between."""
    body = to_json(key, snapshot)
    databases, db_usage = body.pop("databases"), body.pop("db_usage")
    dumps = functools.partial(json.dumps, separators=(",", ":"))
    parts = [dumps(body)[:-1], ',"databases":[']
    parts.append(",".join(dumps(db) for db in databases))
    parts.append('],"db_usage":{')
    parts.append(",".join(f"{dumps(name)}:{dumps(u)}" for name, u in db_usage.items()))
    parts.append("}}")
    return "".join(parts).encode()


def save_later(data_dir: Path, key: str, snapshot: OrgSnapshot) -> None:
    """Save ``snapshot`` in a background thread (see the module's doc); returns at once. A failure to write is
    logged (the console goes on; the next save tries again)."""
    path = cache_path(data_dir, key)
    with _savers_lock:
        saver = _savers.get(path)
        if saver is None:
            saver = _savers[path] = _Saver(data_dir, path)
    saver.submit(key, snapshot)


def wait_saved(timeout: float | None = None) -> bool:
    """Wait until no background save of this process is running or waiting; False if ``timeout`` ran out."""
    with _savers_lock:
        savers = list(_savers.values())
    return all(saver.idle.wait(timeout) for saver in savers)


def fingerprint(key: str, snapshot: OrgSnapshot) -> int:
    """What the file would hold, but its date, as one number (hashes of the frozen models: ~3 ms for 10,000
    databases); two snapshots with the same fingerprint write the same file."""
    usage = snapshot.usage
    return hash(
        (
            key,
            snapshot.databases,
            tuple(snapshot.groups.values()),
            snapshot.groups_known,
            snapshot.organization,
            (usage.uuid, usage.usage) if usage else None,
            tuple(snapshot.db_usage.items()),
        )
    )


class _Saver:
    """The background saves of one cache file: one thread at a time, the newest snapshot waiting."""

    def __init__(self, data_dir: Path, path: Path) -> None:
        self.data_dir, self.path = data_dir, path
        self.lock = threading.Lock()
        self.waiting: tuple[str, OrgSnapshot] | None = None
        self.running = False
        self.saved: tuple[int, datetime] | None = None
        """The fingerprint and ``fetched_at`` of what the file holds (written by this process)."""
        self.idle = threading.Event()
        self.idle.set()

    def submit(self, key: str, snapshot: OrgSnapshot) -> None:
        with self.lock:
            self.waiting = (key, snapshot)
            if self.running:
                return
            self.running = True
            self.idle.clear()
        # not a daemon: a save under way when the console quits is finished, not cut short
        threading.Thread(target=self._run, name="snapshot-cache", daemon=False).start()

    def _run(self) -> None:
        while True:
            with self.lock:
                if self.waiting is None:
                    self.running = False
                    self.idle.set()
                    return
                (key, snapshot), self.waiting = self.waiting, None
            try:
                self._save(key, snapshot)
            except Exception:  # a bug must not leave the saver marked running forever
                log.exception("the snapshot was not cached for the next start")

    def _save(self, key: str, snapshot: OrgSnapshot) -> None:
        try:
            mark = fingerprint(key, snapshot)
        except TypeError:  # a model holding something unhashable: compare nothing, save
            mark = None
        saved = self.saved
        if (
            saved is not None
            and mark == saved[0]
            and snapshot.fetched_at - saved[1] < REWRITE_AFTER
        ):
            return
        try:
            save(self.data_dir, key, snapshot)
        except OSError as exc:
            self.saved = None
            log.warning("the snapshot was not cached for the next start: %s", exc)
            return
        self.saved = None if mark is None else (mark, snapshot.fetched_at)


_savers: dict[Path, _Saver] = {}
_savers_lock = threading.Lock()


def load(data_dir: Path, key: str) -> OrgSnapshot | None:
    """The snapshot last saved for ``key``; None when there is none or it cannot be used (said in the log)."""
    path = cache_path(data_dir, key)
    with _savers_lock:
        saver = _savers.get(path)
    if saver is not None and not saver.idle.wait(LOAD_WAIT):
        log.warning("a save of %s is still running: reading the file as it is", path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring the cached snapshot %s: %s", path, exc.strerror or exc)
        return None
    try:
        return from_json(json.loads(raw), key)
    except (
        CacheError,
        ValueError,
    ) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        log.warning("ignoring the cached snapshot %s: %s", path, exc)
        return None


def to_json(key: str, snapshot: OrgSnapshot) -> dict[str, Any]:
    usage = snapshot.usage
    return {
        "version": VERSION,
        "key": key,
        "fetched_at": snapshot.fetched_at.isoformat(),
        "databases": [_plain(db) for db in snapshot.databases],
        "groups": [_plain(g) for g in snapshot.groups.values()],
        "groups_known": snapshot.groups_known,
        "organization": _plain(snapshot.organization) if snapshot.organization else None,
        "usage": {"uuid": usage.uuid, "usage": _plain(usage.usage)} if usage else None,
        "db_usage": {name: _plain(u) for name, u in snapshot.db_usage.items()},
    }


def _plain(model: object) -> dict[str, Any]:
    """A frozen model as ``asdict`` makes it, without its deep copies (tuples stay tuples: JSON arrays)."""
    names, nested = _layout(typing.cast(Hashable, type(model)))
    plain = dict(zip(names, _getter(names)(model), strict=True))
    for name in nested:
        if plain[name] is not None:
            plain[name] = _plain(plain[name])
    return plain


@functools.cache
def _layout(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The fields of ``cls``, and those that may hold a model (once per class)."""
    spec, _ = _spec(cls)
    nested = tuple(name for name, options, _ in spec if any(is_dataclass(o) for o in options))
    return tuple(name for name, _, _ in spec), nested


@functools.cache
def _getter(names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    get = operator.attrgetter(*names)
    return get if len(names) > 1 else lambda model: (get(model),)


def from_json(data: object, key: str) -> OrgSnapshot:
    """The snapshot in ``data``; :class:`CacheError` naming the first thing that is wrong."""
    body = _obj(data, "the file")
    if body.get("version") != VERSION:
        raise CacheError(
            f"version {body.get('version')!r}, not {VERSION} (written by another tursotui)"
        )
    if body.get("key") != key:
        raise CacheError(f"it is the snapshot of {body.get('key')!r}, not of {key!r}")
    stamp = body.get("fetched_at")
    fetched_at = parse_timestamp(stamp) if isinstance(stamp, str) else None
    if fetched_at is None or fetched_at.tzinfo is None:
        raise CacheError(f"fetched_at {stamp!r} is not a time with a zone")
    usage = body.get("usage")
    organization = body.get("organization")
    groups = [_build(Group, g, "groups[]") for g in _list(body.get("groups"), "groups")]
    return OrgSnapshot(
        fetched_at=fetched_at,
        databases=tuple(
            _build(Database, d, "databases[]") for d in _list(body.get("databases"), "databases")
        ),
        groups={g.name: g for g in groups},
        groups_known=body.get("groups_known") is True,
        organization=None
        if organization is None
        else _build(Organization, organization, "organization"),
        usage=None if usage is None else _usage(usage),
        db_usage={
            name: _build(UsageCounters, u, f"db_usage[{name!r}]")
            for name, u in _obj(body.get("db_usage"), "db_usage").items()
        },
        account_at=fetched_at,
    )


def _usage(data: object) -> OrganizationUsage:
    o = _obj(data, "usage")
    uuid = o.get("uuid")
    if not isinstance(uuid, str):
        raise CacheError("usage.uuid is not text")
    return OrganizationUsage(uuid, _build(OrganizationUsageTotals, o.get("usage"), "usage.usage"))


def _obj(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CacheError(f"{where} is not an object")
    return data


def _list(data: object, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise CacheError(f"{where} is not a list")
    return data


def _build(cls: type[T], data: object, where: str) -> T:
    """A dataclass from its ``asdict`` form, every field checked against its annotation."""
    o = _obj(data, where)
    spec, names = _spec(typing.cast(type, cls))
    values: dict[str, Any] = {}
    for name, options, required in spec:
        if name not in o:
            if required:
                raise CacheError(f"{where}.{name} is missing")
            continue
        value = o[name]
        kind = type(value)
        # the common case first: a str, int, bool or None field holding one
        values[name] = value if kind in options else _value(options, value, f"{where}.{name}")
    if len(o) > len(values) and not names.issuperset(o):
        raise CacheError(f"{where} has unknown fields {sorted(set(o) - names)}")
    return cls(**values)


@functools.cache
def _spec(cls: type) -> tuple[tuple[tuple[str, tuple[Any, ...], bool], ...], frozenset[str]]:
    """Each field's name, the types its annotation allows and whether it is required (once per class)."""
    hints = typing.get_type_hints(cls)
    spec = []
    for f in fields(cls):
        hint = hints[f.name]
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        required = f.default is MISSING and f.default_factory is MISSING
        spec.append(
            (f.name, tuple(type(None) if o is type(None) else o for o in options), required)
        )
    return tuple(spec), frozenset(f.name for f in fields(cls))


def _value(options: tuple[Any, ...], value: object, where: str) -> object:
    for option in options:
        if (
            typing.get_origin(option) is tuple
            and isinstance(value, list)
            and all(isinstance(item, str) for item in value)
        ):
            return tuple(value)
        if is_dataclass(option) and isinstance(value, dict):
            return _build(option, value, where)  # type: ignore[arg-type]
    shown = " | ".join(getattr(o, "__name__", str(o)) for o in options)
    raise CacheError(f"{where} is {value!r}, not {shown}")
