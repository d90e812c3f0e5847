"""Errors raised by the Hrana client and local database files.

Every error carries a message an operator can act on. Server messages are kept verbatim
(with any auth token scrubbed out) and the server's error ``code`` travels alongside.

Hierarchy::

    LibsqlError
    ├── HranaError                (message, code, status, step)
    │   ├── BlockedError          code BLOCKED: the database refuses reads/writes (quota, admin)
    │   ├── TransactionTimeoutError  code TRANSACTION_TIMEOUT: held the write lock too long
    │   ├── HttpError             any non-200 answer (status)
    │   │   ├── AuthError             401: token missing, invalid, expired or for another key
    │   │   ├── PermissionDeniedError 403: e.g. a read-only token tried to write
    │   │   └── StreamExpiredError    400: the stream/baton is gone (idle > 10 s, reused baton)
    │   ├── HranaConnectionError  the server could not be reached, or the connection broke
    │   │   └── HranaTimeoutError     no answer within the timeout
    │   ├── ProtocolError         the server answered something that is not Hrana
    │   └── InvalidUrlError       (also a ValueError) a database URL we refuse to use
    └── LocalDatabaseError        (message, code) a local file could not be opened or queried
"""

from __future__ import annotations

import json
from typing import Any

from tursotui.support.redact import scrub


class LibsqlError(Exception):
    """Base class of every error raised by :mod:`tursotui.libsql`."""


class HranaError(LibsqlError):
    """An error reported by a libSQL server or met while talking to it.

    ``code`` is the server's error code when it sent one (``SQLITE_UNKNOWN``,
    ``SQL_PARSE_ERROR``, ``BLOCKED``, ``ARGS_INVALID``...); ``status`` the HTTP status when the
    error came from one; ``step`` the index of the failing statement in a batch.
    """

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        status: int | None = None,
        step: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.step = step

    def __str__(self) -> str:
        text = self.message
        if self.step is not None:
            text = f"statement {self.step + 1}: {text}"
        if self.code:
            text = f"{text} [{self.code}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, code={self.code!r}, "
            f"status={self.status!r}, step={self.step!r})"
        )


class BlockedError(HranaError):
    """The database is blocked for this operation (exhausted quota, or blocked by an admin)."""


class TransactionTimeoutError(HranaError):
    """The server rolled back an interactive transaction that held the write lock too long.

    sqld (and so Turso) lets an open write transaction keep the lock for 5 seconds; when another
    writer is waiting after that, the lock is taken away and the transaction is rolled back.
    Keep interactive transactions short, or send the statements as one ``batch()``.
    """


class HttpError(HranaError):
    """The server answered with an HTTP error status."""


class AuthError(HttpError):
    """401: the database token is missing, malformed, expired or signed by another key."""


class PermissionDeniedError(HttpError):
    """403: the token is valid but not allowed to do this (e.g. a read-only token writing)."""


class StreamExpiredError(HttpError):
    """The server no longer knows the stream: idle for more than 10 s, closed, or baton reused."""


class HranaConnectionError(HranaError):
    """The server could not be reached, or the connection broke mid-request."""


class HranaTimeoutError(HranaConnectionError):
    """The server did not answer within the client's timeout."""


class ProtocolError(HranaError):
    """The server's answer is not valid Hrana (wrong endpoint, proxy page, version mismatch)."""


class InvalidUrlError(HranaError, ValueError):
    """A database URL that cannot be used (unknown scheme, plain HTTP to a remote host...)."""


class LocalDatabaseError(LibsqlError):
    """A local database file could not be opened or a statement on it failed."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]" if self.code else self.message


_STREAM_EXPIRED_HINT = (
    "the server no longer knows this stream (streams expire after 10 s without a request, "
    "and a baton can be used only once)"
)
_TXN_TIMEOUT_HINT = (
    "the transaction held the write lock longer than the server allows (5 s) while another "
    "writer waited, so the server rolled it back; keep interactive transactions short or use "
    "batch()"
)


def error_from_hrana(
    error: Any, *, step: int | None = None, secrets: tuple[str | None, ...] = ()
) -> HranaError:
    """Build the right :class:`HranaError` subclass from a Hrana ``Error`` object."""
    if not isinstance(error, dict):
        return ProtocolError(f"malformed error from the server: {error!r}", step=step)
    message = scrub(str(error.get("message") or "unknown error"), secrets)
    code = error.get("code")
    code = str(code) if code is not None else None
    if code == "BLOCKED":
        return BlockedError(message, code, step=step)
    if code == "TRANSACTION_TIMEOUT":
        return TransactionTimeoutError(f"{message}: {_TXN_TIMEOUT_HINT}", code, step=step)
    if code == "STREAM_EXPIRED":
        return StreamExpiredError(f"{message}: {_STREAM_EXPIRED_HINT}", code, step=step)
    return HranaError(message, code, step=step)


def error_from_http(
    status: int, body: str, *, where: str, secrets: tuple[str | None, ...] = ()
) -> HttpError:
    """Build the right :class:`HttpError` subclass from a non-200 answer.

    sqld answers ``{"error": "..."}`` for auth/namespace errors, ``{"message", "code"}`` for
    stream errors, and plain text for protocol errors (e.g. a used baton).
    """
    message, code = body.strip(), None
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if "message" in data:
            message = str(data["message"])
            code = str(data["code"]) if data.get("code") is not None else None
        elif "error" in data:
            message = str(data["error"])
    message = scrub(message[:500], secrets) or "no details"
    if status == 401:
        return AuthError(
            f"{where} refused the database token (HTTP 401): {message}", code, status=status
        )
    if status == 403:
        return PermissionDeniedError(
            f"{where} denied permission (HTTP 403): {message}", code, status=status
        )
    if code == "STREAM_EXPIRED" or (status == 400 and "baton" in message.lower()):
        return StreamExpiredError(
            f"{message}: {_STREAM_EXPIRED_HINT}", code or "STREAM_EXPIRED", status=status
        )
    hint = ""
    if status == 404:
        hint = " (is this a libSQL server, and does the database exist?)"
    elif status == 429:
        hint = " (too many requests or open streams; retry later)"
    elif status >= 500:
        hint = " (server error)"
    return HttpError(f"{where} answered HTTP {status}{hint}: {message}", code, status=status)
