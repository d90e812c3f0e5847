"""Splitting an editor's text into statements, and reading EXPLAIN QUERY PLAN output."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

INDEX_CHECK = "SELECT name FROM sqlite_master WHERE type='index'"
"""The seed's index check ("Performance Issues")."""

_SCAN = re.compile(r"^SCAN (?:TABLE )?(?P<table>\S+)", re.IGNORECASE)
_EXPLAINABLE = re.compile(
    r"^\s*(?:WITH|SELECT|UPDATE|DELETE|INSERT|REPLACE|VALUES)\b", re.IGNORECASE
)
_READS = re.compile(r"^\s*(?:SELECT|WITH|VALUES|EXPLAIN)\b", re.IGNORECASE)
_CTE_WRITE = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_PRAGMA = re.compile(
    r'^\s*PRAGMA\s+(?:"?\w+"?\s*\.\s*)?"?(?P<name>\w+)"?\s*(?P<arg>\(\s*"?\w+"?\s*\))?\s*;?\s*$',
    re.IGNORECASE,
)
_PRAGMAS_WRITING = frozenset({"optimize", "incremental_vacuum", "wal_checkpoint"})
_PRAGMAS_READING_ARG = frozenset(
    {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}
    | {"foreign_key_check", "integrity_check", "quick_check"}
)
SCHEMA_TABLES = frozenset(
    {"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"}
)
"""SQLite's own schema tables: small, never indexed, so reading them in full is no warning."""
_SCHEMA_ALIAS = re.compile(
    r"""\b(?:["`\[]?\w+["`\]]?\s*\.\s*)?["`\[]?sqlite_(?:temp_)?(?:master|schema)["`\]]?"""
    r"""\s+(?:AS\s+)?["`\[]?(?P<alias>\w+)""",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"^\s*(?:--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))", re.DOTALL)


def split_statements(text: str) -> list[str]:
    """The complete statements of ``text`` in order (a trailing one without ``;`` counts too).

    Each ``;`` is checked once (``sqlite3.complete_statement`` on the text since the last cut), so a long paste
    with an unterminated string or comment stays quick; a NUL in the text is checked as a space. A trigger's
    ``BEGIN … END;`` body and ``;`` inside strings, quoted names and comments do not cut a statement."""
    return [stmt for stmt, _ in split_with_lines(text)]


def split_with_lines(text: str) -> list[tuple[str, int]]:
    """:func:`split_statements` with each statement's 1-based line in ``text`` (where its SQL starts, after
    any leading comments), for messages that point at a statement of a script."""
    statements: list[tuple[str, int]] = []
    start = search = 0

    def cut(end: int) -> None:
        stmt = text[start:end].strip()
        if _meaningful(stmt):
            offset = start + (len(text[start:end]) - len(text[start:end].lstrip()))
            offset += len(stmt) - len(strip_comments(stmt))
            statements.append((stmt, text.count("\n", 0, offset) + 1))

    while (index := text.find(";", search)) >= 0:
        search = index + 1
        if sqlite3.complete_statement(text[start:search].replace("\x00", " ")):
            cut(search)
            start = search
    cut(len(text))
    return statements


def _meaningful(stmt: str) -> bool:
    body = strip_comments(stmt).strip().rstrip(";").strip()
    return bool(body)


def strip_comments(stmt: str) -> str:
    """``stmt`` without its leading comments."""
    text = stmt
    while True:
        match = _COMMENT.match(text)
        if match is None:
            return text.lstrip()
        text = text[match.end() :]


def explainable(stmt: str) -> bool:
    """Whether EXPLAIN QUERY PLAN means something for ``stmt`` (not DDL, PRAGMA or EXPLAIN itself)."""
    return bool(_EXPLAINABLE.match(strip_comments(stmt)))


def is_read(stmt: str) -> bool:
    """A statement that only reads (used to tell the operator why a write was refused).

    Never true for a write: ``WITH`` naming INSERT/UPDATE/DELETE/REPLACE anywhere counts as a write, and a
    PRAGMA reads only when it has no value (``= x``, or an argument other than a table/index name for the
    schema-reading pragmas) and is not one that writes by itself (``optimize``...)."""
    body = strip_comments(stmt)
    pragma = _PRAGMA.match(body)
    if pragma is not None:
        name = pragma["name"].lower()
        if pragma["arg"]:
            return name in _PRAGMAS_READING_ARG
        return name not in _PRAGMAS_WRITING
    if not _READS.match(body):
        return False
    return not (body.lstrip()[:4].upper() == "WITH" and _CTE_WRITE.search(body))


def explain_sql(stmt: str) -> str:
    return f"EXPLAIN QUERY PLAN {strip_comments(stmt).rstrip().rstrip(';')}"


@dataclass(frozen=True)
class PlanStep:
    id: int
    parent: int
    detail: str


def plan_steps(rows: Iterable[Sequence[object]]) -> list[PlanStep]:
    """EXPLAIN QUERY PLAN rows (id, parent, notused, detail) as steps."""
    steps = []
    for row in rows:
        if len(row) < 4:
            continue
        try:
            steps.append(PlanStep(int(str(row[0])), int(str(row[1])), str(row[3])))
        except ValueError:
            continue
    return steps


def unindexed_scans(steps: Iterable[PlanStep], statement: str = "") -> list[str]:
    """Tables a plan scans in full: ``SCAN t`` without ``USING INDEX``/``COVERING INDEX`` (never the
    schema tables, :data:`SCHEMA_TABLES`, nor the aliases ``statement`` gives them)."""
    schema = SCHEMA_TABLES | {m["alias"].lower() for m in _SCHEMA_ALIAS.finditer(statement)}
    tables: list[str] = []
    for step in steps:
        detail = step.detail.strip()
        match = _SCAN.match(detail)
        if match is None:
            continue
        upper = detail.upper()
        if (
            "USING INDEX" in upper
            or "COVERING INDEX" in upper
            or "USING INTEGER PRIMARY KEY" in upper
        ):
            continue
        table = match["table"]
        if table.upper().startswith("CONSTANT"):  # SCAN CONSTANT ROW
            continue
        if _unquoted(table).lower().split(".")[-1] in schema:
            continue
        if table not in tables:
            tables.append(table)
    return tables


def _unquoted(name: str) -> str:
    return name.replace('"', "").replace("`", "").replace("[", "").replace("]", "")


def plan_text(steps: Sequence[PlanStep]) -> str:
    """The plan as an indented tree, like the sqlite3 shell shows it."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for step in steps:
        level = depth.get(step.parent, -1) + 1
        depth[step.id] = level
        lines.append(f"{'  ' * level}{'`--' if level else '--'}{step.detail}")
    return "\n".join(lines) or "(no plan)"
