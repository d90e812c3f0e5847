"""Command line entry point: parse argv (the parser is :mod:`tursotui.cli.parser`), run the command or open the
console, and turn an expected failure into its exit code (:mod:`tursotui.cli.errors`). `--version` and `--help`
never import Textual or httpx."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tursotui import skip_httpx_cli
from tursotui.cli.parser import build_parser, handler


def _console(args: argparse.Namespace) -> int:
    from tursotui.config import CliOptions
    from tursotui.ui.launch import run_console

    return run_console(CliOptions.from_args(args))


def main(argv: Sequence[str] | None = None) -> int:
    skip_httpx_cli()
    args = build_parser().parse_args(argv)
    command = handler(args) or _console
    try:
        return command(args)
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
