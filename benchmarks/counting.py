"""An httpx transport that counts the requests going through it (the benchmarks' "requests per run").

Only the benchmarks use it (run by hand); nothing here is imported by tursotui or the tests.
"""

from __future__ import annotations

import httpx


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
