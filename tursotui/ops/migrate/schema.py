"""A database's schema as normalised DDL, its fingerprint, the schema the migrations produce, and a diff.

Normalised: the ``sqlite_schema`` rows' SQL with runs of whitespace made one space (none around
punctuation), everything but string literals lower-cased, identifiers' quotes (``"x"``, ```x```, ``[x]``)
dropped and ``IF NOT EXISTS`` removed; internal objects left out by libsql.local's rules (SQLite's, libSQL's,
Litestream's, Turso sync's, and a vector index's shadow tables), and so is the migrations' ledger, and
SQLite's automatic indexes (no SQL). One line per object, sorted by type and name: two databases with the
same lines have the same schema whatever their whitespace, case or quoting."""

from __future__ import annotations

import difflib
import hashlib
import re
import sqlite3
from collections.abc import Iterable, Sequence

from tursotui.libsql.local import SCHEMA_OBJECTS, internal_names
from tursotui.ops.errors import InputError
from tursotui.ops.migrate.files import Migration
from tursotui.ops.migrate.ledger import LEDGER

READ_SCHEMA = SCHEMA_OBJECTS
_TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|\s+|[^\s'"`\[]+|.""",
    re.DOTALL,
)
_PUNCT = re.compile(r"\s*([(),;=])\s*")
_AFTER_CLOSE = re.compile(r"\)(?=\w)")
_IF_NOT_EXISTS = re.compile(r"\bif not exists\s+")
_ORDER = {"table": 0, "index": 1, "view": 2, "trigger": 3}
FINGERPRINT_CHARS = 12


def normalise_sql(sql: str) -> str:
    """``sql`` normalised (see the module); string literals are kept as written."""
    out: list[str] = []
    for token in _TOKEN.findall(sql):
        first = token[0]
        if first == "'":
            out.append(token)
        elif first == '"' and len(token) >= 2:
            out.append(token[1:-1].replace('""', '"').lower())
        elif first == "`" and len(token) >= 2:
            out.append(token[1:-1].replace("``", "`").lower())
        elif first == "[" and token.endswith("]"):
            out.append(token[1:-1].lower())
        elif token.isspace():
            out.append(" ")
        else:
            out.append(token.lower())
    text = "".join(out).strip()
    parts = re.split(r"('(?:[^']|'')*')", text)  # never touch the inside of a string literal
    for n in range(0, len(parts), 2):
        chunk = _AFTER_CLOSE.sub(") ", _PUNCT.sub(r"\1", parts[n]))
        parts[n] = _IF_NOT_EXISTS.sub("", chunk)
    return "".join(parts).rstrip(";").strip()


def normalised_schema(rows: Iterable[Sequence[object]]) -> list[str]:
    """``(type, name, tbl_name, sql)`` rows as sorted lines ``type name: normalised sql``."""
    listed = list(rows)
    hidden = internal_names(listed) | {LEDGER.lower()}
    lines: list[tuple[int, str, str]] = []
    for row in listed:
        kind, name, sql = str(row[0]), str(row[1]), row[3]
        if not isinstance(sql, str) or name.lower() in hidden:
            continue
        lines.append(
            (_ORDER.get(kind, 9), name.lower(), f"{kind} {name.lower()}: {normalise_sql(sql)}")
        )
    return [line for _, _, line in sorted(lines)]


def fingerprint(lines: Sequence[str]) -> str:
    """A short hash of normalised schema lines (the empty schema has one too)."""
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return digest[:FINGERPRINT_CHARS]


def expected_schema(migrations: Sequence[Migration]) -> list[str]:
    """The normalised schema ``migrations`` produce, applied in order to a scratch in-memory database. A
    statement plain SQLite refuses is an InputError naming its file and line."""
    conn = sqlite3.connect(":memory:")
    try:
        for migration in migrations:
            for step in migration.steps:
                try:
                    conn.execute(step.sql)
                except sqlite3.Error as exc:
                    raise InputError(
                        f"migration file {migration.file}, line {step.line}: {exc} (while computing "
                        "the expected schema on a scratch database)"
                    ) from None
        rows = conn.execute(READ_SCHEMA).fetchall()
    finally:
        conn.close()
    return normalised_schema(rows)


def schema_diff(expected: Sequence[str], actual: Sequence[str], name: str) -> list[str]:
    """A unified diff of normalised DDL, from the expected schema to ``name``'s."""
    return list(
        difflib.unified_diff(
            list(expected), list(actual), "expected (migrations)", name, lineterm="", n=1
        )
    )
