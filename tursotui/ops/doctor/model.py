"""What the doctor says: one :class:`Check` per item of the seed's troubleshooting checklist, each OK or what is
wrong and the fix (a key or a command), and the report of one database or of the whole fleet (no Textual here)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

State = Literal["ok", "warn", "fail", "skip"]
"""``ok``; ``warn``: works, but soon will not (an expiry, a quota close to full); ``fail``: broken now;
``skip``: not applicable here, or not checkable because an earlier check failed (the detail says which)."""

STATES: tuple[State, ...] = ("ok", "warn", "fail", "skip")
LABELS: dict[State, str] = {"ok": "OK", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}

CHECKS: tuple[tuple[str, str], ...] = (
    ("api-token", "Platform API token"),
    ("organization", "Organization"),
    ("database", "Database"),
    ("group", "Group archived/blocked"),
    ("quota", "Quota"),
    ("reachable", "URL reachable"),
    ("db-token", "Database token"),
    ("indexes", "Hot-lookup indexes"),
    ("replica", "Embedded replica"),
    ("env-mode", ".env mode"),
    ("config-match", "config.toml/.env match"),
)
"""Every check, in the order it is shown: (id, title)."""
TITLES = dict(CHECKS)


@dataclass(frozen=True)
class Check:
    id: str
    state: State
    detail: str
    """What is OK, or what is wrong (never a token)."""
    fix: str = ""
    """The key or command that fixes it ("" when nothing is wrong)."""
    data: dict[str, Any] = field(default_factory=dict)
    """Machine-readable facts for ``--json`` (latency, expiry, index names…)."""

    @property
    def title(self) -> str:
        return TITLES.get(self.id, self.id)

    @property
    def label(self) -> str:
        return LABELS[self.state]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "state": self.state,
            "detail": self.detail,
            "fix": self.fix or None,
            **({"data": self.data} if self.data else {}),
        }


def ok(check: str, detail: str, **data: Any) -> Check:
    return Check(check, "ok", detail, data=data)


def warn(check: str, detail: str, fix: str, **data: Any) -> Check:
    return Check(check, "warn", detail, fix, data)


def fail(check: str, detail: str, fix: str, **data: Any) -> Check:
    return Check(check, "fail", detail, fix, data)


def skip(check: str, detail: str, fix: str = "", **data: Any) -> Check:
    return Check(check, "skip", detail, fix, data)


def counts(states: Iterable[State]) -> dict[State, int]:
    found: dict[State, int] = dict.fromkeys(STATES, 0)
    for state in states:
        found[state] += 1
    return found


def summary_text(found: dict[State, int]) -> str:
    """``9 OK · 1 warning · 1 failed · 0 skipped``."""
    warnings = f"{found['warn']} warning{'s' if found['warn'] != 1 else ''}"
    return f"{found['ok']} OK · {warnings} · {found['fail']} failed · {found['skip']} skipped"


@dataclass(frozen=True)
class DoctorReport:
    """The checks of one database, in :data:`CHECKS` order."""

    database: str
    organization: str
    target: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """No check failed (warnings and skipped checks pass)."""
        return all(c.state != "fail" for c in self.checks)

    @property
    def counts(self) -> dict[State, int]:
        return counts(c.state for c in self.checks)

    def get(self, check: str) -> Check:
        return next(c for c in self.checks if c.id == check)

    def to_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "organization": self.organization,
            "target": self.target,
            "passed": self.passed,
            "counts": self.counts,
            "checks": [c.to_json() for c in self.checks],
        }


def ordered(checks: Iterable[Check]) -> tuple[Check, ...]:
    rank = {cid: n for n, (cid, _) in enumerate(CHECKS)}
    return tuple(sorted(checks, key=lambda c: rank.get(c.id, len(rank))))


@dataclass(frozen=True)
class Finding:
    """One database's result of a check, in a fleet summary."""

    database: str
    state: State
    detail: str


@dataclass(frozen=True)
class CheckSummary:
    """One check across the fleet: how many databases (or, for an organization-wide check, the one result) in
    each state, the databases that failed or warned (the first :data:`SHOWN`), and the fix."""

    id: str
    counts: dict[State, int]
    findings: tuple[Finding, ...]
    fix: str
    scope: Literal["organization", "database", "configuration"]
    detail: str = ""
    """The organization-wide result, or a one-line summary."""

    SHOWN = 20

    @property
    def title(self) -> str:
        return TITLES.get(self.id, self.id)

    @property
    def state(self) -> State:
        worst: tuple[State, ...] = ("fail", "warn", "ok")
        for state in worst:
            if self.counts[state]:
                return state
        return "skip"

    @classmethod
    def of(cls, check: Check, scope: Literal["organization", "configuration"]) -> CheckSummary:
        """An organization- or configuration-wide check: one result stands for every database."""
        return cls(check.id, counts([check.state]), (), check.fix, scope, check.detail)

    @classmethod
    def per_database(cls, check: str, results: Iterable[tuple[str, Check]]) -> CheckSummary:
        every = list(results)
        found = counts(c.state for _, c in every)
        bad = [(name, c) for name, c in every if c.state in ("fail", "warn")]
        bad.sort(key=lambda item: (item[1].state != "fail", item[0]))
        fix = next((c.fix for _, c in bad if c.fix), "")
        findings = tuple(Finding(name, c.state, c.detail) for name, c in bad[: cls.SHOWN])
        line = ", ".join(f"{n} {LABELS[s]}" for s, n in found.items() if n)
        return cls(check, found, findings, fix, "database", line)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "scope": self.scope,
            "state": self.state,
            "counts": self.counts,
            "detail": self.detail,
            "fix": self.fix or None,
            "findings": [
                {"database": f.database or None, "state": f.state, "detail": f.detail}
                for f in self.findings
            ],
        }


@dataclass(frozen=True)
class FleetReport:
    organization: str
    target: str
    databases: int
    checks: tuple[CheckSummary, ...]

    @property
    def passed(self) -> bool:
        return all(s.counts["fail"] == 0 for s in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "organization": self.organization,
            "target": self.target,
            "databases": self.databases,
            "passed": self.passed,
            "checks": [s.to_json() for s in self.checks],
        }
