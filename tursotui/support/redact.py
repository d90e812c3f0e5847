"""Keep secrets out of screens, logs, exceptions and crash files."""

from __future__ import annotations

from collections.abc import Iterable


def mask(secret: str | None) -> str:
    """A recognisable but useless form of a token: its first 4 characters and its length."""
    if not secret:
        return "(none)"
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}…({len(secret)} chars)"


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in ``text`` by its masked form."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, mask(secret))
    return text
