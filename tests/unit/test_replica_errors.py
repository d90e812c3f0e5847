"""Every failure text of libsql 0.1.11's embedded-replica sync (sync-v2-protocol.md §3, §7; libsql's SyncError) said as
what is wrong and what to do, with the server's own refusal (or libsql's text) kept verbatim and no token in it."""

from __future__ import annotations

import pytest

from tursotui.libsql.replica_errors import MINT, RESET, explain
from tursotui.support.redact import redact

URL = "http://127.0.0.1:8081"
CLOUD = "libsql://app-acme.turso.io"
TOKEN = "eyJhbGciOiJFZERTQSJ9.eyJhIjoicnciLCJpYXQiOjE3fQ.c2lnbmF0dXJlLW5vdC1yZWFs"

# (libsql's text, the kind, words the sentence must have, the verbatim part it must keep)
CASES = [
    (
        'sync error: failed to pull db export: status=401 Unauthorized, error={"error":"the token was refused '
        'for database app"}',
        "token",
        [f"{URL} refused the database token (401 Unauthorized on GET /info)", MINT],
        '"the token was refused for database app"',
    ),
    (
        "sync error: failed to pull frame: status=401 Unauthorized, error=Unauthorized: The JWT is invalid",
        "token",
        ["401 Unauthorized on GET /export or /sync", "tokens rotated?", "token create --write-env"],
        '"Unauthorized: The JWT is invalid"',
    ),
    (
        "sync error: failed to pull db export: status=404 Not Found, error=",
        "no-sync-v2",
        ["does not serve embedded-replica sync v2 (GET /info answered 404)", "bare sqld"],
        "the server gave no reason",
    ),
    (
        'sync error: failed to pull db export: status=404 Not Found, error={"error":"database app does not exist"}',
        "no-database",
        ["has no such database (404 on GET /info)", "[turso] database_url"],
        '"database app does not exist"',
    ),
    (
        'sync error: failed to push frame: status=405 Method Not Allowed, error={"error":"offline writes cannot '
        'be pushed to this server"}',
        "push-refused",
        ["does not take offline writes (405 on POST /sync)", "writes go to the primary"],
        '"offline writes cannot be pushed to this server"',
    ),
    (
        'sync error: failed to pull frame: status=409 Conflict, error={"error":"the replica has frames this '
        'server never had: generation 7 ends at frame 3"}',
        "ahead",
        ["the replica has frames", "never had (409 Conflict)", RESET],
        '"the replica has frames this server never had: generation 7 ends at frame 3"',
    ),
    (
        'sync error: failed to pull frame: status=410 Gone, error={"error":"generation 1 is no longer kept (the '
        'oldest is 3)"}',
        "pruned",
        [
            "no longer keeps the replica's sync generation (410 Gone)",
            "deleted and re-created",
            RESET,
        ],
        '"generation 1 is no longer kept (the oldest is 3)"',
    ),
    (
        "sync error: failed to pull frame: status=404 Not Found, error=generation 9 is not kept here",
        "generation-gone",
        ["no longer has the generation it named", "sync again"],
        '"generation 9 is not kept here"',
    ),
    (
        "sync error: failed to pull frame: status=503 Service Unavailable, error=the database server is "
        "restarting, retry soon",
        "unavailable",
        ["HTTP 503 on GET /export or /sync, after libsql's retries", "sync again in a moment"],
        '"the database server is restarting, retry soon"',
    ),
    (
        "sync error: failed to pull db export: status=403 Forbidden, error=embedded replicas are not supported "
        "for this platform and tariff plan",
        "plan",
        [f"{URL} refused embedded replicas (403)", "platform or plan", "libsql#1900"],
        '"embedded replicas are not supported for this platform and tariff plan"',
    ),
    (
        'sync error: failed to pull db export: status=400 Bad Request, error={"error":"you are using a client '
        "with a deprecated version of sync, that is not supported in this platform. Please upgrade your "
        'client"}',
        "deprecated",
        ["refused this client's sync protocol as deprecated (400)", "libsql 0.1.11"],
        '"you are using a client with a deprecated version of sync, that is not supported in this platform. '
        'Please upgrade your client"',
    ),
    (
        "sync error: failed to pull db export: status=403 Forbidden, error=",
        "forbidden",
        ["refused the sync (403 Forbidden on GET /info)", "token create --write-env"],
        "the server gave no reason",
    ),
    (
        "sync error: failed to pull db export: status=418 I'm a teapot, error=short and stout",
        "http",
        [f"{URL} answered HTTP 418 to GET /info"],
        '"short and stout"',
    ),
    (
        "sync error: invalid local state: db file exists but metadata file does not",
        "no-info",
        ["has no -info position file", "legacy sync", RESET],
        '(libsql: "invalid local state: db file exists but metadata file does not")',
    ),
    (
        "sync error: invalid local state: metadata file exists but db file does not",
        "no-file",
        ["-info position file is there but its database file is gone", RESET],
        '(libsql: "invalid local state: metadata file exists but db file does not")',
    ),
    (
        "sync error: server returned a conflict: sent=1, got=2",
        "conflict",
        ["refused frames pushed from the replica", "tursotui never pushes", RESET],
        '(libsql: "server returned a conflict: sent=1, got=2")',
    ),
    (
        "sync error: server returned a lower frame_no: sent=5, got=3",
        "conflict",
        ["refused frames pushed from the replica"],
        '"server returned a lower frame_no: sent=5, got=3"',
    ),
    (
        "sync error: server returned a higher frame_no: sent=5, got=9",
        "conflict",
        ["acknowledged frames the replica never sent", RESET],
        '"server returned a higher frame_no: sent=5, got=9"',
    ),
    (
        "sync error: server returned a lower generation than local: local=9, remote=3",
        "ahead",
        ["older sync generation than the replica", RESET],
        '"server returned a lower generation than local: local=9, remote=3"',
    ),
    (
        "sync error: failed to verify metadata file hash: expected=1, got=2",
        "bad-info",
        ["-info position file is damaged", RESET],
        '"failed to verify metadata file hash: expected=1, got=2"',
    ),
    (
        "sync error: server returned invalid length of frames: 17",
        "not-sync-v2",
        ["not as a sync v2 server does"],
        '"server returned invalid length of frames: 17"',
    ),
    (
        "sync error: invalid remote state: generation is 0",
        "not-sync-v2",
        ["not as a sync v2 server does"],
        '"invalid remote state: generation is 0"',
    ),
    (
        "sync error: json decode error: expected value at line 1 column 1",
        "not-sync-v2",
        ["is it a Turso database URL?"],
        '"json decode error: expected value at line 1 column 1"',
    ),
    (
        "sync error: http dispatch error: error trying to connect: tcp connect error: Connection refused (os "
        "error 111)",
        "unreachable",
        [f"cannot connect to {URL} (connection refused)", "is the local Turso running"],
        "Connection refused (os error 111)",
    ),
    (
        "sync error: http dispatch error: error trying to connect: dns error: failed to lookup address "
        "information: Name or service not known",
        "unreachable",
        ["(DNS lookup failed)", "no network"],
        "Name or service not known",
    ),
    (
        "sync error: http dispatch error: connection closed before message completed",
        "unreachable",
        [f"cannot reach {URL}"],
        '"http dispatch error: connection closed before message completed"',
    ),
    (
        "RuntimeError: something libsql never said before",
        "other",
        ["the sync failed"],
        'RuntimeError: something libsql never said before")',
    ),
]


@pytest.mark.parametrize(("raw", "kind", "words", "verbatim"), CASES, ids=[c[1] for c in CASES])
def test_each_failure_names_its_cause_and_keeps_the_servers_words(
    raw: str, kind: str, words: list[str], verbatim: str
) -> None:
    found = explain(f"ValueError: {raw}", URL)
    assert found.kind == kind
    for word in words:
        assert word in found.message
    assert verbatim in found.message
    assert "\n" not in found.message


def test_a_token_in_the_server_text_is_scrubbed_before_it_is_shown() -> None:
    raw = f"sync error: failed to pull db export: status=401 Unauthorized, error=bad bearer {TOKEN}"
    shown = explain(redact(raw, [TOKEN]), CLOUD).message
    assert TOKEN not in shown and TOKEN[:4] in shown
    assert shown.startswith(f"{CLOUD} refused the database token (401 Unauthorized")


def test_a_long_or_html_refusal_is_cut_to_one_line() -> None:
    page = "<html>\n<body>" + "x" * 3000 + "</body></html>"
    shown = explain(f"sync error: failed to pull frame: status=502 Bad Gateway, error={page}", URL)
    assert shown.kind == "unavailable" and "\n" not in shown.message
    assert shown.message.endswith('…"') and len(shown.message) < 900
