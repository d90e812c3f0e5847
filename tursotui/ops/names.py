"""Names the Platform API accepts, checked before anything is contacted (bad input → exit 2)."""

from __future__ import annotations

import re

from tursotui.ops.errors import InputError

NAME_RULE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RULE_TEXT = "1 to 64 lowercase letters, numbers and dashes, not starting or ending with a dash"


def check_name(name: str | None, kind: str = "database") -> str:
    """``name`` when it is a valid database/group name, else :class:`InputError`."""
    if not name:
        raise InputError(f"no {kind} name given")
    if not NAME_RULE.match(name):
        raise InputError(f"invalid {kind} name {name!r}: use {RULE_TEXT}")
    return name
