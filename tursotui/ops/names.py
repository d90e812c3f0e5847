"""Names the Platform API accepts, checked before anything is contacted (bad input → exit 2)."""

from __future__ import annotations

from tursotui.ops.errors import InputError
from tursotui.support.names import NAME_RULE, RULE_TEXT, name_problem

__all__ = ["NAME_RULE", "RULE_TEXT", "check_name"]


def check_name(name: str | None, kind: str = "database") -> str:
    """``name`` when it is a valid database/group name, else :class:`InputError`."""
    problem = name_problem(name, kind)
    if problem is not None or name is None:
        raise InputError(problem or f"no {kind} name given")
    return name
