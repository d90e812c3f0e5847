"""config.toml and .env agree: ``[turso] database_url`` is the URL of ``[turso] database_name``, and
``TURSO_AUTH_TOKEN`` is a token of the database the URL points at; .env holds secrets and must be mode 0600."""

from __future__ import annotations

import contextlib
import stat
from pathlib import Path

from tursotui.ops.doctor.connection import named, token_fix, url_host
from tursotui.ops.doctor.model import Check, fail, ok, skip
from tursotui.ops.errors import InputError
from tursotui.ops.token_claims import TokenClaims, database_access, decode_claims
from tursotui.platform import Database, PlatformClient, PlatformError
from tursotui.support.humanize import home_path


def env_mode(path: Path | None) -> Check:
    shown = home_path(path) if path is not None else ".env"
    if path is None or not path.exists():
        return ok("env-mode", f"no {shown}: secrets come from the environment")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return fail(
            "env-mode",
            f"{shown} is mode {mode:04o}: other users of this machine can read its tokens",
            f"`chmod 600 {shown}`",
            mode=f"{mode:04o}",
        )
    return ok("env-mode", f"{shown} is mode {mode:04o}", mode=f"{mode:04o}")


async def _hosts(platform: PlatformClient, db: Database) -> set[str]:
    hosts = {db.hostname}
    with contextlib.suppress(
        PlatformError
    ):  # the database's own hostname is enough to compare with
        hosts |= {i.hostname for i in await platform.list_instances(db.name)}
    return {h for h in hosts if h}


async def config_match(
    platform: PlatformClient,
    db: Database,
    url: str,
    token: str | None,
    config_path: Path | None,
    group_uuid: str = "",
) -> Check:
    """The URL names ``db`` (the configured database) and the token belongs to it."""
    where = home_path(config_path) if config_path is not None else "config.toml"
    if not url:
        return skip(
            "config-match", f"[turso] database_url is not set in {where}", "`tursotui setup`"
        )
    host = url_host(url)
    if host and host not in await _hosts(platform, db):
        other = await _owner(platform, host)
        names = f"database {other}" if other else "no database of this organization"
        return fail(
            "config-match",
            f"[turso] database_url ({host}) is {names}, but database_name is {db.name}",
            f"set database_url to {db.url} in {where} (`tursotui db show {db.name}`)",
            url_host=host,
        )
    if not token:
        return ok("config-match", f"database_url is {db.name}'s; no TURSO_AUTH_TOKEN to compare")
    try:
        claims = decode_claims(token)
    except InputError:
        return skip("config-match", "TURSO_AUTH_TOKEN is not a JWT (see Database token)")
    if database_access(claims, names=(db.name, db.db_id), groups=(db.group, group_uuid)) is None:
        other = await _token_owner(platform, claims)
        return fail(
            "config-match",
            f"database_url points at {db.name} but TURSO_AUTH_TOKEN is for {other}",
            token_fix(db.name),
        )
    return ok("config-match", f"database_url and TURSO_AUTH_TOKEN are both {db.name}'s")


async def _owner(platform: PlatformClient, host: str) -> str:
    try:
        for found in await platform.list_databases():
            if found.hostname == host:
                return found.name
    except PlatformError:
        return ""
    return ""


async def _token_owner(platform: PlatformClient, claims: TokenClaims) -> str:
    """The database a token is for, by name: its ``id`` looked up in the database list when ``p`` names none."""
    if claims.permissions is None and claims.database_id:
        with contextlib.suppress(PlatformError):
            for found in await platform.list_databases():
                if found.db_id == claims.database_id:
                    return found.name
    return named(claims)
