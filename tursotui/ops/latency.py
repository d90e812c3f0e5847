"""Latency from this machine to a database instance: the time of ``GET /health`` (no Textual here).

Uses an ``httpx.AsyncClient`` the caller owns and shares (one connection pool for all probes). Never sends a token:
``/health`` needs none. ``http://`` is used only for loopback hosts (the local Turso), ``https://`` otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tursotui.support.loopback import is_loopback_host

if TYPE_CHECKING:
    import httpx

LatencyProbe = Callable[[str], Awaitable[float | None]]
"""Takes an instance hostname, returns the round trip in milliseconds, or ``None`` if unreachable."""

DEFAULT_TIMEOUT = 3.0


def _host_only(hostname: str) -> str:
    host = urlsplit(f"//{hostname}").hostname
    return host or hostname


def health_url(hostname: str) -> str:
    host = _host_only(hostname)
    loopback = is_loopback_host(host) or host.endswith(".localhost")
    return f"{'http' if loopback else 'https'}://{hostname}/health"


class HttpLatencyProbe:
    """Times ``GET /health`` on an instance; any HTTP answer counts as reachable.

    ``client`` may be a function making it: called at the first probe, not before (an ``httpx.AsyncClient``
    loads the CA bundle when built, ~40 ms that would otherwise delay the console's first frame).
    """

    def __init__(
        self,
        client: httpx.AsyncClient | Callable[[], httpx.AsyncClient],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._timer = timer

    async def __call__(self, hostname: str) -> float | None:
        import httpx  # here: the console's first frame imports this module, not httpx

        if not hostname:
            return None
        if not isinstance(self._client, httpx.AsyncClient):
            self._client = self._client()
        started = self._timer()
        try:
            response = await self._client.get(
                health_url(hostname), timeout=self._timeout, follow_redirects=False
            )
            await response.aclose()
        except (httpx.HTTPError, OSError):
            return None
        return (self._timer() - started) * 1000.0


async def measure_all(probe: LatencyProbe, hostnames: Iterable[str]) -> dict[str, float | None]:
    """Probe every hostname concurrently."""
    names = list(dict.fromkeys(hostnames))
    results = await asyncio.gather(*(probe(name) for name in names))
    return dict(zip(names, results, strict=True))
