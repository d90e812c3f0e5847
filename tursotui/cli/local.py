"""``tursotui local install-sqld|serve``: the local Turso's sqld binary, and serving its Platform API on
127.0.0.1 for other clients (``local serve``; the console and the commands attach to it)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    actions.add_parser("install-sqld", help="unpack and verify the sqld binary")
    serve = actions.add_parser(
        "serve", help="serve the local Turso's Platform API on 127.0.0.1 for other clients"
    )
    serve.add_argument("--port", type=int, default=8484, help="port on 127.0.0.1 (default 8484)")
    serve.add_argument(
        "--demo-users", type=int, default=3000, help="generated users in a new demo org"
    )
    serve.add_argument(
        "--fleet",
        type=int,
        default=0,
        metavar="N",
        help="first make sure the org holds N tenant databases (tenant-00000…, 4 groups, the guide's "
        "schema and a few rows each; existing ones are kept): ~10,000 in a few minutes",
    )
    # The profile: which of Turso Cloud's varieties to reproduce. Left out: what the data dir recorded
    # ([tursotui] local_plan, local_overages, local_platform first), else starter, no overages, fly.
    serve.add_argument(
        "--plan",
        choices=("starter", "developer", "scaler", "pro", "enterprise"),
        help="the plan: its quotas, restore window and /subscription (default: as recorded, else starter)",
    )
    serve.add_argument(
        "--overages",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="bill the excess over a quota instead of blocking (a paid plan's option)",
    )
    serve.add_argument(
        "--platform",
        choices=("fly", "aws"),
        help="fly: the legacy location codes, with edge replicas; aws: aws-* codes, replicas refused",
    )


def _install_sqld(args: argparse.Namespace) -> int:
    from tursotui.local.engine.sqld import SQLD_VERSION, provision_sqld

    path = provision_sqld()
    print(f"sqld {SQLD_VERSION} ready at {path} (sha256 verified)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from tursotui.config import CliOptions, ConfigError, resolve
    from tursotui.local.control.profile import ProfileChoice
    from tursotui.local.host.serve import serve

    options = CliOptions.from_args(args)
    if not 1 <= args.port <= 65535:
        raise ConfigError(None, f"invalid port {args.port}", key="--port", expected="1 to 65535")
    if args.demo_users < 0:
        raise ConfigError(None, "invalid count", key="--demo-users", expected="0 or more")
    if args.overages and args.plan == "starter":
        raise ConfigError(
            None,
            "the starter (free) plan has no overages",
            key="--overages",
            expected="a paid --plan: developer, scaler, pro or enterprise",
        )
    from tursotui.local.host.fleet import MAX_FLEET

    if not 0 <= args.fleet <= MAX_FLEET:
        raise ConfigError(
            None, "invalid fleet size", key="--fleet", expected=f"0 to {MAX_FLEET:,} databases"
        )
    profile = ProfileChoice(plan=args.plan, overages=args.overages, platform=args.platform)
    return serve(resolve(options), args.port, args.demo_users, profile=profile, fleet=args.fleet)


def main(args: argparse.Namespace) -> int:
    return {"install-sqld": _install_sqld, "serve": _serve}[args.local_command](args)
