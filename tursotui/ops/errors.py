"""Errors of :mod:`tursotui.ops`: each message is one line an operator can act on.

``InputError`` is bad input (a name, an expiration, a path, a timestamp: exit code 2);
``OpsError`` is an operation that failed (the server said no, verification failed: exit code 1).
"""

from __future__ import annotations

CANCELLED = "Cancelled: nothing was written"


class Cancelled(Exception):
    """The operator left (esc, or a choice that writes nothing), or the caller of a worker thread was
    cancelled: nothing more is done, and the message says what was (not) written."""

    def __init__(self, message: str = CANCELLED) -> None:
        self.message = message
        super().__init__(message)


class OpsError(Exception):
    """An operation failed; nothing half-done was left behind unless the message says so."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InputError(OpsError, ValueError):
    """The input is wrong (exit code 2); nothing was contacted or changed."""

    exit_code = 2


class VerificationError(OpsError):
    """A backup or an import did not check out (integrity, row counts, truncated dump)."""


class ImportConflictError(OpsError):
    """An import into an existing database would clash with what is there; nothing was written."""

    def __init__(self, message: str, conflicts: list[str]) -> None:
        self.conflicts = conflicts
        super().__init__(message)
