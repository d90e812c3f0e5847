"""The organization's audit log, a page at a time, newest first (``GET …/audit-logs``).

What the CLI's ``org audit-log`` shows and the console will page through. Turso Cloud keeps audit logs on
paid plans: on the Free (starter) plan it answers with the code ``feature_not_available_for_starter_plan``,
which turso-cli turns into "Audit logs are not available on the free plan" (``internal/turso/utils.go``);
the same sentence here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tursotui.ops.errors import InputError, OpsError
from tursotui.platform import AuditLog, AuditLogPage, Forbidden, PlatformClient

STARTER_REFUSAL = "feature_not_available_for_starter_plan"
DEFAULT_PAGE_SIZE = 25
"""turso-cli's ``org audit-logs list --limit`` default (the API's own is 100)."""
MAX_PAGE_SIZE = 1000


def entry_json(entry: AuditLog) -> dict[str, Any]:
    return {
        "code": entry.code,
        "message": entry.message,
        "origin": entry.origin,
        "author": entry.author,
        "created_at": entry.created_at,
        "data": dict(entry.data),
    }


def when(entry: AuditLog) -> str:
    """``2026-12-05 01:59:40`` (UTC), or the API's text when it is not a timestamp."""
    created = entry.created
    return created.strftime("%Y-%m-%d %H:%M:%S") if created is not None else entry.created_at


@dataclass(frozen=True)
class AuditView:
    """One page of the audit log, with what a reader needs to ask for the next."""

    page: AuditLogPage

    def rows(self) -> list[list[str]]:
        """DATE (UTC), AUTHOR, CODE, ORIGIN, MESSAGE: one row per entry, newest first."""
        return [[when(e), e.author, e.code, e.origin, e.message] for e in self.page.entries]

    def summary(self) -> str:
        p = self.page
        if not p.entries:
            return f"no audit log entries on page {p.page} ({p.total_rows} in all)"
        more = f"; next: --page {p.page + 1}" if p.has_next else ""
        return (
            f"page {p.page} of {p.total_pages}: {len(p.entries)} of {p.total_rows} entries, "
            f"newest first{more}"
        )

    def to_json(self) -> dict[str, Any]:
        p = self.page
        return {
            "audit_logs": [entry_json(e) for e in p.entries],
            "pagination": {
                "page": p.page,
                "page_size": p.page_size,
                "total_pages": p.total_pages,
                "total_rows": p.total_rows,
            },
        }


def check_paging(page: int, page_size: int) -> None:
    if page < 1:
        raise InputError(f"invalid page {page}: pages start at 1")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(f"invalid page size {page_size}: from 1 to {MAX_PAGE_SIZE}")


async def audit_log(
    platform: PlatformClient, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> AuditView:
    """One page, newest first; :class:`OpsError` saying so when the plan has no audit logs."""
    check_paging(page, page_size)
    try:
        found = await platform.list_audit_logs(page, page_size)
    except Forbidden as exc:
        if exc.code == STARTER_REFUSAL:
            raise OpsError(
                "audit logs are not available on the free (starter) plan: upgrade to a paid plan "
                f"to use them (the server said: {exc.message})"
            ) from None
        raise
    return AuditView(found)


__all__ = ["DEFAULT_PAGE_SIZE", "AuditView", "audit_log", "check_paging", "entry_json"]
