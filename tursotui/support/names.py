"""Turso's rules for names and token lifetimes, shared by the local Turso and the operations.

Each caller turns a ``ValueError`` from here into its own error (an HTTP 400 in the local
Turso, exit code 2 in the CLI); the message is the same everywhere.
"""

from __future__ import annotations

import re

NAME_RULE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RULE_TEXT = "1 to 64 lowercase letters, numbers and dashes, not starting or ending with a dash"

DURATION_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
MAX_DURATION = 3650 * 86_400
_PART = re.compile(r"(\d+)([wdhms])")
_FORMAT = re.compile(r"(?:\d+[wdhms])+")


def name_problem(name: str | None, kind: str = "database") -> str | None:
    """Why ``name`` is not a valid database/group name, or None when it is."""
    if not name:
        return f"no {kind} name given"
    if not NAME_RULE.match(name):
        return f"invalid {kind} name {name!r}: use {RULE_TEXT}"
    return None


def parse_duration(text: str | None) -> int | None:
    """Seconds of a token lifetime such as ``90d`` or ``2w1d30m``; None for ``never``."""
    value = (text or "").strip().lower()
    if not value:
        raise ValueError("no expiration given: use 'never' or a duration such as 90d or 2w1d30m")
    if value == "never":
        return None
    if not _FORMAT.fullmatch(value):
        raise ValueError(
            f"invalid expiration {text!r}: use 'never' or numbers with units w, d, h, m, s "
            "(e.g. 90d, 2w1d30m, 12h)"
        )
    seconds = sum(int(n) * DURATION_UNITS[u] for n, u in _PART.findall(value))
    if seconds <= 0:
        raise ValueError(f"invalid expiration {text!r}: it must be longer than zero")
    if seconds > MAX_DURATION:
        raise ValueError(f"invalid expiration {text!r}: at most 10 years (3650d), or 'never'")
    return seconds
