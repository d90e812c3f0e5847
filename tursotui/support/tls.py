"""TLS for the HTTP clients, built when a request first needs it and then shared.

httpx builds an SSL context for every client it creates, loading the CA bundle each time (20–40 ms, more on a
busy machine): a console or a command with a Platform client and a few SQL clients paid it several times, and
before its first frame. Here the verifying context is built once per process, on the first request that
goes out through :class:`LazyTransport`; a client that only talks plain HTTP to 127.0.0.1 takes
:func:`tursotui.support.loopback.loopback_only_tls` instead and loads no bundle at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import ssl

_lock = threading.Lock()
_verified: ssl.SSLContext | None = None


def verified_tls() -> ssl.SSLContext:
    """The process's one verifying context, as httpx makes its default one (``SSL_CERT_FILE`` or
    ``SSL_CERT_DIR`` when set, else certifi's CA bundle), built on the first call."""
    global _verified  # one context per process, made on first use
    with _lock:
        if _verified is None:
            _verified = httpx.create_ssl_context()
        return _verified


class LazyTransport(httpx.AsyncBaseTransport):
    """httpx's default transport (its connection pool, default limits), made on the first request with the
    context ``tls()`` gives (:func:`verified_tls`: every client shares one CA bundle). Creating a client costs
    nothing, not even importing httpcore: a console draws its first frame before any of it."""

    def __init__(self, tls: Callable[[], ssl.SSLContext] = verified_tls) -> None:
        self._tls = tls
        self._inner: httpx.AsyncHTTPTransport | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        """True once a request has made the real transport."""
        return self._inner is not None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport has been closed")
        if self._inner is None:  # no await between the check and the assignment: one per transport
            self._inner = httpx.AsyncHTTPTransport(verify=self._tls())
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        self._closed = True
        if self._inner is not None:
            await self._inner.aclose()
