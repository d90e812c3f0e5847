"""Platform API tokens' vocabulary, for the client side (ops) and the local Turso's server alike.

The scopes are turso-cli's ``AllScopes`` (internal/turso/apitoken_scope.go), the same as the spec's enum, in
that order; ``read-only`` and ``full-access`` are presets the server expands. A token's name is 1 to 64
letters, digits, dots, dashes or underscores (a local rule: the spec sets none; it is a path segment).
"""

from __future__ import annotations

import re

SCOPES: tuple[str, ...] = (
    "read",
    "db:create",
    "db:delete",
    "db:configure",
    "db:mint-token",
    "db:rotate-creds",
    "group:configure",
    "group:mint-token",
    "group:rotate-creds",
)
PRESET_SCOPES: dict[str, tuple[str, ...]] = {"read-only": ("read",), "full-access": SCOPES}
"""Each preset and the scopes it stands for."""
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def token_name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as an API token's name, or None."""
    if NAME_RULE.match(name):
        return None
    return (
        f"invalid API token name {name!r}: use 1 to 64 letters, digits, '.', '-' or '_', "
        "starting with a letter or digit"
    )


def scope_problem(scope: str) -> str | None:
    """What is wrong with ``scope`` (neither a scope nor a preset), naming the allowed ones, or None."""
    if scope in SCOPES or scope in PRESET_SCOPES:
        return None
    return f"unknown scope {scope!r}: use one of {', '.join([*SCOPES, *PRESET_SCOPES])}"


__all__ = ["NAME_RULE", "PRESET_SCOPES", "SCOPES", "scope_problem", "token_name_problem"]
