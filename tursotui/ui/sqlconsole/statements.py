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
_READS = re.compile(r"^\s*(?:SELECT|WITH|VALUES|EXPLAIN|PRAGMA)\b", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*(?:--[^\n]*\n|/\*.*?\*/)", re.DOTALL)


def split_statements(text: str) -> list[str]:
    """The complete statements of ``text`` in order (a trailing one without ``;`` counts too)."""
    statements: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        current += line
        while True:
            cut = _first_complete(current)
            if cut is None:
                break
            stmt, current = current[:cut].strip(), current[cut:]
            if _meaningful(stmt):
                statements.append(stmt)
    if _meaningful(current):
        statements.append(current.strip())
    return statements


def _first_complete(text: str) -> int | None:
    """The end of the first complete statement in ``text`` (after its ``;``), or None."""
    start = 0
    while True:
        index = text.find(";", start)
        if index < 0:
            return None
        if sqlite3.complete_statement(text[: index + 1]):
            return index + 1
        start = index + 1


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
    """A statement that only reads (used to tell the operator why a write was refused)."""
    return bool(_READS.match(strip_comments(stmt)))


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


def unindexed_scans(steps: Iterable[PlanStep]) -> list[str]:
    """Tables a plan scans in full: ``SCAN t`` without ``USING INDEX``/``COVERING INDEX``."""
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
        if table not in tables:
            tables.append(table)
    return tables


def plan_text(steps: Sequence[PlanStep]) -> str:
    """The plan as an indented tree, like the sqlite3 shell shows it."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for step in steps:
        level = depth.get(step.parent, -1) + 1
        depth[step.id] = level
        lines.append(f"{'  ' * level}{'`--' if level else '--'}{step.detail}")
    return "\n".join(lines) or "(no plan)"
