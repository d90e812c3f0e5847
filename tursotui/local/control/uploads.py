"""Seeding a new local database from an uploaded SQLite file or a SQL dump."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tursotui.libsql.engine import LibsqlFile
from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.local import vector_indexes
from tursotui.local.control.dumps import build_database, checked_dump_path
from tursotui.local.control.recovery import place_database_file
from tursotui.local.engine.dataplane import PRIMARY
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

UNLIMITED_UPLOAD = 2**62
"""The bound of an upload on a plan without a storage quota (enterprise)."""


UPLOAD_ONLY_ON_AWS = (
    "seed type database_upload is only available in groups on AWS (a primary location starting with "
    "aws-), as turso-cli uploads a file only there"
)


def check_upload_group(cp: ControlPlane, name: str) -> None:
    """Under the legacy (``fly``) profile a ``database_upload`` seed is refused: turso-cli uploads only into
    a group on AWS (cmd/db_create.go, group_flag.go) and makes a file a dump (``POST …/databases/dumps``, the
    ``dump`` seed) anywhere else, which an org of the Fly era has. Under the ``aws`` profile uploads are
    served (its legacy groups too: what the cloud does there is unverified). An unknown group is left to the
    create, which names it."""
    group = cp.state.groups.get(name)
    if cp.profile.platform == "aws" or group is None:
        return
    if not group.primary.startswith("aws-"):
        raise ApiError(
            400,
            f"{UPLOAD_ONLY_ON_AWS}: group {name}'s primary is {group.primary}; upload a SQL dump to "
            f"POST /v1/organizations/{cp.state.slug}/databases/dumps and create the database with "
            'seed {"type": "dump", "url": <its dump_url>}',
        )


def check_sqlite_file(path: Path) -> int:
    """Raise a clear 400 unless ``path`` is an intact SQLite database; returns its size."""
    try:
        with path.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise ApiError(400, "the upload is not a SQLite database file")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall()
            vectors = bool(vector_indexes(schema))  # plain SQLite cannot check those: libSQL does
            result = None if vectors else conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
        if vectors:
            result = _libsql_integrity(path)
    except sqlite3.DatabaseError as exc:
        raise ApiError(400, f"the uploaded SQLite file cannot be read: {exc}") from None
    if result != ("ok",):
        said = result[0] if result else "no answer"
        raise ApiError(400, f"the uploaded SQLite file fails integrity_check: {said}")
    return path.stat().st_size


def _libsql_integrity(path: Path) -> tuple[str]:
    try:
        with LibsqlFile(path, read_only=True) as db:
            return (str(db.execute("PRAGMA integrity_check(1)")[0][0]),)
    except LocalDatabaseError as exc:
        raise ApiError(400, f"the uploaded SQLite file cannot be read with libSQL: {exc}") from None


def _authorize(cp: ControlPlane, db: DatabaseState, authorization: str | None) -> None:
    import jwt  # only for an upload (see keys.SigningKey.mint)

    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "upload needs 'Authorization: Bearer <database token>'")
    public = cp.keys.get(db.group).private.public_key()
    try:
        claims = jwt.decode(token.strip(), public, algorithms=["EdDSA"])
    except jwt.PyJWTError as exc:
        raise ApiError(401, f"database token refused: {exc}") from None
    access = _access(claims, db, cp.group(db.group).uuid)
    if access is None:
        raise ApiError(403, f"this token is not for database {db.name}")
    if access != "rw":
        raise ApiError(403, "a read-only token cannot upload a database")


def _access(claims: dict[str, Any], db: DatabaseState, group_id: str) -> str | None:
    """ "rw", "ro" or None (not for ``db``), as sqld reads the claims: ``p`` alone when present
    (names are namespaces); else ``id``/``gid`` (the cloud's UUIDs, or the names older local
    tokens carry) and ``a``."""
    p = claims.get("p")
    if isinstance(p, dict):

        def grants(key: str) -> bool:
            scope = p.get(key)
            names = scope.get("ns") if isinstance(scope, dict) else None
            return isinstance(names, list) and db.name in names

        if grants("rw") or grants("rwa"):
            return "rw"
        return "ro" if grants("ro") or grants("roa") else None
    if claims.get("id") not in (None, db.name, db.uuid):
        return None
    if claims.get("gid") not in (None, db.group, group_id):
        return None
    return "rw" if claims.get("a") in (None, "rw") else "ro"


async def _replace_namespace(cp: ControlPlane, db: DatabaseState, source: Path) -> None:
    """Swap the (empty) namespace of ``db`` for ``source`` on the primary; the replicas drop
    theirs and replicate the new one (with its key) from the primary on first access."""
    replicas = cp.replica_locations(cp.group(db.group))
    for location in replicas:
        await cp.dataplane.node(location).admin.delete_namespace_if_exists(db.name)
    primary = cp.dataplane.node(PRIMARY)
    await primary.admin.delete_namespace(db.name)
    target = cp.namespace_file(db.name).parent
    await asyncio.to_thread(shutil.rmtree, target, True)
    await asyncio.to_thread(place_database_file, source, target)
    await cp.create_namespace(db)
    for location in replicas:
        await cp.attach_replica(db, location)
    cp.seeded(db.name)  # its first recovery point, once the caller's lock is released


async def accept_upload(
    cp: ControlPlane, name: str, authorization: str | None, path: Path | None
) -> dict[str, Any]:
    """Seed ``name`` from the uploaded ``path``; with no ``path`` (before the body is read), only
    check the token and the database, and say how many bytes the upload may have."""
    from tursotui.local.control.plans import limit

    db = cp.database(name)
    _authorize(cp, db, authorization)
    if not db.awaiting_upload:
        raise ApiError(
            400,
            f"database {name} was not created with seed type database_upload; "
            "an upload only seeds a new, empty database",
        )
    if path is None:
        return {"max_bytes": limit(cp.quotas(), "storage") or UNLIMITED_UPLOAD}
    size = await asyncio.to_thread(check_sqlite_file, path)
    async with cp.lock:
        await _replace_namespace(cp, db, path)
        db.awaiting_upload = False
        cp.save(db.name)
    return {"database": name, "size_bytes": size}


async def seed_from_dump(cp: ControlPlane, db: DatabaseState, url: str) -> None:
    """Create ``db``'s namespace from a SQL dump (a ``.sql`` file on this machine): loaded into a
    SQLite file here (see :mod:`tursotui.local.control.dumps`), which becomes the namespace only whole."""
    dump = await asyncio.to_thread(checked_dump_path, url)
    scratch = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="dump-", dir=cp.dataplane.root))
    target = cp.namespace_file(db.name).parent
    try:
        built = scratch / "data"
        await asyncio.to_thread(build_database, dump, built)
        await asyncio.to_thread(place_database_file, built, target)
        try:
            await cp.create_namespace(db)
        except ApiError:
            await asyncio.to_thread(shutil.rmtree, target, True)
            raise
    finally:
        await asyncio.to_thread(shutil.rmtree, scratch, True)
