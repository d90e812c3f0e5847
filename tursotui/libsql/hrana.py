"""An async Hrana-over-HTTP client for libSQL servers (Turso databases, sqld).

One :class:`HranaClient` per database. It sends ``POST /v3/pipeline`` (falling back to
``/v2/pipeline`` once, and for good, when the server has no v3) on a single shared
``httpx.AsyncClient``. One-shot calls always end their pipeline with ``close``: sqld stalls
after ~128 streams left open. Interactive work uses :meth:`HranaClient.stream` or
:meth:`HranaClient.transaction`, which keep the server's baton between requests.

The database token travels only in the ``Authorization`` header of each request (never set on
a shared ``httpx`` client), and is scrubbed from every message this module produces.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from tursotui.libsql.errors import (
    HranaConnectionError,
    HranaError,
    HranaTimeoutError,
    ProtocolError,
    error_from_http,
)
from tursotui.libsql.jsonenc import dumps
from tursotui.libsql.protocol import (
    BEGIN_SQL,
    CLOSE,
    CursorFold,
    batch_request,
    batch_result,
    describe_request,
    describe_result,
    execute_request,
    execute_result,
    ok_response,
    sequence_request,
    without_v3_conditions,
)
from tursotui.libsql.result import Description, ResultSet, StatementLike
from tursotui.libsql.stream import Stream, Transaction, TransactionMode
from tursotui.libsql.url import parse_database_url
from tursotui.libsql.values import Args, JsonDict
from tursotui.support.loopback import loopback_only_tls
from tursotui.support.redact import mask, scrub
from tursotui.support.tls import LazyTransport

logger = logging.getLogger("tursotui.libsql")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""30 s to answer (a long query or a big page of rows), 10 s to connect."""


def _own_client(base_url: str, timeout: httpx.Timeout) -> httpx.AsyncClient:
    """A client of its own: plain HTTP (only ever to loopback) needs no CA bundle; HTTPS loads the process's
    one, on the first request."""
    if base_url.startswith("http://"):
        return httpx.AsyncClient(timeout=timeout, verify=loopback_only_tls())
    return httpx.AsyncClient(timeout=timeout, transport=LazyTransport())


class HranaClient:
    """Talks Hrana over HTTP to one libSQL database.

    ``url`` is ``libsql://``, ``https://`` (``http://`` only for loopback) or a bare host name.
    Pass ``http`` to share one ``httpx.AsyncClient`` across the app; this client then never
    closes it. Without it, the client creates its own and closes it in :meth:`aclose`.
    """

    def __init__(
        self,
        url: str,
        auth_token: str | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        encryption_key: str | None = None,
    ) -> None:
        parsed = parse_database_url(url)
        self._base_url = parsed.base_url
        self._token = auth_token or parsed.auth_token
        self._encryption_key = encryption_key or None
        """A BYOK database's key, sent as ``x-turso-encryption-key`` on every request (as the
        official clients do); never logged or shown."""
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._owns_http = http is None
        self._http = http if http is not None else _own_client(self._base_url, self._timeout)
        self._version: int | None = None
        self._last_status = 200

    def __repr__(self) -> str:
        return f"HranaClient({self._base_url!r}, auth_token={mask(self._token)})"

    @property
    def url(self) -> str:
        """The HTTP base URL requests go to (no token, no trailing slash)."""
        return self._base_url

    @property
    def pipeline_version(self) -> int | None:
        """2 or 3 once the server has answered a pipeline, ``None`` before."""
        return self._version

    @property
    def has_token(self) -> bool:
        return bool(self._token)

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
        """Close the HTTP client if this object created it; an injected one stays open."""
        if self._owns_http:
            await self._http.aclose()

    # -- one-shot requests ---------------------------------------------------------------

    async def execute(self, sql: str, args: Args | None = None) -> ResultSet:
        """Run one statement with positional (sequence) or named (mapping) arguments."""
        results = await self._one_shot([execute_request(sql, args)])
        return execute_result(results[0], self._secrets)

    async def batch(
        self,
        statements: Sequence[StatementLike],
        *,
        transactional: bool = True,
        mode: TransactionMode = "deferred",
    ) -> list[ResultSet]:
        """Run statements in one round trip; each runs only if the previous one succeeded.

        ``transactional`` wraps them in BEGIN/COMMIT and rolls back on failure; otherwise each
        statement commits on its own and the ones before a failure stay. The first failure is
        raised as a :class:`HranaError` whose ``step`` is the statement's index.
        """
        request, plan = batch_request(
            statements, transactional=transactional, begin=BEGIN_SQL[mode]
        )
        if plan.count == 0:
            return []
        results = await self._one_shot([request])
        return batch_result(results[0], plan, self._secrets)

    async def executescript(self, sql: str) -> None:
        """Run several ``;``-separated statements (no arguments, no rows back)."""
        results = await self._one_shot([sequence_request(sql)])
        ok_response(results[0], "sequence", self._secrets)

    async def describe(self, sql: str) -> Description:
        """Parameters and result columns of ``sql`` without running it."""
        results = await self._one_shot([describe_request(sql)])
        return describe_result(results[0], self._secrets)

    def stream(self) -> Stream:
        """A stream keeping one server connection (and its state) across requests.

        Use as ``async with client.stream() as s``; the stream is closed on exit.
        """
        return Stream(self)

    def transaction(self, mode: TransactionMode = "deferred") -> Transaction:
        """An interactive transaction: ``async with client.transaction() as tx``.

        Commits when the block ends normally, rolls back when it raises, and always closes the
        stream. The server lets a write transaction hold the lock for about 5 s while another
        writer waits and then rolls it back (:class:`TransactionTimeoutError`); an idle stream
        expires after 10 s (:class:`StreamExpiredError`). Keep the block short.
        """
        if mode not in BEGIN_SQL:
            raise ValueError(f"transaction mode must be one of {sorted(BEGIN_SQL)}, not {mode!r}")
        return Transaction(self, BEGIN_SQL[mode])

    # -- other endpoints -----------------------------------------------------------------

    async def health(self) -> bool:
        """True when ``GET /health`` answers 200; False for any other answer or no answer."""
        try:
            response = await self._request("GET", "/health")
        except HranaConnectionError:
            return False
        return response.status_code == 200

    async def version(self) -> str:
        """The server's version string (``GET /version``), e.g. ``sqld 0.24.32 (...)``."""
        response = await self._request("GET", "/version")
        self._check_status(response)
        return response.text.strip()

    async def dump(self) -> AsyncIterator[bytes]:
        """Stream the database as SQL text (``GET /dump``), chunk by chunk.

        ``async for chunk in client.dump(): out.write(chunk)``. Nothing is held in memory.
        """
        response = await self._request("GET", "/dump", stream=True)
        failure: HranaError | None = None
        try:
            if response.status_code != 200:
                await response.aread()
                self._check_status(response)
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.HTTPError as exc:
            failure = self._transport_error(exc, "/dump")
        finally:
            await response.aclose()
        if failure is not None:
            raise failure

    # -- transport ------------------------------------------------------------------------

    @property
    def _secrets(self) -> tuple[str | None, ...]:
        return (self._token, self._encryption_key)

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        if self._encryption_key:
            headers["x-turso-encryption-key"] = self._encryption_key
        return headers

    def _transport_error(self, exc: httpx.HTTPError, path: str) -> HranaError:
        detail = scrub(str(exc) or type(exc).__name__, self._secrets)
        where = f"{self._base_url}{path}"
        if isinstance(exc, httpx.TimeoutException):
            return HranaTimeoutError(f"no answer from {where} in time ({detail})")
        if isinstance(exc, httpx.TransportError):
            return HranaConnectionError(f"cannot reach {where}: {detail}")
        return HranaConnectionError(f"request to {where} failed: {detail}")

    def _check_status(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            raise error_from_http(
                response.status_code,
                response.text,
                where=f"the server at {self._base_url}",
                secrets=self._secrets,
            )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        body: JsonDict | None = None,
        base_url: str | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """One HTTP request, retried once only when the server cannot have acted on it.

        Retried: a refused connection (nothing sent); a GET whose connection dropped; a POST
        whose kept-alive connection closed without any answer right after an error answer
        (sqld may answer 401 before reading a body and then drop the connection, measured).
        Never retried: timeouts, or a POST that may have reached the server.
        """
        url = f"{base_url or self._base_url}{path}"
        headers = self._headers()
        content = None
        if body is not None:
            content = dumps(body)
            headers["Content-Type"] = "application/json"
        request = self._http.build_request(
            method, url, content=content, headers=headers, timeout=self._timeout
        )
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            failure: HranaError | None = None
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                if attempt == 1 and self._may_retry(method, exc):
                    logger.debug("%s %s: %s; retrying once", method, url, type(exc).__name__)
                    continue
                failure = self._transport_error(exc, path)
            if failure is not None:
                raise failure  # outside the except block: no httpx request (headers) attached
            self._last_status = response.status_code
            logger.debug(
                "%s %s -> %s in %.1f ms",
                method,
                url,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
            return response

    def _may_retry(self, method: str, exc: httpx.HTTPError) -> bool:
        if isinstance(exc, httpx.TimeoutException):
            return False
        if isinstance(exc, httpx.ConnectError):
            return True
        dropped = isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError))
        if method == "GET":
            return dropped
        unanswered = isinstance(exc, httpx.RemoteProtocolError) and "without sending" in str(exc)
        return unanswered and self._last_status >= 400

    async def _pipeline(
        self, requests: list[JsonDict], *, baton: str | None = None, base_url: str | None = None
    ) -> tuple[str | None, str | None, list[Any]]:
        """Send one pipeline; return the new baton, the server's base_url and the results."""
        version = self._version or 3
        body: JsonDict = {
            "baton": baton,
            "requests": without_v3_conditions(requests) if version == 2 else requests,
        }
        response = await self._request(
            "POST", f"/v{version}/pipeline", body=body, base_url=base_url
        )
        if response.status_code == 404 and self._version is None:
            v2_body: JsonDict = {"baton": baton, "requests": without_v3_conditions(requests)}
            response = await self._request("POST", "/v2/pipeline", body=v2_body, base_url=base_url)
            if response.status_code != 404:
                logger.info("%s has no /v3/pipeline; using /v2/pipeline", self._base_url)
                self._version = 2
        self._check_status(response)
        if self._version is None:
            self._version = version
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ProtocolError(
                f"the server at {self._base_url} did not answer with Hrana JSON: {exc}"
            ) from None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or len(results) != len(requests):
            raise ProtocolError(f"the server at {self._base_url} sent a malformed pipeline answer")
        new_baton = data.get("baton")
        new_base = data.get("base_url")
        if new_base:
            new_base = parse_database_url(str(new_base)).base_url
        return (
            str(new_baton) if new_baton is not None else None,
            new_base or None,
            results,
        )

    async def _cursor(
        self,
        steps: list[JsonDict],
        fold: CursorFold,
        *,
        baton: str | None,
        base_url: str | None,
    ) -> tuple[str | None, str | None]:
        """One ``POST /v3/cursor`` with ``steps``: entries are fed to ``fold`` as they arrive, and
        reading stops (the response is closed) when ``fold`` says so. Returns the new baton and
        base_url, which the server sends first."""
        if self._version == 2:
            raise HranaError(f"the server at {self._base_url} speaks Hrana 2, which has no cursor")
        body: JsonDict = {"baton": baton, "batch": {"steps": steps}}
        response = await self._request(
            "POST", "/v3/cursor", body=body, base_url=base_url, stream=True
        )
        failure: HranaError | None = None
        head: Any = None
        try:
            if response.status_code != 200:
                await response.aread()
                self._check_status(response)
            lines = response.aiter_lines()
            async for line in lines:
                if not line.strip():
                    continue
                entry = json.loads(line)
                if head is None:
                    head = entry
                    continue
                if not fold.feed(entry, self._secrets):
                    break
        except httpx.HTTPError as exc:
            failure = self._transport_error(exc, "/v3/cursor")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            failure = ProtocolError(
                f"the server at {self._base_url} sent a malformed cursor answer: {exc}"
            )
        finally:
            await response.aclose()
        if failure is not None:
            raise failure
        if not isinstance(head, dict):
            raise ProtocolError(f"the server at {self._base_url} sent an empty cursor answer")
        new_baton = head.get("baton")
        new_base = head.get("base_url")
        if new_base:
            new_base = parse_database_url(str(new_base)).base_url
        return (str(new_baton) if new_baton is not None else None, new_base or None)

    async def _one_shot(self, requests: list[JsonDict]) -> list[Any]:
        """A pipeline on a fresh stream, always closed by a trailing ``close``."""
        _, _, results = await self._pipeline([*requests, CLOSE])
        return results[:-1]
