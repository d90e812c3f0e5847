"""The console's fast path (no argparse for a bare `tursotui` or only the console's options) opens the console
with the options argparse would have parsed, and leaves everything else (commands, --help, abbreviations, bad
values) to argparse."""

from __future__ import annotations

import pytest

from tursotui.cli.parser import build_parser
from tursotui.config import CliOptions
from tursotui.entry import console_options

SAME_AS_ARGPARSE = [
    [],
    ["--read-only"],
    ["--config", "c.toml"],
    ["--config=c.toml", "--env-file", ".env", "--data-dir=/tmp/d"],
    ["--target", "local", "--read-only", "--organization", "acme"],
    ["--target=cloud", "--database-url", "libsql://db-acme.turso.io"],
    ["--config", "a.toml", "--config", "b.toml"],
    ["--config="],
    ["--config", ""],
    ["--config", "db"],
    ["--organization=--odd"],
]

LEFT_TO_ARGPARSE = [
    ["db", "list"],
    ["--help"],
    ["-h"],
    ["--version"],
    ["--conf", "c.toml"],
    ["--config"],
    ["--config", "--read-only"],
    ["--target", "mars"],
    ["--target=mars"],
    ["--read-only=yes"],
    ["--read-only", "doctor"],
    ["--config", "c.toml", "sql"],
    ["--", "db"],
    ["-x"],
]


@pytest.mark.parametrize("argv", SAME_AS_ARGPARSE, ids=" ".join)
def test_console_options_are_what_argparse_parses(argv: list[str]) -> None:
    given = console_options(argv)
    assert given is not None, argv
    args = build_parser().parse_args(argv)
    assert args.command is None
    assert CliOptions(**given) == CliOptions.from_args(args)


@pytest.mark.parametrize("argv", LEFT_TO_ARGPARSE, ids=" ".join)
def test_anything_else_goes_through_argparse(argv: list[str]) -> None:
    assert console_options(argv) is None
