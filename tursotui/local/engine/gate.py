"""What a database instance's proxy lets through to sqld: the paths stock clients use, unexpired tokens.

sqld's ``/dev/<namespace>/v<N>/pipeline`` authenticates against the namespace the proxy names in its
header but serves the namespace in the path, so through an open path a group token of one group read
and wrote a database of another. The proxy forwards only the routes of sqld 0.24.32's user router
(``libsql-server/src/http/user/mod.rs``) that clients use; everything else gets a JSON 404 and is never forwarded.

The embedded replica's sync "v2" routes (``GET /info``, ``GET /export/{g}``, ``GET|POST /sync/...``) pass the
gate and are answered by the proxy itself (:mod:`tursotui.local.engine.syncv2`), never forwarded. The legacy
replication on a database URL (gRPC-web ``/wal_log.ReplicationLog/*`` and ``/proxy.Proxy/*``, what libsql ≤
0.1.8 falls back to) is refused as Turso Cloud refuses it: gRPC status Unimplemented with the cloud's text
(libsql#2137). Replica sqld instances replicate from the primary sqld's own gRPC port, not through here.

sqld accepts a JWT up to 60 s after its ``exp`` (its leeway); the proxy refuses it from ``exp`` on.
For forwarded routes the signature is left to sqld: an unsigned token claiming a later ``exp`` still meets
sqld's check. The sync routes, answered here, check signature and claims themselves
(:mod:`tursotui.local.control.syncauth`): sqld's replication RPC checks only the signature.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import urllib.parse
from collections.abc import Callable

from tursotui.local.engine.syncv2.server import is_sync_route

ROUTES: frozenset[tuple[bytes, bytes]] = frozenset(
    {
        (b"GET", b"/"),  # Hrana over WebSocket (upgrade)
        (b"POST", b"/"),  # the legacy query API
        (b"GET", b"/health"),
        (b"GET", b"/version"),
        (b"GET", b"/dump"),  # `turso db shell .dump`, tursotui backups
        (b"GET", b"/info"),  # sync v2: answered by the proxy (syncv2), not forwarded
        (b"GET", b"/v1"),
        (b"POST", b"/v1/execute"),
        (b"POST", b"/v1/batch"),
        (b"POST", b"/v1/upload"),  # Turso's database upload, answered by the control plane
        (b"GET", b"/v2"),
        (b"POST", b"/v2/pipeline"),
        (b"GET", b"/v3"),
        (b"POST", b"/v3/pipeline"),
        (b"POST", b"/v3/cursor"),
        (b"GET", b"/v3-protobuf"),
        (b"POST", b"/v3-protobuf/pipeline"),
        (b"POST", b"/v3-protobuf/cursor"),
    }
)
"""(method, path) pairs forwarded as they are (the query string aside)."""
RPC_PREFIXES = (b"/wal_log.ReplicationLog/", b"/proxy.Proxy/")
"""gRPC-web services on sqld's HTTP port (legacy embedded-replica sync): refused as Turso Cloud refuses them."""
LEGACY_SYNC = (
    "you are using a client with a deprecated version of sync, that is not supported in this platform. "
    "Please upgrade your client"
)
"""Turso Cloud's words for the legacy replication handshake (libsql#2137), with gRPC status Unimplemented."""
GRPC_UNIMPLEMENTED = 12

REASONS = {
    400: b"Bad Request",
    401: b"Unauthorized",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    408: b"Request Timeout",
    411: b"Length Required",
    413: b"Content Too Large",
    500: b"Internal Server Error",
    502: b"Bad Gateway",
    503: b"Service Unavailable",
    507: b"Insufficient Storage",
}


def json_response(status: int, message: str, *, close: bool = True) -> bytes:
    """A whole HTTP/1.1 answer with ``{"error": message}``."""
    body = json.dumps({"error": message}).encode("utf-8")
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status,
        REASONS.get(status, b"Error"),
        len(body),
    )
    if close:
        head += b"connection: close\r\n"
    return head + b"\r\n" + body


def request_line(head: bytes) -> tuple[bytes, bytes]:
    """(method, path without its query string) of a request head."""
    first = head.split(b"\r\n", 1)[0]
    parts = first.split(b" ")
    if len(parts) != 3:
        return b"", b""
    return parts[0], parts[1].split(b"?", 1)[0]


_PATHS = frozenset(path for _, path in ROUTES)


def allowed(method: bytes, path: bytes) -> bool:
    if (method, path) in ROUTES:
        return True
    if method == b"OPTIONS" and path in _PATHS:
        return True  # a browser's CORS preflight (no credentials; sqld answers it)
    return is_sync_route(method, path)  # /export/{g}, /sync/{g}/{s}/{e}: answered by the proxy


def legacy_sync_refusal() -> bytes:
    """A gRPC(-web) "trailers-only" answer: status Unimplemented with Turso Cloud's text."""
    message = urllib.parse.quote(LEGACY_SYNC, safe=" ,.").encode("ascii")
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/grpc-web+proto\r\n"
        b"grpc-status: %d\r\ngrpc-message: %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        % (GRPC_UNIMPLEMENTED, message)
    )


def header(head: bytes, name: bytes) -> bytes | None:
    """The value of header ``name`` (lowercase) in a request head, or None."""
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


def bearer_expired(authorization: bytes | None, now: Callable[[], float] = time.time) -> bool:
    """True when ``authorization`` is a Bearer JWT whose ``exp`` has passed (no leeway)."""
    if authorization is None:
        return False
    scheme, _, token = authorization.partition(b" ")
    if scheme.lower() != b"bearer":
        return False
    parts = token.strip().split(b".")
    if len(parts) != 3:
        return False
    try:
        payload = base64.urlsafe_b64decode(parts[1] + b"=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return False  # not a JWT we can read: sqld refuses it
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return False
    return now() >= exp


def refusal(head: bytes) -> bytes | None:
    """The answer to a request the proxy must not forward, or None to forward it."""
    method, path = request_line(head)
    if path.startswith(RPC_PREFIXES):
        return legacy_sync_refusal()
    if not allowed(method, path):
        return json_response(
            404,
            f"no such route on a database URL: {method.decode('latin-1')} "
            f"{path[:100].decode('latin-1')}",
        )
    if bearer_expired(header(head, b"authorization")):
        return json_response(401, "token expired")
    return None
