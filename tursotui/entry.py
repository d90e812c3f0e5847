"""Command line entry point. `--version` and `--help` never import Textual or httpx."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tursotui import __version__, skip_httpx_cli

if TYPE_CHECKING:
    pass

LOCAL_NOTE = (
    "With no Turso Cloud credentials tursotui runs against the local Turso: the same Platform\n"
    "API served by a built-in control plane over a real sqld on 127.0.0.1 (no account needed).\n"
    "Switch to Turso Cloud: put TURSO_API_TOKEN in the environment or .env, set\n"
    '[turso] organization in config.toml, and use --target cloud (or [tursotui] target = "cloud").'
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tursotui",
        description="A terminal console for Turso (libSQL) databases.",
        epilog=LOCAL_NOTE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tursotui {__version__}")
    parser.add_argument("--config", metavar="PATH", help="config.toml to use (env TURSOTUI_CONFIG)")
    parser.add_argument(
        "--env-file", metavar="PATH", help=".env with secrets (env TURSOTUI_ENV_FILE)"
    )
    parser.add_argument("--data-dir", metavar="DIR", help="where the local Turso keeps its state")
    parser.add_argument(
        "--target", choices=("cloud", "local"), help="Turso Cloud or the local Turso"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="connect with a read-only token; the server refuses writes",
    )
    parser.add_argument("--database-url", metavar="URL", help="libsql:// URL of the database")
    parser.add_argument("--organization", metavar="SLUG", help="Turso organization slug")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    config = sub.add_parser("config", help="inspect the configuration")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_sub.add_parser("check", help="validate config.toml and .env, show what would be used")

    local = sub.add_parser("local", help="the local Turso (Platform API over a real sqld)")
    local_sub = local.add_subparsers(dest="local_command", metavar="ACTION", required=True)
    local_sub.add_parser("install-sqld", help="unpack and verify the sqld binary")
    serve = local_sub.add_parser(
        "serve", help="serve the local Turso's Platform API on 127.0.0.1 for other clients"
    )
    serve.add_argument("--port", type=int, default=8484, help="port on 127.0.0.1 (default 8484)")
    serve.add_argument(
        "--demo-users", type=int, default=3000, help="generated users in a new demo org"
    )
    from tursotui.cli import register

    register(sub)
    return parser


def _config_check(args: argparse.Namespace) -> int:
    from tursotui.config import CliOptions, resolve

    settings = resolve(CliOptions.from_args(args))
    if settings.target == "cloud":
        settings.require_cloud_credentials()
    from tursotui.support.redact import mask

    print(
        f"config file   {settings.config_path}{'' if settings.config_path.exists() else ' (not found: defaults)'}"
    )
    print(
        f".env file     {settings.env_path}{'' if settings.env_path.exists() else ' (not found)'}"
    )
    print(f"data dir      {settings.data_dir}")
    print(
        f"target        {settings.target}{' (local Turso)' if settings.target == 'local' else ''}"
    )
    print(f"organization  {settings.organization or '-'}")
    print(f"database      {settings.config.turso.database_name or '-'}")
    print(f"database url  {settings.database_url or '-'}")
    print(f"read-only     {'yes' if settings.read_only else 'no'}")
    print(f"api token     {mask(settings.api_token)}")
    print(f"auth token    {mask(settings.auth_token)}")
    return 0


def _install_sqld(args: argparse.Namespace) -> int:
    from tursotui.local.engine.sqld import SQLD_VERSION, provision_sqld

    path = provision_sqld()
    print(f"sqld {SQLD_VERSION} ready at {path} (sha256 verified)")
    return 0


def _local_serve(args: argparse.Namespace) -> int:
    from tursotui.config import CliOptions, ConfigError, resolve
    from tursotui.local.host.serve import serve

    options = CliOptions.from_args(args)
    if not 1 <= args.port <= 65535:
        raise ConfigError(None, f"invalid port {args.port}", key="--port", expected="1 to 65535")
    if args.demo_users < 0:
        raise ConfigError(None, "invalid count", key="--demo-users", expected="0 or more")
    return serve(resolve(options), args.port, args.demo_users)


def _dispatch(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    if args.command == "config":
        return _config_check
    if args.command == "local" and args.local_command == "install-sqld":
        return _install_sqld
    if args.command == "local" and args.local_command == "serve":
        return _local_serve
    from tursotui.cli import handler

    command = handler(args)
    if command is not None:
        return command
    return _console


def _console(args: argparse.Namespace) -> int:
    from tursotui.config import CliOptions
    from tursotui.ui.launch import run_console

    return run_console(CliOptions.from_args(args))


def main(argv: Sequence[str] | None = None) -> int:
    skip_httpx_cli()
    args = _parser().parse_args(argv)
    handler = _dispatch(args)
    from tursotui.config import ConfigError
    from tursotui.local.control.state import StateError
    from tursotui.local.engine.sqld import SqldError

    try:
        return handler(args)
    except ConfigError as exc:
        print(f"tursotui: {exc}", file=sys.stderr)
        return 2
    except (SqldError, StateError) as exc:
        print(f"tursotui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
