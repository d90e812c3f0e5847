"""The size of a database as SQLite counts it (pages in use × page size), read from the files sqld keeps.

A database in WAL mode has two files: ``data`` (checkpointed pages) and ``data-wal`` (recent frames, often the
same pages written again; sqld checkpoints hourly and the file is reused, not shrunk). Adding the two sizes
overstates the database several times after a bulk import. The WAL index (``data-shm``) holds the database's
size in pages after the last commit: its header (48 bytes, written twice, native byte order) is read and used
when both copies agree; otherwise (no WAL index, a torn read) the ``data`` file's size is the answer.
"""

from __future__ import annotations

import struct
from pathlib import Path

_HEADER = 48
_FIELDS = struct.Struct(
    "=IIIBBHII"
)  # iVersion, unused, iChange, isInit, bigEndCksum, szPage, mxFrame, nPage


def database_bytes(directory: Path) -> int:
    """Bytes in use by the database in ``directory`` (``data``, ``data-wal``, ``data-shm``); 0 if absent."""
    data = directory / "data"
    try:
        on_disk = data.stat().st_size
    except OSError:
        return 0
    try:
        with (directory / "data-shm").open("rb") as index:
            head = index.read(2 * _HEADER)
    except OSError:
        return on_disk
    if len(head) < 2 * _HEADER or head[:_HEADER] != head[_HEADER:]:
        return on_disk
    _version, _, _change, initialised, _, page_size, _frames, pages = _FIELDS.unpack_from(head)
    if not initialised or pages == 0:
        return on_disk
    size = 65_536 if page_size == 1 else int(page_size)
    return int(pages) * size
