"""Paged database lists, as turso-cli asks for them: ``?limit=N&cursor=C``, answered with
``pagination: {next: C | null}`` (internal/turso/databases.go ``DatabaseListOptions``, ``Pagination``).

The spec documents neither; turso-cli's ``db list`` sends a page size and follows ``pagination.next``
until it is null, and a request without ``limit`` gets every database (what it does for its caches).
The cursor is opaque to clients: here, the name the next page starts at, so a database deleted or created
between two pages neither repeats nor shifts one.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from tursotui.local.errors import ApiError

MAX_PAGE = 1000
"""Larger pages are cut to this many (turso-cli's own list was capped at 1000 databases; unverified)."""


def encode_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise ApiError(
            400, f"invalid cursor {cursor!r}: pass the pagination.next of the previous page"
        ) from None


def _limit(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ApiError(400, f"invalid limit {text!r}: a whole number of databases, 1 or more")
    return min(int(text), MAX_PAGE)


def page(names: list[str], query: Mapping[str, str]) -> tuple[list[str], dict[str, Any] | None]:
    """The page of the sorted ``names`` that ``query`` asks for, and its ``pagination`` (None when unpaged)."""
    limit_text, cursor = query.get("limit"), query.get("cursor")
    if limit_text is None and not cursor:
        return names, None
    start = bisect_left(names, decode_cursor(cursor)) if cursor else 0
    size = _limit(limit_text) if limit_text is not None else MAX_PAGE
    chosen = names[start : start + size]
    rest = names[start + size :]
    return chosen, {"next": encode_cursor(rest[0]) if rest else None}
