"""Command line entry point: parse argv (the parser is :mod:`tursotui.cli.parser`), run the command or open the
console, and turn an expected failure into its exit code (:mod:`tursotui.cli.errors`). `--version` and `--help`
never import Textual or httpx; a bare `tursotui` (or only the console's options, spelled out) opens the console
without argparse (:func:`console_options`), which argparse would have parsed the same."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tursotui import skip_httpx_cli

if TYPE_CHECKING:
    from tursotui.config import CliOptions

CONSOLE_OPTIONS = {
    "--config": "config",
    "--env-file": "env_file",
    "--data-dir": "data_dir",
    "--target": "target",
    "--database-url": "database_url",
    "--organization": "organization",
}
"""The console's options that take a value (their CliOptions field); ``--read-only`` is the one flag."""
TARGETS = ("cloud", "local")


def console_options(argv: Sequence[str]) -> dict[str, Any] | None:
    """The console's options when ``argv`` is only those, each spelled in full (``--config PATH`` or
    ``--config=PATH``, ``--read-only``); None for anything else — a command, ``--help``, an abbreviation, a
    missing or dash-led value, a target argparse would refuse — which goes through argparse as always."""
    found: dict[str, Any] = {}
    rest = iter(argv)
    for arg in rest:
        if arg == "--read-only":
            found["read_only"] = True
            continue
        name, eq, value = arg.partition("=")
        field = CONSOLE_OPTIONS.get(name)
        if field is None:
            return None
        if not eq:
            following = next(rest, None)
            if following is None or following.startswith("-"):
                return None
            value = following
        if field == "target" and value not in TARGETS:
            return None
        found[field] = value
    return found


def _console(options: CliOptions) -> int:
    from tursotui.ui.launch import run_console

    return run_console(options)


def main(argv: Sequence[str] | None = None) -> int:
    skip_httpx_cli()
    given = console_options(sys.argv[1:] if argv is None else argv)
    args: Any = None
    try:
        if given is not None:
            from tursotui.config.settings import CliOptions

            return _console(CliOptions(**given))
        from tursotui.cli.parser import build_parser, handler
        from tursotui.config import CliOptions as Options

        args = build_parser().parse_args(argv)
        command = handler(args)
        return command(args) if command is not None else _console(Options.from_args(args))
    except (Exception, KeyboardInterrupt) as exc:
        from tursotui.cli.errors import failure, report_failure
        from tursotui.support.redact import Secrets

        found = failure(exc)
        if found is None:
            raise
        as_json = bool(getattr(args, "json", False))
        return report_failure(as_json, Secrets().scrub(found.message), found.code, found.extra)


if __name__ == "__main__":
    sys.exit(main())
