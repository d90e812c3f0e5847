"""``tursotui token create|rotate|list|decode``.

``create`` prints the new token ONCE, alone on stdout (``TOKEN=$(tursotui token create db)``);
what it is for goes to stderr. No other command ever prints a token. ``decode`` reads the JWT
from stdin so it never lands in shell history or ``ps``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tursotui.cli.context import OK, Context, run
from tursotui.config import AUTH_TOKEN, read_env_file
from tursotui.config.point import point_at_database
from tursotui.ops.errors import InputError, OpsError
from tursotui.ops.names import check_name
from tursotui.ops.token_actions import issue_token, rotate_tokens, rotation_scope
from tursotui.ops.tokens import TokenLedger, decode_claims, expiry_warnings, parse_expiration


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        parents=[common],
        help="mint a token (printed once on stdout)",
        description="Mint a database token (or a group token with --group). It is printed "
        "once on stdout; the ledger keeps its metadata, never the token.",
    )
    create.add_argument("database", metavar="DATABASE", nargs="?")
    create.add_argument("--group", metavar="G", help="a group token (every database of G)")
    create.add_argument(
        "--expiration", default="90d", metavar="E", help="90d (default), 2w1d30m, never"
    )
    create.add_argument("--read-only", action="store_true", help="the token cannot write")
    create.add_argument(
        "--write-env", action="store_true", help="store it as TURSO_AUTH_TOKEN in .env (backed up)"
    )
    rotate = actions.add_parser(
        "rotate",
        parents=[common],
        help="invalidate ALL tokens of a database's group (replicas restart)",
    )
    rotate.add_argument("database", metavar="DATABASE", nargs="?")
    rotate.add_argument("--group", metavar="G")
    actions.add_parser("list", parents=[common], help="tokens this tool issued (metadata)")
    actions.add_parser(
        "decode", parents=[common], help="show a JWT's claims (read from stdin, not verified)"
    )


def _scope(ctx: Context) -> tuple[str | None, str | None]:
    """(database, group): a group alone, else the database given or configured."""
    args = ctx.args
    if args.group and args.database:
        raise InputError("give a database or --group, not both")
    if args.group:
        return None, check_name(args.group, "group")
    return ctx.database_name(args.database), None


def _ledger(ctx: Context) -> TokenLedger:
    return TokenLedger.in_data_dir(ctx.settings.data_dir)


async def _create(ctx: Context) -> int:
    args = ctx.args
    expiration = parse_expiration(args.expiration)
    database, group = _scope(ctx)
    env_path = ctx.settings.env_path
    if args.write_env:
        current = read_env_file(env_path).get(AUTH_TOKEN)
        if current:
            ctx.confirm(f"replace {AUTH_TOKEN} in {env_path} (a backup is kept)")
    async with ctx.backend() as backend:
        ledger = _ledger(ctx)
        ledger_error: OpsError | None = None
        try:
            ledger.entries()  # a damaged ledger is reported, never overwritten
        except OpsError as exc:
            ledger_error = exc
        issued = await issue_token(
            backend.platform,
            database=database,
            group=group,
            expiration=expiration,
            read_only=args.read_only,
            ledger=None if ledger_error else ledger,
            target=ctx.settings.target,
        )
        url = (await backend.platform.get_database(database)).url if database else ""
    token = issued.token
    saved = None
    if args.write_env:
        saved = point_at_database(None, env_path, token=token).env_backup
    entry = issued.entry
    if ctx.json:
        ctx.emit(
            issued.to_json(include_token=True)
            | {
                "env_file": str(env_path) if args.write_env else None,
                "env_backup": str(saved) if saved else None,
            },
            reveal=token,  # the one token printed on purpose; anything else is still scrubbed
        )
    else:
        print(token, file=ctx.stdout)  # the one place a token is printed, unscrubbed
    expires = entry.expires_at or "never"
    ctx.info(
        f"{entry.authorization} token for {entry.subject}, expires {expires}, fingerprint "
        f"{entry.fingerprint}. Shown once: store it now."
    )
    if ledger_error is not None:
        ctx.info(f"warning: not recorded in the ledger: {ledger_error}")
    if args.write_env:
        ctx.info(
            f"wrote {AUTH_TOKEN} to {env_path}" + (f" (previous file: {saved})" if saved else "")
        )
        configured = ctx.settings.database_url
        if url and configured and configured.rstrip("/") != url.rstrip("/"):
            ctx.info(
                f"note: [turso] database_url is {configured}, but this token is for {url}; "
                f"update {ctx.settings.config_path}"
            )
    return OK


async def _rotate(ctx: Context) -> int:
    database, group = _scope(ctx)
    subject = f"database {database}" if database else f"group {group}"
    async with ctx.backend() as backend:
        scope = await rotation_scope(backend.platform, database=database, group=group)
        ctx.info(
            f"WARNING: rotating the tokens of {subject} makes ALL its tokens stop working at once. "
            f"{scope.describe()} "
            "Its replicas restart, with a brief downtime."
        )
        ctx.confirm(f"rotate the tokens of {subject}", typed=database or group)
        rotation = await rotate_tokens(
            backend.platform,
            database=database,
            group=group,
            ledger=_ledger(ctx),
            target=ctx.settings.target,
        )
    ctx.emit(rotation.to_json())
    names = ", ".join(rotation.databases) or "(no database)"
    if rotation.rotated == "group":
        via = f" (database {database} is part of it)" if database else ""
        ctx.out(f"rotated group {rotation.group}{via}: every earlier token of it is now refused")
        ctx.out(
            f"tokens that stopped working: those of {names}, and every group token of {rotation.group}"
        )
    else:
        ctx.out(f"rotated database {database} alone: every earlier token of it is now refused")
    if rotation.revoked:
        ctx.out(f"ledger: {len(rotation.revoked)} issued token(s) marked revoked")
    ctx.info(
        "Mint a new token for your app: tursotui token create "
        f"{database or '--group ' + (group or '')} --write-env"
    )
    return OK


async def _list(ctx: Context) -> int:
    entries = _ledger(ctx).entries()
    now = datetime.now(UTC)
    warnings = expiry_warnings(entries, now=now)
    ctx.emit(
        {
            "ledger": str(_ledger(ctx).path),
            "tokens": [e.to_json() for e in entries],
            "warnings": [
                {"fingerprint": w.entry.fingerprint, "kind": w.kind, "message": w.message}
                for w in warnings
            ],
        }
    )
    sessions = sum(1 for e in entries if e.kind == "session")
    entries = [e for e in entries if e.kind != "session"]  # the JSON above lists them too
    if not entries:
        ctx.out("no tokens issued by tursotui yet")
    if sessions:
        ctx.info(
            f"{sessions} short-lived session token(s) tursotui minted for its own work "
            "(console, backups, imports; 1 day) are not listed; --json lists them"
        )
    if not entries:
        return OK
    ctx.table(
        ["FINGERPRINT", "FOR", "ACCESS", "CREATED", "EXPIRES", "STATE"],
        (
            [
                e.fingerprint,
                e.subject,
                e.authorization,
                e.created_at,
                e.expires_at or "never",
                "revoked"
                if e.revoked_at
                else ("expired" if e.expires and e.expires <= now else "valid"),
            ]
            for e in entries
        ),
    )
    for warning in warnings:
        ctx.info(f"warning: {warning.message}")
    return OK


async def _decode(ctx: Context) -> int:
    if sys.stdin.isatty():
        ctx.info("Paste a JWT and press Enter (it is not echoed back):")
    text = sys.stdin.readline().strip()
    ctx.add_secret(text)
    claims = decode_claims(text)
    ctx.emit(claims.to_json() | {"verified": False})
    ctx.out("NOT VERIFIED: these are the token's own claims, as it states them")
    ctx.out(f"algorithm   {claims.algorithm or '-'}")
    ctx.out(f"access      {claims.access_text}")
    if claims.permissions is not None:
        for number, line in enumerate(claims.permissions.lines()):
            ctx.out(f"{'permissions' if number == 0 else '':<11} {line}")
    ctx.out(f"database    {claims.database_id or '-'}")
    ctx.out(f"group       {claims.group_id or '-'}")
    ctx.out(f"issued      {claims.issued_at or '-'}")
    expired = " (EXPIRED)" if claims.expired() else ""
    ctx.out(f"expires     {claims.expires_at or 'never'}{expired}")
    return OK


def main(args: argparse.Namespace) -> int:
    body = {"create": _create, "rotate": _rotate, "list": _list, "decode": _decode}
    return run(args, body[args.token_command])
