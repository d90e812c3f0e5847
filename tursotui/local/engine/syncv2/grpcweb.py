"""A gRPC-web client of sqld's ``wal_log.ReplicationLog`` on its ordinary HTTP port (127.0.0.1 only).

sqld 0.24.32 merges the replication service into its user router (``tonic_web``, HTTP/1.1), so the local
Turso reads a namespace's replication log with plain HTTP POSTs: ``x-namespace-bin`` names the database,
``authorization`` carries a token sqld accepts for it, ``x-session-token`` the token of the last Hello.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

import httpx

from tursotui.local.engine.syncv2 import codec

SERVICE = "/wal_log.ReplicationLog/"
OK = 0
INVALID_ARGUMENT = 3
PERMISSION_DENIED = 7
FAILED_PRECONDITION = 9
OUT_OF_RANGE = 11
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16
NO_HELLO = "NO_HELLO"
NEED_SNAPSHOT = "NEED_SNAPSHOT"
TIMEOUT = httpx.Timeout(60.0, connect=5.0)


class GrpcError(Exception):
    """sqld answered with a gRPC status other than OK."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"gRPC status {code}: {message}")
        self.code = code
        self.message = message

    @property
    def unauthorized(self) -> bool:
        """sqld refused the token (bad, missing, or of another database)."""
        if self.code in (UNAUTHENTICATED, PERMISSION_DENIED):
            return True
        return self.code == INTERNAL and "auth" in self.message.lower()


class SqldUnreachable(Exception):
    """sqld did not answer (restarting, stopped): a transient condition."""


@dataclass
class ReplicationLogClient:
    """Calls for one namespace on one sqld; ``authorization`` is sent as it came (never logged)."""

    http: httpx.AsyncClient
    port: int
    namespace_value: bytes
    """The unpadded base64 of the namespace, as ``x-namespace-bin`` takes it."""

    async def _call(
        self, method: str, message: bytes, authorization: bytes, session: bytes | None
    ) -> list[bytes]:
        headers = {
            "content-type": "application/grpc-web+proto",
            "x-grpc-web": "1",
            "accept-encoding": "identity",
            "x-namespace-bin": self.namespace_value.decode("ascii"),
        }
        if authorization:
            headers["authorization"] = authorization.decode("latin-1")
        if session is not None:
            headers["x-session-token"] = session.decode("latin-1")
        url = f"http://127.0.0.1:{self.port}{SERVICE}{method}"
        try:
            response = await self.http.post(
                url, content=codec.grpc_web_message(message), headers=headers, timeout=TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise SqldUnreachable(f"sqld did not answer {method}: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise SqldUnreachable(f"sqld answered {method} with HTTP {response.status_code}")
        messages, trailers = codec.split_grpc_web(response.content)
        status = response.headers.get("grpc-status") or trailers.get("grpc-status") or "0"
        text = response.headers.get("grpc-message") or trailers.get("grpc-message") or ""
        try:
            code = int(status)
        except ValueError:
            raise codec.CodecError(f"sqld's grpc-status is not a number: {status!r}") from None
        if code != OK:
            raise GrpcError(code, urllib.parse.unquote(text))
        return messages

    async def hello(self, authorization: bytes) -> codec.Hello:
        messages = await self._call("Hello", codec.hello_request(), authorization, None)
        if len(messages) != 1:
            raise codec.CodecError(
                f"sqld answered Hello with {len(messages)} messages (expected 1)"
            )
        return codec.parse_hello(messages[0])

    async def batch(self, next_offset: int, authorization: bytes, session: bytes) -> list[bytes]:
        """``BatchLogEntries``: up to 1024 committed frames from ``next_offset`` (raw frame data)."""
        messages = await self._call(
            "BatchLogEntries", codec.log_offset(next_offset), authorization, session
        )
        return [data for message in messages for data in codec.frames_data(message)]

    async def snapshot(self, next_offset: int, authorization: bytes, session: bytes) -> list[bytes]:
        """``Snapshot``: the pages of the compacted snapshot holding ``next_offset``, newest first."""
        messages = await self._call(
            "Snapshot", codec.log_offset(next_offset), authorization, session
        )
        return [codec.frame_data(message) for message in messages]
