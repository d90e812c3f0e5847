"""Hrana over WebSocket: the token comes in the client's first message, not in a header.

The proxy reads the client's first WebSocket frame after an upgrade. When it is a Hrana ``hello``
whose JWT is past its ``exp``, the client gets a ``hello_error`` ("token expired") and a close
frame, and sqld never sees it (sqld would accept it for 60 s more). Any other first frame is
forwarded as it came and the connection becomes a raw pipe.
"""

from __future__ import annotations

import asyncio
import json
import struct

from tursotui.local.engine import limits
from tursotui.local.engine.gate import bearer_expired

MAX_INSPECTED = 64 * 1024
"""A first frame larger than this is forwarded without being looked at (a hello is far smaller)."""


def _server_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked frame from the server (payloads here are short)."""
    return bytes([0x80 | opcode, len(payload)]) + payload


def expired_answer() -> bytes:
    message = json.dumps({"type": "hello_error", "error": {"message": "token expired"}})
    close = struct.pack("!H", 1008) + b"token expired"
    return _server_frame(0x1, message.encode()) + _server_frame(0x8, close)


async def first_frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes | None]:
    """(the frame's raw bytes, its unmasked payload or None when not inspected)."""
    head = await asyncio.wait_for(reader.readexactly(2), limits.IDLE_TIMEOUT)
    length = head[1] & 0x7F
    raw = head
    if length == 126:
        ext = await reader.readexactly(2)
        length, raw = struct.unpack("!H", ext)[0], raw + ext
    elif length == 127:
        ext = await reader.readexactly(8)
        length, raw = struct.unpack("!Q", ext)[0], raw + ext
    if length > MAX_INSPECTED:
        return raw, None
    mask = await reader.readexactly(4) if head[1] & 0x80 else b""
    payload = await asyncio.wait_for(reader.readexactly(length), limits.BODY_TIMEOUT)
    raw += mask + payload
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    if head[0] != 0x81:  # not a whole text frame
        return raw, None
    return raw, payload


def hello_expired(payload: bytes | None) -> bool:
    """True when ``payload`` is a Hrana hello carrying an expired JWT."""
    if payload is None:
        return False
    try:
        message = json.loads(payload)
    except ValueError:
        return False
    if not isinstance(message, dict) or message.get("type") != "hello":
        return False
    jwt = message.get("jwt")
    return isinstance(jwt, str) and bearer_expired(b"Bearer " + jwt.encode("utf-8", "replace"))
