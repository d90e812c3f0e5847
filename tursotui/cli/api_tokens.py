"""``tursotui api-tokens list|create NAME [--group G --scope S ...] [--expiration E]|revoke NAME``.

Platform API tokens (what ``TURSO_API_TOKEN`` holds), as turso-cli's ``auth api-tokens`` manages them; the
logic is :mod:`tursotui.ops.api_tokens`. ``create`` prints the new token ONCE, alone on stdout
(``TOKEN=$(tursotui api-tokens create ci)``), what it is for on stderr; it is never logged or kept.
``revoke`` asks first unless ``--yes``: everything using the token gets 401 from then on.
"""

from __future__ import annotations

import argparse

from tursotui.cli.context import OK, Context, run
from tursotui.ops.api_tokens import (
    PRESETS,
    SCOPES,
    create_api_token,
    find_api_token,
    list_api_tokens,
    permissions_of,
    revoke_api_token,
    scope_of,
    token_json,
)
from tursotui.ops.names import check_name
from tursotui.ops.tokens import TokenLedger


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="api_tokens_command", metavar="ACTION", required=True)
    actions.add_parser(
        "list", parents=[common], help="your Platform API tokens (never their secret)"
    )
    create = actions.add_parser(
        "create",
        parents=[common],
        help="create a Platform API token (printed once on stdout)",
        description="Create a Platform API token for the configured organization, or only for group G "
        "with the scopes given. It is printed once on stdout and kept nowhere.",
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--group", metavar="G", help="only group G, with the --scope(s) given")
    create.add_argument(
        "--scope",
        metavar="S",
        action="append",
        default=[],
        dest="scopes",
        help=f"repeatable, with --group: {', '.join([*SCOPES, *PRESETS])}",
    )
    create.add_argument(
        "--expiration",
        metavar="E",
        help="the local Turso only (30d, 2w1d30m; default 90d); Turso Cloud's API tokens cannot "
        "expire (the one exception to every token tursotui mints having an expiry)",
    )
    revoke = actions.add_parser(
        "revoke", parents=[common], help="revoke a Platform API token (asks first unless --yes)"
    )
    revoke.add_argument("name", metavar="NAME")


async def _list(ctx: Context) -> int:
    async with ctx.backend() as backend:
        tokens = await list_api_tokens(backend.platform)
    ctx.emit({"tokens": [token_json(t) for t in tokens]})
    if not tokens:
        ctx.out("no API tokens")
        return OK
    ctx.table(
        ["NAME", "SCOPE", "PERMISSIONS", "CREATED", "EXPIRES"],
        (
            [t.name, scope_of(t), permissions_of(t), t.created_at or "-", t.expires_at or "never"]
            for t in tokens
        ),
    )
    return OK


async def _create(ctx: Context) -> int:
    args = ctx.args
    group = check_name(args.group, "group") if args.group is not None else None
    async with ctx.backend() as backend:
        created = await create_api_token(
            backend.platform,
            args.name,
            group=group,
            scopes=args.scopes,
            expiration=args.expiration,
            target=ctx.settings.target,
            ledger=TokenLedger.in_data_dir(ctx.settings.data_dir),
        )
    if ctx.json:
        ctx.emit(created.to_json(include_token=True), reveal=created.token)
    else:
        print(created.token, file=ctx.stdout)  # the one place this token is printed, unscrubbed
    ctx.add_secret(created.token)  # anything else that would show it is masked
    ctx.info(
        f"{created.describe()}. Shown once: store it now (e.g. as TURSO_API_TOKEN); its metadata "
        "(never the token) is in the ledger: tursotui token list."
    )
    return OK


async def _revoke(ctx: Context) -> int:
    name = ctx.args.name
    async with ctx.backend() as backend:
        token = await find_api_token(backend.platform, name)
        ctx.confirm(
            f"revoke API token {name} ({scope_of(token)}, {permissions_of(token)}): "
            "everything using it gets 401 from then on"
        )
        revoked = await revoke_api_token(backend.platform, name)
    ctx.emit({"revoked": revoked, "token": token_json(token)})
    ctx.out(f"API token {revoked} revoked: it is refused from now on")
    return OK


def main(args: argparse.Namespace) -> int:
    body = {"list": _list, "create": _create, "revoke": _revoke}
    return run(args, body[args.api_tokens_command])
