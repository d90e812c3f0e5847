"""Files of a backup being written: temp files beside the target, errors of writes, fsyncs."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from tursotui.ops.backups import PARTIAL_SUFFIX
from tursotui.ops.errors import InputError, OpsError


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


def unlink_quietly(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def size_of(path: Path) -> int:
    return path.stat().st_size


def prepare_target(target: Path) -> None:
    prepare_directory(target.parent)
    if target.exists():
        raise InputError(f"{target} already exists; a backup never overwrites a file")


def fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
