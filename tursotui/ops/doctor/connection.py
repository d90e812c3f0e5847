"""The checks of the connection the app makes: the database URL reachable from here (its latency,
:mod:`tursotui.ops.latency`: ``GET /health``, no token sent) and the database token (``TURSO_AUTH_TOKEN``):
valid (a ``SELECT 1`` with it is not refused), its access and expiry (:mod:`tursotui.ops.token_claims`), and
whether it is for this database."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from tursotui.libsql.errors import AuthError, LibsqlError, PermissionDeniedError
from tursotui.libsql.url import parse_database_url
from tursotui.ops.archived import DatabaseArchived, explain
from tursotui.ops.doctor.expiry import expiring, expiry_text, iso
from tursotui.ops.doctor.model import Check, fail, ok, skip, warn
from tursotui.ops.errors import InputError
from tursotui.ops.latency import LatencyProbe
from tursotui.ops.session_tokens import sql_client
from tursotui.ops.token_claims import TokenClaims, database_access, decode_claims
from tursotui.platform import Database, PlatformClient

SLOW_MS = 500.0
"""A round trip slower than this is a warning: every query pays it (a replica location closer to here helps)."""


def url_host(url: str) -> str:
    """``host[:port]`` of a database URL (any scheme tursotui accepts); "" when it is not a valid one."""
    try:
        base = parse_database_url(url).base_url
    except LibsqlError:
        return ""
    return urlsplit(base).netloc


async def reachable(probe: LatencyProbe, url: str, *, configured: bool) -> Check:
    where = "[turso] database_url" if configured else "its URL"
    host = url_host(url)
    if not host:
        return fail(
            "reachable",
            f"{where} {url!r} is not a database URL" if url else f"{where} is not set",
            "set [turso] database_url in config.toml (`tursotui db show NAME` prints it)",
        )
    ms = await probe(host)
    if ms is None:
        return fail(
            "reachable",
            f"{host} did not answer GET /health within 3 s",
            "check [turso] database_url (`tursotui db show NAME`) and the network; the server may be down",
            host=host,
        )
    data = {"host": host, "latency_ms": round(ms, 1)}
    if ms >= SLOW_MS:
        return warn(
            "reachable",
            f"{host} answers in {ms:.0f} ms from here",
            "add a replica location closer to here (console: a on the Databases tab)",
            **data,
        )
    return ok("reachable", f"{host} answers in {ms:.0f} ms from here", **data)


def named(claims: TokenClaims) -> str:
    """Whom a token is for, as its claims say: the databases ``p`` lists, else its ``id`` or ``gid``."""
    if claims.permissions is not None:
        listed = [n for names in claims.permissions.namespaces.values() for n in names]
        return ", ".join(dict.fromkeys(listed)) or "no database"
    if claims.database_id:
        return f"database id {claims.database_id}"
    if claims.group_id:
        return f"group id {claims.group_id}"
    return "no database"


def token_fix(database: str) -> str:
    return f"`tursotui token create {database} --write-env` (console: 4, n)"


async def db_token(
    platform: PlatformClient, db: Database, token: str | None, now: datetime, group_uuid: str = ""
) -> Check:
    fix = token_fix(db.name)
    if not token:
        return fail("db-token", "TURSO_AUTH_TOKEN is not set (environment or .env)", fix)
    try:
        claims = decode_claims(token)
    except InputError as exc:
        return fail("db-token", f"TURSO_AUTH_TOKEN is {exc}", fix)
    access = database_access(claims, names=(db.name, db.db_id), groups=(db.group, group_uuid))
    data = {"authorization": claims.authorization, "expires_at": iso(claims.expires_at)}
    when = expiry_text(claims.expires_at, now)
    if claims.expired(now):
        return fail("db-token", f"TURSO_AUTH_TOKEN {when}", fix, **data)
    if access is None:
        return fail(
            "db-token",
            f"TURSO_AUTH_TOKEN is not for {db.name} (it is for {named(claims)})",
            fix,
            **data,
        )
    refused = await _refused(platform, db, token)
    if refused:
        return (skip if refused.startswith("not tried") else fail)("db-token", refused, fix, **data)
    text = f"valid, {access}, {when}"
    if expiring(claims.expires_at, now):
        return warn("db-token", text, fix, **data)
    return ok("db-token", text, **data)


async def _refused(platform: PlatformClient, db: Database, token: str) -> str:
    """Why ``db`` refuses ``token`` for a ``SELECT 1`` ("" when it runs); "not tried: …" when the database
    cannot answer at all (archived, unreachable): that is another check's failure, not the token's."""
    try:
        async with sql_client(platform, db, token) as client:
            await client.execute("SELECT 1")
    except (AuthError, PermissionDeniedError) as exc:
        return f"TURSO_AUTH_TOKEN is refused by {db.name} ({exc.status}): rotated, or signed by another key"
    except LibsqlError as exc:
        better = await explain(platform, db, exc)
        if isinstance(better, DatabaseArchived):
            return f"not tried: {better}"
        return f"not tried: {exc}"
    return ""
