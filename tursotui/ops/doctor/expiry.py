"""When a token expires, said the same way by every check that reads an expiry."""

from __future__ import annotations

from datetime import UTC, datetime

from tursotui.ops.tokens import EXPIRY_WARNING
from tursotui.support import humanize


def expiry_text(expires_at: datetime | None, now: datetime) -> str:
    """``never expires``, ``expires Mon 05 Jan 2027 (in 30d 0h)`` or ``expired Sat 05 Dec 2026 (2h 3m ago)``."""
    if expires_at is None:
        return "never expires"
    when = f"{humanize.utc_date(expires_at)} {expires_at.astimezone(UTC):%H:%M} UTC"
    if expires_at <= now:
        return f"expired {when} ({humanize.human_age(now - expires_at)} ago)"
    return f"expires {when} (in {humanize.human_age(expires_at - now)})"


def expiring(expires_at: datetime | None, now: datetime) -> bool:
    """Within the warning window (7 days, as the Tokens tab and the banner warn), not yet expired."""
    return expires_at is not None and now < expires_at <= now + EXPIRY_WARNING


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
