"""The whole command line, built in one place: the global options and one line per subcommand.

A subcommand is one module of ``tursotui.cli`` with ``add_arguments(parser, common)`` (its arguments; ``common``
is the parent parser of ``--json`` and ``--yes``, for its actions) and ``main(args) -> int``. Adding one is
that module plus one line in :data:`COMMANDS`.

Building the parser imports no command module: ``tursotui --help`` lists the commands from this file, and a
command's module is imported (its arguments declared) only when argparse reaches that command, so ``--help``
and ``--version`` never load httpx or Textual.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from tursotui import __version__
from tursotui.cli.setup_args import add_parser as add_setup_parser

LOCAL_NOTE = (
    "With no Turso Cloud credentials tursotui runs against the local Turso: the same Platform\n"
    "API served by a built-in control plane over a real sqld on 127.0.0.1 (no account needed).\n"
    "Switch to Turso Cloud: put TURSO_API_TOKEN in the environment or .env, set\n"
    '[turso] organization in config.toml, and use --target cloud (or [tursotui] target = "cloud").'
)


@dataclass(frozen=True)
class Command:
    name: str
    module: str
    """Holds ``main(args)`` and ``add_arguments(parser, common)`` (unless ``creates`` is given)."""
    help: str
    shared: bool = False
    """The command itself takes ``--json``/``--yes`` (it has no actions of its own)."""
    creates: Callable[[Any, argparse.ArgumentParser], None] | None = None
    """``creates(subparsers, common)`` adds the command's whole parser (help included) at once."""

    def arguments(self, parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
        import_module(self.module).add_arguments(parser, common)

    def handler(self) -> Callable[[argparse.Namespace], int]:
        run: Callable[[argparse.Namespace], int] = import_module(self.module).main
        return run


COMMANDS: tuple[Command, ...] = (
    Command("config", "tursotui.cli.config", "inspect the configuration"),
    Command("local", "tursotui.cli.local", "the local Turso (Platform API over a real sqld)"),
    Command("db", "tursotui.cli.db", "list databases, show one, usage, config, inspect, shell"),
    Command(
        "restore",
        "tursotui.cli.restore",
        "point-in-time restore into a NEW database",
        shared=True,
    ),
    Command(
        "backup",
        "tursotui.cli.backup",
        "verified backup of a database to .sql or .db (for cron)",
        shared=True,
    ),
    Command(
        "import",
        "tursotui.cli.imports",
        "import a SQLite file or .sql dump into a new or existing database",
        shared=True,
    ),
    Command("token", "tursotui.cli.token", "database and group tokens"),
    Command("setup", "tursotui.cli.setup", "", creates=add_setup_parser),
    Command(
        "replica", "tursotui.cli.replica", "the local embedded replica ([turso.local_replica])"
    ),
    Command("group", "tursotui.cli.group", "groups: list (archived shown), unarchive"),
    Command("plan", "tursotui.cli.plan", "the plan, overages, quotas and usage against them"),
    Command("api-tokens", "tursotui.cli.api_tokens", "Platform API tokens: list, create, revoke"),
    Command("org", "tursotui.cli.org", "the organization: its audit log"),
    Command(
        "doctor", "tursotui.cli.doctor", "check a database (or --all) and say the fix", shared=True
    ),
    Command(
        "migrate", "tursotui.cli.migrate", "SQL migrations across the fleet: status, apply, drift"
    ),
)
BY_NAME = {c.name: c for c in COMMANDS}


def shared_options() -> argparse.ArgumentParser:
    """The parent parser of every command's ``--json`` and ``--yes``."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    common.add_argument(
        "--yes", "-y", action="store_true", help="do not ask; required when not on a terminal"
    )
    return common


if TYPE_CHECKING:
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction  # not subscriptable at run time


class _Commands(_SubParsers):
    """The subcommands; each one's arguments are declared when argparse reaches it."""

    pending: dict[str, Callable[[], None]]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        name = values[0] if isinstance(values, list | tuple) and values else None
        declare = self.pending.pop(name, None) if isinstance(name, str) else None
        if declare is not None:
            declare()
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_Commands)
    assert isinstance(sub, _Commands)
    sub.pending = {}
    common = shared_options()
    for command in COMMANDS:
        if command.creates is not None:
            command.creates(sub, common)
            continue
        created = sub.add_parser(
            command.name, help=command.help, parents=[common] if command.shared else []
        )
        sub.pending[command.name] = _later(command, created, common)
    return parser


def _later(
    command: Command, parser: argparse.ArgumentParser, common: argparse.ArgumentParser
) -> Callable[[], None]:
    return lambda: command.arguments(parser, common)


def handler(args: argparse.Namespace) -> Callable[[argparse.Namespace], int] | None:
    """The function running ``args.command``; None: no command (the console opens)."""
    command = BY_NAME.get(getattr(args, "command", None) or "")
    return None if command is None else command.handler()
