"""The upload of a SQLite file into a new database created with ``seed: database_upload``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tursotui.ops.errors import OpsError
from tursotui.support.redact import scrub

UPLOAD_CHUNK = 1 << 20
UPLOAD_TIMEOUT = httpx.Timeout(600.0, connect=10.0)


async def upload_database_file(
    url: str,
    token: str,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """``POST <url>/v1/upload`` of a SQLite file, streamed; ``progress(sent, size)`` per chunk. ``headers``:
    an encrypted database's ``x-turso-encryption-key`` and ``x-turso-encryption-cipher`` (turso-cli's)."""
    size = path.stat().st_size  # noqa: ASYNC240 (one stat)

    async def body() -> Any:
        sent = 0
        with path.open("rb") as fh:
            while chunk := fh.read(UPLOAD_CHUNK):
                sent += len(chunk)
                if progress is not None:
                    progress(sent, size)
                yield chunk

    secrets = [token, *(headers or {}).values()]
    sent = {"Authorization": f"Bearer {token}", "Content-Length": str(size), **(headers or {})}
    async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT) as http:
        try:
            response = await http.post(f"{url}/v1/upload", content=body(), headers=sent)
        except httpx.HTTPError as exc:
            raise OpsError(f"the upload to {url} failed: {scrub(str(exc), secrets)}") from None
    if response.status_code != 200:
        try:
            detail = str(response.json().get("error") or response.text)
        except ValueError:
            detail = response.text
        raise OpsError(
            f"the upload was refused ({response.status_code}): {scrub(detail[:300], secrets)}"
        )
