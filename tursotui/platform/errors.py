"""Typed errors of the Platform API client.

Every error names the request (``GET /v1/organizations``) and, for HTTP errors, the status and the API's own
``error`` message and optional ``code``. No error ever carries the platform token: the client scrubs API
messages before building an error, and errors never include request headers.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base class of every error raised by :class:`tursotui.platform.PlatformClient`.

    ``status`` is the HTTP status (``None`` for transport-level and format errors), ``message`` the API's
    ``error`` text (or a description of the failure), ``code`` the API's optional machine-readable ``code``
    (e.g. ``feature_not_available_for_starter_plan``).
    """

    #: Short name of the failure used in messages; subclasses override it.
    reason: str = "Platform API error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
        reason: str | None = None,
    ) -> None:
        if reason is not None:
            self.reason = reason
        self.message = message
        self.status = status
        self.code = code
        self.method = method
        self.path = path
        self.attempts = 1
        super().__init__(self._render())

    def after_attempts(self, attempts: int) -> PlatformError:
        """Record how many tries were made (shown in the message when more than one)."""
        self.attempts = attempts
        self.args = (self._render(),)
        return self

    def _render(self) -> str:
        head = self.reason if self.status is None else f"{self.status} {self.reason}"
        if self.method and self.path:
            head = f"{head} from {self.method} {self.path}"
        text = f"{head}: {self.message}" if self.message else head
        if self.code:
            text = f"{text} (code: {self.code})"
        if self.attempts > 1:
            text = f"{text} [after {self.attempts} attempts]"
        return text

    def __str__(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._render()!r})"


class BadRequest(PlatformError):
    """400: the API rejected the request (bad name, bad expiration, unknown group...)."""

    reason = "Bad Request"


class Unauthorized(PlatformError):
    """401: the platform token is missing, invalid, revoked or expired."""

    reason = "Unauthorized"


class PaymentRequired(PlatformError):
    """402: the organization has no active subscription for this action."""

    reason = "Payment Required"


class Forbidden(PlatformError):
    """403: the token may not do this (role, plan, token scope)."""

    reason = "Forbidden"


class NotFound(PlatformError):
    """404: the organization, database, group, instance or token does not exist."""

    reason = "Not Found"


class Conflict(PlatformError):
    """409: the resource already exists."""

    reason = "Conflict"


class Unprocessable(PlatformError):
    """422: the request is well formed but cannot be done (e.g. name not available)."""

    reason = "Unprocessable Entity"


class RateLimited(PlatformError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, if it sent one."""

    reason = "Too Many Requests"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        code: str | None = None,
        method: str | None = None,
        path: str | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, code=code, method=method, path=path, reason=reason)


class ServerError(PlatformError):
    """5xx: the Platform API failed."""

    reason = "Server Error"


class TransportError(PlatformError):
    """The request did not get an HTTP response."""

    reason = "Transport error"


class ConnectionFailed(TransportError):
    """Could not connect to the Platform API (DNS, refused, TLS, connection reset)."""

    reason = "Connection failed"

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        kind: str = "other",
    ) -> None:
        self.kind = kind
        """``dns`` (the name did not resolve: no network or no such host), ``refused``, or ``other``."""
        super().__init__(message, method=method, path=path)


class Timeout(TransportError):
    """The Platform API did not answer in time (connect, read, write or pool timeout)."""

    reason = "Timed out"


class ResponseFormatError(PlatformError):
    """The API answered, but not with what the client expected (malformed JSON, wrong shape or types)."""

    reason = "Unexpected response"


class OrganizationNotSet(PlatformError, ValueError):
    """An organization-scoped method was called without an organization."""

    reason = "No organization"


_BY_STATUS: dict[int, type[PlatformError]] = {
    400: BadRequest,
    401: Unauthorized,
    402: PaymentRequired,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
    429: RateLimited,
}


def error_class_for_status(status: int) -> type[PlatformError]:
    """The error class for an HTTP error status (``PlatformError`` itself for unlisted ones)."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, PlatformError)


__all__ = [
    "BadRequest",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "NotFound",
    "OrganizationNotSet",
    "PaymentRequired",
    "PlatformError",
    "RateLimited",
    "ResponseFormatError",
    "ServerError",
    "Timeout",
    "TransportError",
    "Unauthorized",
    "Unprocessable",
    "error_class_for_status",
]
