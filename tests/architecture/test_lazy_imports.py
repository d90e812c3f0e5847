"""What a start imports, checked in a fresh interpreter: `tursotui db list` loads neither the console nor the
use cases of other commands, and the console's first frame leaves the panes, dialogs and clients it does not
show for later (issue 15, an instant first frame; benchmarks/first_frame.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_FOR_DB_LIST = (
    "textual",
    "rich",
    "tursotui.ui",
    "tursotui.ops.access",
    "tursotui.ops.branch",
    "tursotui.ops.restore",
    "tursotui.ops.sql.session",
)
"""Modules `tursotui db list` must not import (with their submodules)."""


def loaded(code: str) -> set[str]:
    """The modules loaded once ``code`` has run in a fresh interpreter."""
    code += "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in names))


def test_db_list_imports_neither_the_console_nor_other_commands() -> None:
    """Parsing `db list` declares every `db` action's arguments; its handler's module is imported too."""
    modules = loaded(
        """
from tursotui import skip_httpx_cli
skip_httpx_cli()
from tursotui.cli.parser import build_parser, handler
args = build_parser().parse_args(["db", "list", "--sort", "name", "--limit", "3"])
assert args.db_command == "list", args
run = handler(args)
import tursotui.cli.db_list
"""
    )
    assert "tursotui.cli.db_list" in modules
    assert among(modules, NOT_FOR_DB_LIST) == []
