"""Database URLs: ``libsql://`` and friends to the HTTP base URL Hrana is spoken on.

Rules:

- ``libsql://host`` → ``https://host`` (``?tls=0`` → ``http://``, loopback only);
- ``turso://host`` → ``https://host``, as the official serverless drivers accept it
  (@tursodatabase/serverless ``normalizeUrl``, turso-serverless ``normalize_url``);
- ``https://`` as is; ``wss://`` → ``https://``, ``ws://`` → ``http://``;
- plain ``http://`` (or ``ws://``) only to a loopback host (127.0.0.0/8, ``localhost``, ``::1``):
  anything else would send the database token in clear text;
- a bare hostname (``mydb-org.turso.io``, as ``turso db show`` prints it) means ``libsql://``;
- an ``authToken`` query parameter (as libSQL clients accept) is taken out of the URL and
  returned separately; credentials in the authority part are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from tursotui.libsql.errors import InvalidUrlError
from tursotui.support.loopback import is_loopback_host

_SCHEMES = {
    "libsql": "https",
    "turso": "https",
    "https": "https",
    "wss": "https",
    "http": "http",
    "ws": "http",
}


@dataclass(frozen=True)
class DatabaseUrl:
    """A checked HTTP base URL (no trailing slash) and a token found in the URL, if any."""

    base_url: str
    auth_token: str | None = None

    def __repr__(self) -> str:
        token = "yes" if self.auth_token else "no"
        return f"DatabaseUrl(base_url={self.base_url!r}, token_in_url={token})"


def parse_database_url(url: str) -> DatabaseUrl:
    """Check ``url`` and turn it into the HTTP base URL to send Hrana requests to."""
    raw = url.strip()
    if not raw:
        raise InvalidUrlError("the database URL is empty")
    if "://" not in raw:
        raw = f"libsql://{raw}"
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrlError(f"not a valid database URL: {url!r} ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise InvalidUrlError(
            f"unsupported scheme {scheme!r} in database URL; use libsql://, turso://, https:// "
            "(or http:// for a server on this machine)"
        )
    host = parts.hostname
    if not host:
        raise InvalidUrlError(f"the database URL {url!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise InvalidUrlError(
            "credentials in the database URL are not supported; pass the database token separately"
        )
    token: str | None = None
    http_scheme = _SCHEMES[scheme]
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "authToken":
            token = value or None
        elif key == "tls" and scheme in ("libsql", "turso"):
            if value == "0":
                http_scheme = "http"
            elif value != "1":
                raise InvalidUrlError(f"tls must be 0 or 1 in the database URL, not {value!r}")
    if http_scheme == "http" and not is_loopback_host(host):
        raise InvalidUrlError(
            f"refusing plain HTTP to {host}: the database token would travel unencrypted. "
            "Use libsql:// or https:// (plain http:// is only allowed for 127.0.0.1, "
            "localhost or ::1)"
        )
    netloc_host = f"[{host}]" if ":" in host else host
    netloc = f"{netloc_host}:{port}" if port is not None else netloc_host
    path = parts.path.rstrip("/")
    return DatabaseUrl(f"{http_scheme}://{netloc}{path}", token)


def http_base_url(url: str) -> str:
    """The HTTP base URL for ``url`` (see :func:`parse_database_url`), without a token."""
    return parse_database_url(url).base_url
