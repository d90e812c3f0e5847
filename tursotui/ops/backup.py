"""Verified backups: a database dumped to ``.sql`` (or a ``.db`` SQLite file) and checked.

``backup_database`` streams ``GET /dump`` into a temp file beside the target (never the whole
dump in memory), loads it into a scratch SQLite (stdlib ``sqlite3``), runs
``PRAGMA integrity_check`` and compares per-table row counts with the source database
(``COUNT(*)`` of every user table over Hrana, in one read transaction). Only a backup that
checks out is renamed to its final name; after any failure or cancellation nothing is left in
the folder and the source database was only ever read.

Counting rows costs reads on Turso Cloud (about one row read per row): counts are taken once,
before the dump, and again only when they disagree with the dump (the database may have changed
while it was dumped; the dump is accepted when it matches either moment).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from tursotui.libsql import HranaClient, is_internal_table, quote_identifier
from tursotui.ops._threads import run_cancellable, threadsafe
from tursotui.ops.backups import PARTIAL_SUFFIX, BackupFormat
from tursotui.ops.errors import InputError, OpsError, VerificationError
from tursotui.ops.leftovers import scratch_dir as scratch_dir_for
from tursotui.ops.sqlscript import integrity_problems, load_sql_file, open_scratch, row_counts


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
            "seconds": round(self.seconds, 3),
        }


def _notify(
    progress: ProgressCallback | None, phase: str, done: int = 0, total: int | None = None
) -> None:
    if progress is not None:
        progress(BackupProgress(phase, done, total))


def write_error(exc: OSError, path: Path, written: int | None = None) -> OpsError:
    """A clear message for a failed write: disk full (exit 1) or a directory we cannot write (2)."""
    where = path.parent
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        after = f" after {written} bytes" if written is not None else ""
        return OpsError(
            f"no space left on the device of {where}{after}: nothing was kept; free some space "
            "or choose another directory"
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return InputError(f"cannot write in {where}: {exc.strerror}")
    return OpsError(f"cannot write {path}: {exc.strerror or exc}")


def prepare_directory(directory: Path) -> None:
    """Create ``directory`` if needed; bad paths are :class:`InputError`."""
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)  # backups are copies of the data
    except OSError as exc:
        raise InputError(f"cannot create directory {directory}: {exc.strerror or exc}") from None


def temp_beside(target: Path) -> Path:
    """A new empty hidden temp file (mode 0600) next to ``target``:
    ``.<name>.<pid>-<random>.partial`` (the pid: a later run removes it once this process is gone).
    """
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}-", suffix=PARTIAL_SUFFIX, dir=target.parent
        )
    except OSError as exc:
        raise write_error(exc, target) from None
    os.close(fd)
    return Path(name)


def _unlink(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


async def source_row_counts(client: HranaClient) -> dict[str, int]:
    """``{table: rows}`` of the database's user tables, counted in one read transaction."""
    listing = await client.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
    )
    tables = [str(row[0]) for row in listing.rows if not is_internal_table(str(row[0]))]
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
        _unlink(temp)
        raise write_error(exc, target, written) from None
    except BaseException:
        _unlink(temp)
        raise
    if written == 0:
        _unlink(temp)
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
    total = _size(dump)
    report_progress = threadsafe(
        None if progress is None else lambda n: _notify(progress, "verifying", n, total)
    )

    def fail(message: str) -> VerificationError:
        return VerificationError(f"the dump does not load: {message}")

    def work(cancel: threading.Event) -> VerifyReport:
        with contextlib.ExitStack() as stack:
            if db_path is None:
                folder = scratch_dir_for("verify", scratch_dir)  # 0700, named with our pid
                stack.callback(shutil.rmtree, folder, True)
                path = folder / "verify.db"
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            else:
                path = db_path
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
        return VerifyReport(counts, stats.statements, stats.bytes_read, problems)

    return await run_cancellable(work)


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
    _prepare_target(target)
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
        _notify(progress, "finishing", report.dump_bytes, report.dump_bytes)
        final = db_file if db_file is not None else dump
        try:
            os.replace(final, target)
        except OSError as exc:
            raise write_error(exc, target) from None
        _fsync_directory(target.parent)
    except BaseException:
        _unlink(db_file)
        _unlink(dump)
        raise
    if db_file is not None:
        _unlink(dump)
    return BackupResult(
        database=database,
        path=target,
        format=fmt,
        size_bytes=_size(target),
        dump_bytes=report.dump_bytes,
        tables=report.tables,
        seconds=time.monotonic() - started,
        source_changed=changed,
    )


def _size(path: Path) -> int:
    return path.stat().st_size


def _prepare_target(target: Path) -> None:
    prepare_directory(target.parent)
    if target.exists():
        raise InputError(f"{target} already exists; a backup never overwrites a file")


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
