"""What a failed embedded-replica sync means, in a sentence that names the cause and the way out.

libsql 0.1.11 reports every sync failure as one ``ValueError`` text (sync-v2-protocol.md §3, §7), e.g.
``sync error: failed to pull db export: status=401 Unauthorized, error={"error":"…"}``. Its variants are named
crosswise: "failed to pull db export" is the answer to ``GET /info``, "failed to pull frame" the one to
``GET /export/{g}`` or ``GET /sync/…``, "failed to push frame" the one to ``POST /sync/…``. :func:`explain` turns
each into what is wrong and what to do, and always keeps the server's own refusal (or libsql's text) verbatim
after it: Turso Cloud's wording ("you are using a client with a deprecated version of sync…", "embedded replicas
are not supported for this platform and tariff plan") is the best evidence there is. Tokens are the caller's to
scrub (:func:`tursotui.support.redact.redact`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

PROTOCOL = "sync v2 (/info, /export, /sync) — the protocol Turso Cloud serves"
"""What the replica speaks, as ``replica status`` and the Replica tab say it."""
RESET = "reset it (`tursotui replica reset`, or r in the Replica tab); the next sync bootstraps it again"
MINT = (
    "the TURSO_AUTH_TOKEN in .env is no longer valid (tokens rotated?) — mint one with "
    "`tursotui token create --write-env`"
)
_HTTP = re.compile(
    r"failed to (?P<what>pull db export|pull frame|push frame): status=(?P<status>\d{3})[^,]*, error=(?P<body>.*)",
    re.DOTALL,
)
_REQUEST = {
    "pull db export": "GET /info",
    "pull frame": "GET /export or /sync",
    "push frame": "POST /sync",
}
_LIMIT = 400
"""Characters of a server's text kept (a proxy's HTML error page is cut)."""


@dataclass(frozen=True)
class SyncFailure:
    """One failed sync: ``kind`` (a stable word for tests and scripts) and the sentence to show."""

    kind: str
    message: str


def _verbatim(body: str) -> str:
    """The server's refusal as it sent it: a JSON ``{"error": …}``'s text, else the body, one line, cut."""
    text = body.strip()
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    if isinstance(loaded, dict):
        inner = loaded.get("error") or loaded.get("message")
        if isinstance(inner, str) and inner.strip():
            text = inner.strip()
    text = " ".join(text.split())
    return text if len(text) <= _LIMIT else text[: _LIMIT - 1] + "…"


def _said(text: str) -> str:
    return f' — the server said: "{text}"' if text else " — the server gave no reason"


def _http(url: str, what: str, status: int, body: str) -> SyncFailure:
    """A sync request answered with an HTTP error (libsql already retried the 5xx ones)."""
    said = _verbatim(body)
    lowered = said.lower()
    request = _REQUEST[what]
    tail = _said(said)
    if "tariff plan" in lowered or "not supported for this platform" in lowered:
        return SyncFailure(
            "plan",
            f"{url} refused embedded replicas ({status}): Turso Cloud does not offer them on this database's "
            "platform or plan (libsql#1900) — a plan or group with embedded replicas is needed; the SQL "
            f"console and `tursotui db shell` still work over HTTP{tail}",
        )
    if "deprecated version of sync" in lowered:
        return SyncFailure(
            "deprecated",
            f"{url} refused this client's sync protocol as deprecated ({status}): tursotui syncs with "
            "libsql 0.1.11 (sync v2); check that `pip show libsql` says 0.1.11 in tursotui's environment"
            f"{tail}",
        )
    if status == 401:
        return SyncFailure(
            "token",
            f"{url} refused the database token (401 Unauthorized on {request}): {MINT}{tail}",
        )
    if status == 403:
        return SyncFailure(
            "forbidden",
            f"{url} refused the sync (403 Forbidden on {request}): the token may not read this database "
            f"(another database's or group's, or its access was taken away) — {MINT}{tail}",
        )
    if what == "pull db export" and status == 404:
        if "does not exist" in lowered or "no such database" in lowered:
            return SyncFailure(
                "no-database",
                f"{url} has no such database (404 on GET /info): check [turso] database_url in config.toml "
                f"(`tursotui db list` shows the URLs){tail}",
            )
        return SyncFailure(
            "no-sync-v2",
            f"{url} does not serve embedded-replica sync v2 (GET /info answered 404): a bare sqld or an older "
            f"server; replicas sync from Turso Cloud or the local Turso (`tursotui local serve`){tail}",
        )
    if what == "push frame" and status == 405:
        return SyncFailure(
            "push-refused",
            f"{url} does not take offline writes (405 on POST /sync): tursotui's replica never writes; "
            f"writes go to the primary (the SQL console, `tursotui db shell`){tail}",
        )
    if status == 409:
        return SyncFailure(
            "ahead",
            f"the replica has frames {url} never had (409 Conflict): the server lost data, or the file "
            f"came from another database — {RESET}{tail}",
        )
    if status == 410:
        return SyncFailure(
            "pruned",
            f"{url} no longer keeps the replica's sync generation (410 Gone): it was pruned while the "
            f"replica was far behind, or the database was deleted and re-created — {RESET}{tail}",
        )
    if what == "pull frame" and status == 404:
        return SyncFailure(
            "generation-gone",
            f"{url} no longer has the generation it named a moment ago (404 on {request}): it moved to a "
            f"new one during the bootstrap — sync again{tail}",
        )
    if status >= 500:
        return SyncFailure(
            "unavailable",
            f"{url} could not serve the sync (HTTP {status} on {request}, after libsql's retries): the "
            f"database server may be restarting or overloaded — sync again in a moment{tail}",
        )
    return SyncFailure("http", f"{url} answered HTTP {status} to {request}{tail}")


def _local(url: str, text: str) -> SyncFailure | None:
    """Failures libsql meets without an HTTP error (its own files, the network, a malformed answer)."""
    lowered = text.lower()
    quoted = f' (libsql: "{text}")'
    if "db file exists but metadata file does not" in lowered:
        return SyncFailure(
            "no-info",
            "the replica file has no -info position file beside it (made by libsql 0.1.8's legacy sync, "
            f"by another program, or left by a half-done reset) — {RESET}{quoted}",
        )
    if "metadata file exists but db file does not" in lowered:
        return SyncFailure(
            "no-file",
            f"the replica's -info position file is there but its database file is gone — {RESET}{quoted}",
        )
    if "failed to verify metadata file" in lowered:
        return SyncFailure(
            "bad-info", f"the replica's -info position file is damaged — {RESET}{quoted}"
        )
    if "server returned a conflict" in lowered or "server returned a lower frame_no" in lowered:
        return SyncFailure(
            "conflict",
            f"{url} refused frames pushed from the replica (the replica was written locally while the "
            f"primary changed); tursotui never pushes — {RESET}{quoted}",
        )
    if "server returned a higher frame_no" in lowered:
        return SyncFailure(
            "conflict", f"{url} acknowledged frames the replica never sent — {RESET}{quoted}"
        )
    if "lower generation than local" in lowered:
        return SyncFailure(
            "ahead",
            f"{url} is at an older sync generation than the replica: another or a restored database — "
            f"{RESET}{quoted}",
        )
    if "generation is 0" in lowered or "invalid length of frames" in lowered or "json" in lowered:
        return SyncFailure(
            "not-sync-v2",
            f"{url} answered, but not as a sync v2 server does: is it a Turso database URL? "
            f"(`tursotui db list` shows them){quoted}",
        )
    if "dns error" in lowered or "failed to lookup address" in lowered:
        return SyncFailure(
            "unreachable",
            f"cannot resolve the host of {url} (DNS lookup failed): no network, or a wrong host in "
            f"[turso] database_url{quoted}",
        )
    if "connection refused" in lowered:
        return SyncFailure(
            "unreachable",
            f"cannot connect to {url} (connection refused): nothing listens there — is the local Turso "
            f"running, is [turso] database_url right?{quoted}",
        )
    if "dispatch error" in lowered or "error trying to connect" in lowered:
        return SyncFailure("unreachable", f"cannot reach {url}{quoted}")
    return None


def explain(raw: str, url: str) -> SyncFailure:
    """What the libsql error text ``raw`` of a sync from ``url`` means (the raw text is kept in it)."""
    text = raw.strip()
    for prefix in ("ValueError: ", "sync error: "):
        text = text.removeprefix(prefix)
    matched = _HTTP.search(text)
    if matched is not None:
        return _http(url, matched["what"], int(matched["status"]), matched["body"])
    found = _local(url, text)
    if found is not None:
        return found
    return SyncFailure("other", f'the sync failed (libsql: "{" ".join(raw.split())}")')
