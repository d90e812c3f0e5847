"""The HTTP core of the Platform API client: one reused ``httpx.AsyncClient``, auth, errors, retries.

The ``httpx.AsyncClient`` is made on the first request, and httpx imported then: a console draws its first
frame with a Platform client in hand and without httpx's ~20 ms of imports (issue 15, an instant first frame).

The platform token is only ever placed in the ``Authorization`` header of requests to ``base_url`` (never sent to
``region_url``), and never appears in a message, ``repr`` or log line.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import quote

from tursotui.platform.errors import (
    ConnectionFailed,
    OrganizationNotSet,
    PlatformError,
    RateLimited,
    ResponseFormatError,
    ServerError,
    Timeout,
    TransportError,
    error_class_for_status,
)
from tursotui.platform.retry import RetryPolicy, Sleep, parse_retry_after
from tursotui.support.redact import mask, scrub

if TYPE_CHECKING:
    import ssl

    import httpx

DEFAULT_BASE_URL = "https://api.turso.tech"
DEFAULT_REGION_URL = "https://region.turso.io"
DEFAULT_TIMEOUT = 15.0
"""Seconds for reading, writing and getting a pooled connection (connecting: :data:`CONNECT_TIMEOUT`)."""
CONNECT_TIMEOUT = 5.0
USER_AGENT = "tursotui"

log = logging.getLogger("tursotui.platform")

T = TypeVar("T")
Params = Mapping[str, str | int]

_SNIPPET = 200


def _bearer_auth(token: str) -> httpx.Auth:
    """Adds ``Authorization: Bearer <token>``; its repr shows only a masked token."""
    import httpx

    class BearerAuth(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

        def __repr__(self) -> str:
            return f"BearerAuth({mask(token)})"

    return BearerAuth()


def segment(value: str) -> str:
    """A path segment, percent-encoded (token names and locations are user input)."""
    if not value:
        raise ValueError("path segment must not be empty")
    return quote(value, safe="")


def _check_token(token: str) -> None:
    if not isinstance(token, str) or not token:
        raise ValueError("a Turso platform API token is required")
    if any(ch.isspace() or not ch.isprintable() or ord(ch) > 126 for ch in token):
        # Never echo the token: an invalid header value would otherwise end up in httpx's error message.
        raise ValueError(
            f"the platform API token {mask(token)} contains whitespace or non-ASCII characters"
        )


class PlatformCore:
    """Connection, auth, error mapping and retries shared by all Platform API methods."""

    def __init__(
        self,
        token: str,
        *,
        organization: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        region_url: str = DEFAULT_REGION_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        tls: Callable[[], ssl.SSLContext] | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        max_retry_after: float = 60.0,
        sleep: Sleep | None = None,
    ) -> None:
        """``transport``: anything speaking httpx (an ASGI app, a test's); None: httpx's own, made on the first
        request with the TLS context ``tls`` gives (default: the process's one verifying context;
        ``loopback_only_tls`` for the local Turso). ``timeout``: None for :data:`DEFAULT_TIMEOUT`."""
        _check_token(token)
        self._token = token
        self._auth: httpx.Auth | None = None
        self.organization: str | None = organization
        """The organization slug org-scoped methods use unless given ``org=``."""
        self.base_url = base_url.rstrip("/")
        self.region_url = region_url
        retry = RetryPolicy(
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            max_retry_after=max_retry_after,
        )
        if sleep is not None:
            retry.sleep = sleep
        self.retry = retry
        self._transport = transport
        self._tls = tls
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    @property
    def _http(self) -> httpx.AsyncClient:
        """The one ``httpx.AsyncClient``, made (and httpx imported) on first use."""
        if self._client is None:
            if self._closed:
                raise RuntimeError("the Platform API client has been closed")
            import httpx

            from tursotui.support.tls import LazyTransport, verified_tls

            timeout = self._timeout
            if timeout is None:
                timeout = httpx.Timeout(DEFAULT_TIMEOUT, connect=CONNECT_TIMEOUT)
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                # No transport given: httpx's, made on the first request (the CA bundle is loaded then, once).
                transport=self._transport or LazyTransport(self._tls or verified_tls),
                timeout=timeout,  # a number: that many seconds for each of connect, read, write, pool
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                follow_redirects=False,
            )
        return self._client

    @property
    def _bearer(self) -> httpx.Auth:
        """The ``Authorization`` of requests to ``base_url`` (never sent to ``region_url``)."""
        if self._auth is None:
            self._auth = _bearer_auth(self._token)
        return self._auth

    # -- lifecycle -------------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()

    @property
    def closed(self) -> bool:
        return self._closed or (self._client is not None and self._client.is_closed)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, organization={self.organization!r}, "
            f"token={mask(self._token)!r})"
        )

    __str__ = __repr__

    # -- helpers ---------------------------------------------------------------------------------------------

    def _org(self, org: str | None) -> str:
        slug = org or self.organization
        if not slug:
            raise OrganizationNotSet(
                "this call needs an organization: set PlatformClient.organization or pass org=..."
            )
        return segment(slug)

    def _scrub(self, text: str) -> str:
        return scrub(text, [self._token])

    def _snippet(self, text: str) -> str:
        text = self._scrub(text.strip())
        return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "…"

    # -- requests --------------------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        params: Params | None = None,
        json_body: object | None = None,
        authenticated: bool = True,
    ) -> T:
        """Send a request, decode its JSON body and ``parse`` it, naming the request in format errors."""
        data = await self._request(
            method, path, params=params, json_body=json_body, authenticated=authenticated
        )
        try:
            return parse(data)
        except ResponseFormatError as exc:
            raise ResponseFormatError(exc.message, method=method, path=_display(path)) from None

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: object | None = None,
        authenticated: bool = True,
        expect_json: bool = True,
    ) -> Any:
        shown = _display(path)
        attempt = 0
        while True:
            started = time.monotonic()
            cause: BaseException | None = None
            hint: float | None = None
            import httpx

            try:
                response = await self._http.request(
                    method,
                    path,
                    params=params,
                    json=json_body,
                    auth=self._bearer if authenticated else None,
                )
            except httpx.TimeoutException as exc:
                error: PlatformError = Timeout(
                    self._timeout_message(exc), method=method, path=shown
                )
                cause = exc
            except httpx.TransportError as exc:
                kind, detail = self._transport_message(exc)
                error = ConnectionFailed(detail, method=method, path=shown, kind=kind)
                cause = None if self._token in str(exc) else exc
            else:
                elapsed = (time.monotonic() - started) * 1000
                log.debug("%s %s -> %d in %.0f ms", method, shown, response.status_code, elapsed)
                if response.is_success:
                    return self._decode(method, shown, response) if expect_json else None
                error = self._http_error(method, shown, response)
                hint = parse_retry_after(response.headers.get("Retry-After"))
            retryable = isinstance(error, TransportError | RateLimited | ServerError)
            if isinstance(error, ConnectionFailed) and error.kind == "dns":
                retryable = (
                    False  # no network or no such host: a retry a second later finds the same
                )
            if not retryable or not self.retry.should_retry(method, attempt):
                raise error.after_attempts(attempt + 1) from cause
            delay = self.retry.delay(attempt, hint)
            # Reported to the logger (the CLI shows it; the console keeps it off the terminal: ui/launch.py)
            log.warning(
                "%s; retrying in %.1f s (retry %d of %d)",
                error,
                delay,
                attempt + 1,
                self.retry.max_retries,
            )
            await self.retry.sleep(delay)
            attempt += 1

    def _transport_message(self, exc: httpx.TransportError) -> tuple[str, str]:
        """(the kind of failure, a message naming the host and the cause): ``dns`` when the name does not
        resolve (no network, or no such host), ``refused`` when nothing accepts the connection, else
        ``other`` with the transport's own words."""
        import httpx

        host = _host(exc) or httpx.URL(self.base_url).host
        detail = self._snippet(str(exc)) or type(exc).__name__
        if _is_dns_failure(exc):
            return "dns", f"cannot resolve {host}: no network or DNS ({detail})"
        if _is_refused(exc):
            return "refused", f"{host} refused the connection ({detail})"
        return "other", f"cannot reach {host}: {detail}"

    def _timeout_message(self, exc: httpx.TimeoutException) -> str:
        import httpx

        timeout = self._http.timeout
        kinds: dict[type[httpx.TimeoutException], tuple[str, float | None]] = {
            httpx.ConnectTimeout: ("connect", timeout.connect),
            httpx.ReadTimeout: ("read", timeout.read),
            httpx.WriteTimeout: ("write", timeout.write),
            httpx.PoolTimeout: ("connection pool", timeout.pool),
        }
        for kind, (name, limit) in kinds.items():
            if isinstance(exc, kind):
                return f"no {name} within {limit:g} s" if limit is not None else f"{name} timed out"
        return "request timed out"

    def _decode(self, method: str, shown: str, response: httpx.Response) -> Any:
        body = response.content
        if not body.strip():
            raise ResponseFormatError(
                "expected a JSON body, got an empty response", method=method, path=shown
            )
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            text = body.decode("utf-8", errors="replace")
            raise ResponseFormatError(
                f"expected JSON, got malformed or truncated data: {self._snippet(text)!r}",
                method=method,
                path=shown,
            ) from None

    def _http_error(self, method: str, shown: str, response: httpx.Response) -> PlatformError:
        message, code = self._error_body(response)
        cls = error_class_for_status(response.status_code)
        reason = None if cls is not PlatformError else (response.reason_phrase or "HTTP error")
        if cls is RateLimited:
            return RateLimited(
                message,
                status=response.status_code,
                code=code,
                method=method,
                path=shown,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return cls(
            message,
            status=response.status_code,
            code=code,
            method=method,
            path=shown,
            reason=reason,
        )

    def _error_body(self, response: httpx.Response) -> tuple[str, str | None]:
        text = response.content.decode("utf-8", errors="replace")
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            data = None
        if isinstance(data, Mapping):
            message = data.get("error", data.get("message"))
            code = data.get("code")
            return (
                self._scrub(message) if isinstance(message, str) else self._snippet(text),
                self._scrub(code) if isinstance(code, str) and code else None,
            )
        return (self._snippet(text) or response.reason_phrase or "no details", None)


_DNS_WORDS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "getaddrinfo failed",
    "name resolution",
)


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from (httpx wraps the socket's error)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 8:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_dns_failure(exc: BaseException) -> bool:
    return any(
        isinstance(e, socket.gaierror) or any(w in str(e).lower() for w in _DNS_WORDS)
        for e in _chain(exc)
    )


def _is_refused(exc: BaseException) -> bool:
    return any(
        isinstance(e, ConnectionRefusedError)
        or "connection refused" in str(e).lower()
        or "all connection attempts failed" in str(e).lower()
        for e in _chain(exc)
    )


def _host(exc: httpx.TransportError) -> str:
    try:
        return exc.request.url.host
    except RuntimeError:  # raised without a request (a test transport)
        return ""


def _display(path: str) -> str:
    """The path shown in messages: without a query string."""
    return path.split("?", 1)[0]
