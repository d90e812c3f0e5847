"""Database URL rules: libsql:// → https://, plain http only to loopback."""

from __future__ import annotations

import pytest

from tursotui.libsql import HranaClient, InvalidUrlError, http_base_url, parse_database_url
from tursotui.libsql.url import is_loopback_host


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("libsql://mydb-org.turso.io", "https://mydb-org.turso.io"),
        ("libsql://mydb-org.aws-eu-west-1.turso.io/", "https://mydb-org.aws-eu-west-1.turso.io"),
        ("LIBSQL://MyDB-Org.Turso.io", "https://mydb-org.turso.io"),
        ("https://mydb-org.turso.io", "https://mydb-org.turso.io"),
        ("https://mydb-org.turso.io:8443/base/", "https://mydb-org.turso.io:8443/base"),
        ("wss://mydb-org.turso.io", "https://mydb-org.turso.io"),
        ("mydb-org.turso.io", "https://mydb-org.turso.io"),
        ("  libsql://mydb-org.turso.io  ", "https://mydb-org.turso.io"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.1.2.3:8080", "http://127.1.2.3:8080"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://LOCALHOST", "http://localhost"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("ws://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("ws://localhost", "http://localhost"),
        ("libsql://127.0.0.1:8080?tls=0", "http://127.0.0.1:8080"),
        ("libsql://localhost:8080?tls=1", "https://localhost:8080"),
    ],
)
def test_url_mapping(url: str, expected: str) -> None:
    assert http_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mydb-org.turso.io",
        "http://10.0.0.5:8080",
        "http://192.168.1.10",
        "ws://mydb-org.turso.io",
        "libsql://mydb-org.turso.io?tls=0",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://[::2]:8080",
    ],
)
def test_plain_http_to_remote_hosts_is_refused(url: str) -> None:
    with pytest.raises(InvalidUrlError, match="refusing plain HTTP"):
        http_base_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("postgres://db.example", "unsupported scheme"),
        ("file:///tmp/x.db", "unsupported scheme"),
        ("https://", "no host"),
        ("https://user:secret@db.example", "credentials"),
        ("libsql://db.example?tls=maybe", "tls must be"),
        ("https://db.example:notaport", "not a valid"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(InvalidUrlError, match=message) as bad:
        parse_database_url(url)
    assert isinstance(bad.value, ValueError)
    assert "secret" not in str(bad.value)


def test_auth_token_in_query_is_extracted() -> None:
    parsed = parse_database_url("libsql://db.turso.io?authToken=abc.def.ghi")
    assert parsed.base_url == "https://db.turso.io"
    assert parsed.auth_token == "abc.def.ghi"
    assert "abc.def.ghi" not in repr(parsed)
    client = HranaClient("libsql://db.turso.io?authToken=abc.def.ghi")
    assert client.has_token
    assert client.url == "https://db.turso.io"
    # An explicit token wins over the one in the URL.
    explicit = HranaClient("libsql://db.turso.io?authToken=in-url", "explicit-token")
    assert explicit._token == "explicit-token"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("128.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 (a host name to classify, not a bind)
        ("::", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_client_rejects_remote_plain_http() -> None:
    with pytest.raises(InvalidUrlError):
        HranaClient("http://db.example.com", "token")
