"""Verified backups: a database dumped to ``.sql`` (or a ``.db`` SQLite file) and checked.

``backup_database`` streams ``GET /dump`` into a temp file beside the target (never the whole
dump in memory), loads it into a scratch SQLite (stdlib ``sqlite3``), runs
``PRAGMA integrity_check``, compares the user schema (tables, indexes, views, triggers) and
per-table row counts with the source database (``COUNT(*)`` of every user table over Hrana, in
one read transaction). Only a backup that checks out is renamed to its final name; after any
failure or cancellation nothing is left in the folder and the source database was only ever read.

A dump with libSQL vector indexes (``libsql_vector_idx``) is loaded with the libSQL engine
instead (:mod:`tursotui.ops.vectors`): a ``.db`` backup then has working indexes, and each one is
probed with ``vector_top_k``. Without that engine a ``.sql`` backup is verified except the vector
index DDL (the result says so) and a ``.db`` backup is refused.

Counting rows costs reads on Turso Cloud (about one row read per row): counts are taken once,
before the dump, and again only when they disagree with the dump (the database may have changed
while it was dumped; the dump is accepted when it matches either moment).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from tursotui.libsql import HranaClient
from tursotui.libsql.engine import available as libsql_engine_available
from tursotui.libsql.errors import LocalDatabaseError
from tursotui.libsql.local import SCHEMA_OBJECTS, internal_names, quote_identifier, user_tables
from tursotui.ops._threads import run_cancellable, threadsafe
from tursotui.ops.backup_files import (
    fsync_directory,
    prepare_target,
    size_of,
    temp_beside,
    unlink_quietly,
    write_error,
)
from tursotui.ops.backup_files import prepare_directory as prepare_directory  # re-exported
from tursotui.ops.backups import BackupFormat
from tursotui.ops.errors import InputError, OpsError, VerificationError
from tursotui.ops.leftovers import scratch_dir as scratch_dir_for
from tursotui.ops.sqlscript import integrity_problems, load_sql_file, open_scratch, row_counts
from tursotui.ops.vectors import has_vector_index, load_and_check


@dataclass(frozen=True)
class BackupProgress:
    """``phase`` is counting, dumping, verifying or finishing; ``done``/``total`` are bytes."""

    phase: str
    done: int = 0
    total: int | None = None


ProgressCallback = Callable[[BackupProgress], None]


@dataclass(frozen=True)
class VerifyReport:
    tables: dict[str, int]
    statements: int
    dump_bytes: int
    integrity: list[str] = field(default_factory=list)
    objects: list[tuple[str, str]] = field(default_factory=list)
    """``(type, name)`` of the user objects in the loaded backup."""
    vector_indexes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackupResult:
    database: str
    path: Path
    format: BackupFormat
    size_bytes: int
    dump_bytes: int
    tables: dict[str, int]
    """Rows per user table, the same in the source database and in the backup."""
    seconds: float
    source_changed: bool = False
    """The database changed while it was dumped; the dump matched its state at one moment."""
    vector_indexes: tuple[str, ...] = ()
    """libSQL vector indexes in the backup, each answering a ``vector_top_k`` probe."""
    notes: tuple[str, ...] = ()
    """What the verification could not check, or found worth saying (one line each)."""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "path": str(self.path),
            "format": self.format,
            "size_bytes": self.size_bytes,
            "dump_bytes": self.dump_bytes,
            "verified": True,
            "integrity": "ok",
            "tables": self.tables,
            "rows": self.rows,
            "source_changed": self.source_changed,
            "vector_indexes": list(self.vector_indexes),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
        }


def _notify(
    progress: ProgressCallback | None, phase: str, done: int = 0, total: int | None = None
) -> None:
    if progress is not None:
        progress(BackupProgress(phase, done, total))


async def source_row_counts(client: HranaClient) -> dict[str, int]:
    """``{table: rows}`` of the database's user tables, counted in one read transaction
    (internal tables and vector indexes' ``<index>_shadow`` tables left out)."""
    listing = await client.execute(SCHEMA_OBJECTS)
    tables = sorted(user_tables(listing.rows))
    if not tables:
        return {}
    results = await client.batch(
        [f"SELECT count(*) FROM {quote_identifier(t)}" for t in tables]  # noqa: S608 (quoted)
    )
    return {t: int(r.scalar() or 0) for t, r in zip(tables, results, strict=True)}


async def download_dump(
    client: HranaClient, target: Path, progress: ProgressCallback | None = None
) -> Path:
    """Stream ``GET /dump`` into a temp file beside ``target``; returns the (fsynced) temp file.

    Cancellation, a broken connection or a full disk remove the temp file.
    """
    temp = temp_beside(target)
    written = 0
    try:
        with temp.open("wb") as fh:
            chunks = cast(AsyncGenerator[bytes, None], client.dump())
            async with contextlib.aclosing(chunks):
                async for chunk in chunks:
                    fh.write(chunk)
                    written += len(chunk)
                    _notify(progress, "dumping", written)
            fh.flush()
            await asyncio.to_thread(os.fsync, fh.fileno())
    except OSError as exc:
        unlink_quietly(temp)
        raise write_error(exc, target, written) from None
    except BaseException:
        unlink_quietly(temp)
        raise
    if written == 0:
        unlink_quietly(temp)
        raise VerificationError("the server sent an empty dump")
    return temp


async def verify_dump(
    dump: Path,
    *,
    db_path: Path | None = None,
    scratch_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> VerifyReport:
    """Load ``dump`` into a scratch SQLite, check integrity and count rows.

    The scratch file is ``db_path`` when given (it is left there, journal mode DELETE, for a
    ``.db`` backup), else a file in a temp directory that is removed. A dump that does not load,
    is truncated (no final ``COMMIT``) or fails ``integrity_check`` raises
    :class:`VerificationError`.
    """
    total = size_of(dump)
    report_progress = threadsafe(
        None if progress is None else lambda n: _notify(progress, "verifying", n, total)
    )

    def fail(message: str) -> VerificationError:
        return VerificationError(f"the dump does not load: {message}")

    vectors = await asyncio.to_thread(has_vector_index, dump)
    if vectors and db_path is not None and not libsql_engine_available():
        raise VerificationError(
            "this database has libSQL vector indexes and the libSQL engine (Python package "
            "libsql) is not installed, so a .db backup cannot be built with working indexes: "
            "use --format sql, or install libsql"
        )

    def work(cancel: threading.Event) -> VerifyReport:
        with contextlib.ExitStack() as stack:
            if db_path is None:
                folder = scratch_dir_for("verify", scratch_dir)  # 0700, named with our pid
                stack.callback(shutil.rmtree, folder, True)
                path = folder / "verify.db"
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            else:
                path = db_path
            if vectors:
                return _verify_vectors(
                    dump, path, db_path is not None, cancel, fail, report_progress
                )
            try:
                conn = open_scratch(path)
            except sqlite3.Error as exc:
                raise OpsError(f"cannot create a scratch database at {path}: {exc}") from None
            stack.callback(conn.close)
            try:
                stats = load_sql_file(
                    dump, conn, cancel=cancel, fail=fail, progress=report_progress
                )
                if not stats.committed:
                    raise VerificationError(
                        "the dump does not end with COMMIT: it is truncated or incomplete"
                    )
                problems = integrity_problems(conn)
                counts = row_counts(conn, cancel)
                objects = user_objects(conn.execute(SCHEMA_OBJECTS).fetchall())
                if db_path is not None:
                    conn.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode == sqlite3.SQLITE_FULL:
                    raise OpsError(
                        f"no space left for the scratch database in {path.parent}"
                    ) from None
                raise VerificationError(f"the scratch database failed: {exc}") from None
            except sqlite3.Error as exc:
                raise VerificationError(f"the scratch database failed: {exc}") from None
        if db_path is not None:
            with db_path.open("rb") as fh:
                os.fsync(fh.fileno())
        return VerifyReport(counts, stats.statements, stats.bytes_read, problems, objects)

    return await run_cancellable(work)


def _verify_vectors(
    dump: Path,
    path: Path,
    keep: bool,
    cancel: threading.Event,
    fail: Callable[[str], OpsError],
    progress: Callable[[int], None] | None,
) -> VerifyReport:
    """:func:`verify_dump` of a dump with vector indexes (libSQL engine; see the module docs)."""
    try:
        loaded, checked = load_and_check(
            dump, path, cancel=cancel, fail=fail, progress=progress, keep=keep
        )
    except LocalDatabaseError as exc:
        if "full" in str(exc).lower():
            raise OpsError(f"no space left for the scratch database in {path.parent}") from None
        raise VerificationError(f"the scratch database failed: {exc}") from None
    if not loaded.committed:
        raise VerificationError("the dump does not end with COMMIT: it is truncated or incomplete")
    if keep:
        with path.open("rb") as fh:
            os.fsync(fh.fileno())
    return VerifyReport(
        checked.tables,
        loaded.statements,
        loaded.bytes_read,
        checked.integrity,
        checked.objects,
        checked.indexes,
        checked.notes,
    )


def user_objects(schema: list[Any]) -> list[tuple[str, str]]:
    """``(type, name)`` of the user objects among ``(type, name, tbl_name, sql)`` rows, sorted
    (internal ones, vector indexes' shadow tables and automatic indexes left out)."""
    hidden = internal_names(schema)
    return sorted(
        (str(r[0]), str(r[1]))
        for r in schema
        if r[3] is not None and str(r[1]).lower() not in hidden
    )


async def _check_schema(client: HranaClient, dumped: list[tuple[str, str]]) -> None:
    """Raise unless the backup has the database's user tables, indexes, views and triggers."""
    source = user_objects(list((await client.execute(SCHEMA_OBJECTS)).rows))
    missing = sorted(set(source) - set(dumped))
    extra = sorted(set(dumped) - set(source))
    if missing or extra:
        said = [f"{t} {n} is missing from the backup" for t, n in missing]
        said += [f"{t} {n} is in the backup but not in the database" for t, n in extra]
        raise VerificationError(f"the schema differs: {'; '.join(said[:5])}")


def compare_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    """Human-readable differences between the source's and the backup's row counts."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(f"table {table} is missing from the dump")
        elif table not in expected:
            problems.append(f"table {table} is in the dump but not in the database")
        elif expected[table] != actual[table]:
            problems.append(
                f"{table}: {expected[table]} rows in the database, {actual[table]} in the dump"
            )
    return problems


async def _check_counts(
    client: HranaClient, before: dict[str, int], dumped: dict[str, int]
) -> bool:
    """Raise unless the dump's counts match the database before or after; True if it changed."""
    differences = compare_counts(before, dumped)
    if not differences:
        return False
    after = await source_row_counts(client)
    if not compare_counts(after, dumped):
        return True
    if after != before:
        raise VerificationError(
            "the database changed while it was dumped and the dump matches neither its state "
            f"before nor after ({'; '.join(compare_counts(after, dumped)[:3])}): run the backup again"
        )
    raise VerificationError(f"row counts differ: {'; '.join(differences[:5])}")


async def backup_database(
    client: HranaClient,
    target: Path,
    *,
    database: str,
    fmt: BackupFormat = "sql",
    progress: ProgressCallback | None = None,
    scratch_dir: Path | None = None,
) -> BackupResult:
    """Dump the database ``client`` talks to into ``target`` (``.sql`` or ``.db``), verified."""
    started = time.monotonic()
    if fmt not in ("sql", "db"):
        raise InputError(f"invalid backup format {fmt!r}: use sql or db")
    prepare_target(target)
    _notify(progress, "counting")
    before = await source_row_counts(client)
    dump = await download_dump(client, target, progress)
    db_file: Path | None = None
    try:
        if fmt == "db":
            db_file = temp_beside(target)
        report = await verify_dump(
            dump, db_path=db_file, scratch_dir=scratch_dir, progress=progress
        )
        if report.integrity:
            raise VerificationError(
                f"integrity_check of the loaded dump failed: {'; '.join(report.integrity[:3])}"
            )
        changed = await _check_counts(client, before, report.tables)
        await _check_schema(client, report.objects)
        _notify(progress, "finishing", report.dump_bytes, report.dump_bytes)
        final = db_file if db_file is not None else dump
        try:
            os.replace(final, target)
        except OSError as exc:
            raise write_error(exc, target) from None
        fsync_directory(target.parent)
    except BaseException:
        unlink_quietly(db_file)
        unlink_quietly(dump)
        raise
    if db_file is not None:
        unlink_quietly(dump)
    return BackupResult(
        database=database,
        path=target,
        format=fmt,
        size_bytes=size_of(target),
        dump_bytes=report.dump_bytes,
        tables=report.tables,
        seconds=time.monotonic() - started,
        source_changed=changed,
        vector_indexes=tuple(report.vector_indexes),
        notes=tuple(report.notes),
    )
