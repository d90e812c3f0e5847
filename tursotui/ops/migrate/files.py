"""The migrations folder: plain numbered SQL files, ``0001_create_users.sql``, ``0002_add_plan.sql``, …

A file name is four or more digits, ``_``, a name of lower-case letters, digits and ``_``, and ``.sql``. The
numbers start at 1 and have no gap or duplicate; anything else is refused naming the file(s) and what is
wrong (other files, ``README.md`` say, are left alone). A file's checksum is the SHA-256 of its text with
line endings made ``\\n`` (a checkout on Windows does not count as a change). Each migration runs inside the
transaction tursotui opens per database, so a file may not open, end or leave one itself (``BEGIN``,
``COMMIT``, ``ROLLBACK``, ``SAVEPOINT``, ``VACUUM``…)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tursotui.ops.errors import InputError
from tursotui.ops.sql.statements import split_with_lines, strip_comments

NAME = re.compile(r"^(?P<id>\d{4,})_(?P<name>[a-z0-9][a-z0-9_]*)\.sql$")
NAME_RULE = "NNNN_name.sql (four or more digits, '_', lower-case letters, digits or '_', '.sql')"
_TRANSACTION_CONTROL = re.compile(
    r"^(?:BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|VACUUM)\b", re.IGNORECASE
)
MAX_FILE_BYTES = 10 << 20


@dataclass(frozen=True)
class SqlStep:
    """One statement of a migration file and the line it starts on."""

    sql: str
    line: int


@dataclass(frozen=True)
class Migration:
    id: int
    name: str
    """The file name's part after the number (``create_users``)."""
    file: str
    """The file name (``0001_create_users.sql``)."""
    checksum: str
    steps: tuple[SqlStep, ...]

    @property
    def label(self) -> str:
        return f"{self.id:04d}_{self.name}"


def checksum(text: str) -> str:
    """SHA-256 (hex) of ``text`` with CRLF and CR line endings made LF."""
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def parse_name(file: str) -> tuple[int, str]:
    """``(number, name)`` of a migration file name; a name not following the rule is an InputError."""
    found = NAME.match(file)
    if found is None:
        raise InputError(f"migration file {file!r}: the name must be {NAME_RULE}")
    number = int(found["id"])
    if number < 1:
        raise InputError(f"migration file {file!r}: numbers start at 0001")
    return number, found["name"]


def parse_migration(file: str, text: str) -> Migration:
    """One file's migration; no statement, or one that handles transactions itself, is an InputError."""
    number, name = parse_name(file)
    steps = tuple(SqlStep(sql, line) for sql, line in split_with_lines(text))
    if not steps:
        raise InputError(f"migration file {file}: no SQL statement in it")
    for step in steps:
        control = _TRANSACTION_CONTROL.match(strip_comments(step.sql).lstrip())
        if control is not None:
            word = control.group(0).upper()
            raise InputError(
                f"migration file {file}, line {step.line}: {word} is not allowed; each database's "
                "pending migrations already run in one transaction that tursotui opens and commits"
            )
    return Migration(number, name, file, checksum(text), steps)


def check_sequence(numbers: Sequence[tuple[int, str]]) -> None:
    """Numbers ``(id, file)`` must be 1, 2, 3 … with no duplicate and no gap; the first problem is named."""
    seen: dict[int, str] = {}
    for number, file in numbers:
        if number in seen:
            raise InputError(
                f"migration number {number:04d} is used twice: {seen[number]} and {file}"
            )
        seen[number] = file
    expected = 1
    for number in sorted(seen):
        if number != expected:
            if expected == 1:
                raise InputError(f"migrations start at 0001, but the first is {seen[number]}")
            raise InputError(
                f"migration {expected:04d} is missing: {seen[number]} follows {seen[expected - 1]}"
            )
        expected += 1


def load_migrations(folder: Path) -> list[Migration]:
    """The migrations of ``folder``, in order. A missing folder, a badly named ``.sql``, a duplicate number,
    a gap or a file that cannot be read is an InputError naming it; an empty folder gives ``[]``."""
    if not folder.is_dir():
        raise InputError(f"migrations folder {folder} does not exist (or is not a folder)")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".sql" and p.is_file())
    numbered = [(parse_name(p.name)[0], p.name) for p in files]
    check_sequence(numbered)
    found: list[Migration] = []
    for path in files:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"migration file {path.name} is larger than 10 MB")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"migration file {path.name} is not UTF-8 text") from None
        found.append(parse_migration(path.name, text))
    return sorted(found, key=lambda m: m.id)
