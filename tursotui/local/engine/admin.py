"""sqld's admin API (namespaces, per-namespace config, stats) over one reused httpx client."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tursotui.local.errors import ApiError

CONNECT_TRIES = 3
CONNECT_BACKOFF = 0.1
"""Seconds before the 2nd try of a call whose connection sqld refused (x2 before the 3rd): a sqld just
restarted by the watchdog, or binding its admin API a moment after its HTTP API."""
MISSING_TRIES = 3
MISSING_BACKOFF = 0.015
"""Seconds before the 2nd try of a call sqld answered 404 for a known namespace (x2 before the 3rd)."""


class SqldAdmin:
    def __init__(self, base_url: str, http: httpx.AsyncClient, key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        # sqld compares the whole header with "Basic <key>" (its --admin-auth-key).
        self._headers = {"Authorization": f"Basic {key}"} if key else {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(1, CONNECT_TRIES + 1):
            try:
                response = await self.http.request(
                    method, f"{self.base_url}{path}", headers=self._headers, **kwargs
                )
                break
            except httpx.ConnectError:  # nothing was sent: safe to try again, whatever the call
                if attempt == CONNECT_TRIES:
                    raise ApiError(503, "sqld admin API unreachable (ConnectError)") from None
                await asyncio.sleep(CONNECT_BACKOFF * attempt)
            except httpx.HTTPError as exc:
                raise ApiError(503, f"sqld admin API unreachable ({type(exc).__name__})") from None
        if response.status_code >= 400:
            text = response.text.strip()[:300] or response.reason_phrase
            raise ApiError(
                500 if response.status_code >= 500 else 400,
                f"sqld refused {method} {path}: {text}",
            )
        return response

    async def _known(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call on a namespace the control plane knows exists, retried on sqld's transient 404.

        Once ``--max-active-namespaces`` are loaded, sqld's cache can evict a namespace between
        handing it to a request and the request locking it: the request answers 404 "Namespace
        `x` doesn't exist" although x is intact, and the next call reloads it.
        """
        for attempt in range(1, MISSING_TRIES + 1):
            try:
                return await self._call(method, path, **kwargs)
            except ApiError as exc:
                if attempt == MISSING_TRIES or not is_missing(exc):
                    raise
                await asyncio.sleep(MISSING_BACKOFF * attempt)
        raise AssertionError("unreachable")

    async def create_namespace(
        self,
        name: str,
        *,
        jwt_key: str | None = None,
        max_db_size: str | None = None,
        allow_attach: bool = False,
        dump_url: str | None = None,
    ) -> None:
        """Create ``name`` with its config in the same call: it is in sqld's metastore before the
        namespace loads, so no later call can find it without its key."""
        body: dict[str, Any] = {"allow_attach": allow_attach}
        if jwt_key is not None:
            body["jwt_key"] = jwt_key
        if max_db_size is not None:
            body["max_db_size"] = max_db_size
        if dump_url is not None:
            body["dump_url"] = dump_url
        await self._call("POST", f"/v1/namespaces/{name}/create", json=body)

    async def delete_namespace(self, name: str) -> None:
        """Retried on the eviction 404 like every call on a known namespace (a delete of one that is
        really gone fails the same way, three tries later)."""
        await self._known("DELETE", f"/v1/namespaces/{name}")

    async def fork(self, source: str, target: str) -> None:
        await self._known("POST", f"/v1/namespaces/{source}/fork/{target}")

    async def stats(self, name: str) -> dict[str, Any]:
        data = (await self._known("GET", f"/v1/namespaces/{name}/stats")).json()
        return data if isinstance(data, dict) else {}

    async def get_config(self, name: str) -> dict[str, Any]:
        data = (await self._known("GET", f"/v1/namespaces/{name}/config")).json()
        return data if isinstance(data, dict) else {}

    async def set_config(self, name: str, **changes: Any) -> dict[str, Any]:
        """Read-modify-write: sqld wants the whole object (a missing field is a 422)."""
        config = await self.get_config(name)
        config.update(changes)
        await self._known("POST", f"/v1/namespaces/{name}/config", json=config)
        return config

    async def delete_namespace_if_exists(self, name: str) -> None:
        try:
            await self._call("DELETE", f"/v1/namespaces/{name}")  # not retried: may well be absent
        except ApiError as exc:
            if "not" not in exc.message.lower() and "exist" not in exc.message.lower():
                raise


def is_missing(exc: ApiError) -> bool:
    """sqld's answer for a namespace it does not have (or, transiently, just evicted)."""
    return "doesn't exist" in exc.message or "does not exist" in exc.message
