"""Reading a Platform API request body: small, shallow JSON objects only.

Every body the Turso Platform API takes is a small object (a database or group name, a seed, a few
configuration flags). The local Turso refuses anything else before it costs memory or a stack: a body
over :data:`MAX_JSON_BODY` bytes is refused with 413 from its Content-Length (or as soon as a chunked
body passes the limit), and a document nesting deeper than :data:`MAX_JSON_DEPTH` with 400 — checked
before parsing, so a million nested brackets never reach the (recursive) JSON parser.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from tursotui.local.errors import ApiError

MAX_JSON_BODY = 64 * 1024
"""Bytes. The largest real body (a create with a seed and a size limit) is a few hundred."""
MAX_JSON_DEPTH = 16
"""Nesting levels of objects and arrays. Turso's bodies use three at most (``{"seed": {...}}``)."""


async def read_limited(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The body, or 413 when it is (or announces to be) over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
        if size > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body is over {limit // 1024} KiB; Platform API bodies are small")


def nesting_depth(raw: bytes) -> int:
    """How deep ``[``/``{`` nest in ``raw``, outside JSON strings (a linear scan, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def parse_object(raw: bytes) -> dict[str, Any]:
    """``raw`` as a JSON object; 400 naming what is wrong otherwise."""
    if not raw.strip():
        return {}
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise ApiError(400, f"request body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "request body must be a JSON object")
    return data


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, size- and depth-limited (see the module docstring)."""
    return parse_object(await read_limited(request))
