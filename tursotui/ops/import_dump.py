"""How a file becomes a NEW database, as turso-cli decides it (``db create --from-file``, D9).

turso-cli uploads a SQLite file (``seed: database_upload`` then ``POST https://<db>/v1/upload``) only when the
group's primary location starts with ``aws-`` (cmd/db_create.go ``isAWS``; group_flag.go ``handleDBFile``).
Anywhere else it dumps the file (``sqlite3 .dump``), uploads the dump (``POST …/databases/dumps``, multipart
``file``) and creates the database with ``seed: {type: "dump", url: <dump_url>}``. The local Turso refuses an
upload seed outside AWS groups as well, so both ways are exercised here.

:func:`write_dump` writes the dump in the shape turso-cli's check expects (``PRAGMA foreign_keys=OFF;`` then
``BEGIN TRANSACTION;``): the tables of the import source (never the internal ones: sqlite_*, a vector index's
shadow tables), their rows, then their indexes, views and triggers.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tursotui.libsql import quote_identifier
from tursotui.ops.errors import OpsError

if TYPE_CHECKING:
    from tursotui.ops.import_source import ImportSource
    from tursotui.platform import PlatformClient

AWS_PREFIX = "aws-"


def is_aws(location: str) -> bool:
    return location.startswith(AWS_PREFIX)


async def new_database_method(platform: PlatformClient, group: str) -> Literal["upload", "dump"]:
    """``upload`` for a group whose primary is on AWS, ``dump`` otherwise (turso-cli's rule). A group that
    cannot be read is taken for a non-AWS one: the dump seed is the one every group takes."""
    from tursotui.platform import PlatformError

    try:
        primary = (await platform.get_group(group)).primary
    except PlatformError:
        return "dump"
    return "upload" if is_aws(primary) else "dump"


def method_note(method: str, group: str) -> str:
    if method == "upload":
        return f"group {group} is on AWS: the SQLite file is uploaded (seed database_upload)"
    return (
        f"group {group} is not on AWS: the data goes as a SQL dump (POST …/databases/dumps, then "
        "seed dump), as turso-cli does outside AWS groups"
    )


def _literal(columns: tuple[str, ...], table: str) -> str:
    quoted = " || ',' || ".join(f"quote({quote_identifier(c)})" for c in columns)
    return f"SELECT {quoted} FROM {quote_identifier(table)}"  # noqa: S608 (quoted names)


def write_dump(source: ImportSource, target: Path) -> Path:
    """``source`` as a SQL dump in ``target`` (blocking: run it in a thread); returns ``target``."""
    from tursotui.ops.import_source import connect_read_only

    conn = connect_read_only(source.database)
    try:
        with target.open("w", encoding="utf-8") as out:
            out.write("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n")
            for table in source.tables:
                out.write(table.sql.rstrip().rstrip(";") + ";\n")
                if not table.columns:
                    continue
                names = ",".join(quote_identifier(c) for c in table.columns)
                head = f"INSERT INTO {quote_identifier(table.name)}({names}) VALUES("
                for (values,) in conn.execute(_literal(table.columns, table.name)):
                    out.write(f"{head}{values});\n")
            for obj in source.objects:
                if obj.sql:
                    out.write(obj.sql.rstrip().rstrip(";") + ";\n")
            out.write("COMMIT;\n")
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise OpsError(f"reading {source.path} for its dump failed: {exc}") from None
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise OpsError(f"writing the dump of {source.path} failed: {exc.strerror or exc}") from None
    finally:
        conn.close()
    return target
