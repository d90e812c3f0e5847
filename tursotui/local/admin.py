"""sqld's admin API (namespaces, per-namespace config, stats) over one reused httpx client."""

from __future__ import annotations

from typing import Any

import httpx

from tursotui.local.errors import ApiError


class SqldAdmin:
    def __init__(self, base_url: str, http: httpx.AsyncClient, key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        # sqld compares the whole header with "Basic <key>" (its --admin-auth-key).
        self._headers = {"Authorization": f"Basic {key}"} if key else {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self.http.request(
                method, f"{self.base_url}{path}", headers=self._headers, **kwargs
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, f"sqld admin API unreachable ({type(exc).__name__})") from None
        if response.status_code >= 400:
            text = response.text.strip()[:300] or response.reason_phrase
            raise ApiError(
                500 if response.status_code >= 500 else 400,
                f"sqld refused {method} {path}: {text}",
            )
        return response

    async def create_namespace(self, name: str, *, dump_url: str | None = None) -> None:
        body: dict[str, Any] = {}
        if dump_url is not None:
            body["dump_url"] = dump_url
        await self._call("POST", f"/v1/namespaces/{name}/create", json=body)

    async def delete_namespace(self, name: str) -> None:
        await self._call("DELETE", f"/v1/namespaces/{name}")

    async def fork(self, source: str, target: str) -> None:
        await self._call("POST", f"/v1/namespaces/{source}/fork/{target}")

    async def stats(self, name: str) -> dict[str, Any]:
        data = (await self._call("GET", f"/v1/namespaces/{name}/stats")).json()
        return data if isinstance(data, dict) else {}

    async def get_config(self, name: str) -> dict[str, Any]:
        data = (await self._call("GET", f"/v1/namespaces/{name}/config")).json()
        return data if isinstance(data, dict) else {}

    async def set_config(self, name: str, **changes: Any) -> dict[str, Any]:
        """Read-modify-write: sqld wants the whole object (a missing field is a 422)."""
        config = await self.get_config(name)
        config.update(changes)
        await self._call("POST", f"/v1/namespaces/{name}/config", json=config)
        return config

    async def ensure_namespace(self, name: str) -> None:
        """Create ``name`` unless this sqld already has it (replicas need it too)."""
        try:
            await self.create_namespace(name)
        except ApiError as exc:
            if "exist" not in exc.message.lower():
                raise

    async def delete_namespace_if_exists(self, name: str) -> None:
        try:
            await self.delete_namespace(name)
        except ApiError as exc:
            if "not" not in exc.message.lower() and "exist" not in exc.message.lower():
                raise
