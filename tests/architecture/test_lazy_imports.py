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


NOT_IN_THE_FIRST_FRAME = (
    "argparse",
    "hypothesis",
    "sqlite3",
    "httpx",
    "httpcore",
    "tomlkit",
    "tursotui.cli",
    "tursotui.local",
    "tursotui.libsql.engine",
    "tursotui.libsql.hrana",
    "tursotui.libsql.local",
    "tursotui.ops.access",
    "tursotui.ops.backup",
    "tursotui.ops.branch",
    "tursotui.ops.browse",
    "tursotui.ops.bulk",
    "tursotui.ops.doctor",
    "tursotui.ops.importing",
    "tursotui.ops.migrate",
    "tursotui.ops.restore",
    "tursotui.ops.session_tokens",
    "tursotui.ops.sql",
    "tursotui.ops.token_alerts",
    "tursotui.ops.tokens",
    "tursotui.ui.dialogs",
    "tursotui.ui.palette",
    "tursotui.ui.panes.audit",
    "tursotui.ui.panes.backups",
    "tursotui.ui.panes.browser",
    "tursotui.ui.panes.doctor",
    "tursotui.ui.panes.inspect",
    "tursotui.ui.panes.replica",
    "tursotui.ui.panes.sql",
    "tursotui.ui.panes.tokens",
    "tursotui.ui.panes.usage",
    "tursotui.ui.wizards",
)
"""Imported when their tab, dialog, wizard or action is first used: not for the console's first frame."""

FIRST_FRAME = """
import asyncio, socket, sys, tempfile
from pathlib import Path

from tursotui.platform import PlatformClient
from tursotui.support.loopback import loopback_only_tls
from tursotui.ui.app import TursoApp
from tursotui.ui.services import Services

with socket.socket() as closed:  # a loopback port nothing listens on: the first refresh fails, later
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
FIRST = set()


class Drawn(asyncio.Event):
    def set(self) -> None:  # the moment the first frame is on screen: what is loaded then
        FIRST.update(sys.modules)
        super().set()


async def main() -> None:
    platform = PlatformClient(
        "token-abc", organization="acme", base_url=f"http://127.0.0.1:{port}",
        tls=loopback_only_tls, max_retries=0,
    )
    services = Services(platform, "cloud", "Turso Cloud · org acme", Path(tempfile.mkdtemp()))
    app = TursoApp(services)
    app.first_frame = Drawn()
    async with app.run_test(size=(120, 36)):
        await asyncio.wait_for(app.first_frame.wait(), 60)
        assert app.main.query_one("#databases-table") is not None
    await platform.aclose()


asyncio.run(main())
"""


def test_the_console_first_frame_leaves_heavy_modules_for_later() -> None:
    """The console up to its first frame (the Databases pane in it) imports none of the other tabs' panes, the
    dialogs, the wizards, the SQL and backup machinery, the local Turso or httpx (the Platform client makes its
    httpx client on its first request, after the first frame)."""
    code = FIRST_FRAME + "\nimport json, sys\nprint(json.dumps(sorted(FIRST)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(json.loads(out.stdout.splitlines()[-1]))
    assert "tursotui.ui.panes.databases" in modules
    assert among(modules, NOT_IN_THE_FIRST_FRAME) == []


NOT_FOR_A_BARE_START = (
    "argparse",
    "tomlkit",
    "textual",
    "httpx",
    "tursotui.cli",
    "tursotui.config.point",
)
"""Modules a bare `tursotui` (or one with only the console's options) does not import before it opens the
console: argparse (the console's options are read without it), tomlkit (config.toml is read with tomllib;
tomlkit only rewrites it)."""


def test_a_bare_start_reads_its_options_and_config_without_argparse_or_tomlkit() -> None:
    """Up to run_console (the settings resolved from a config.toml and a .env): no argparse, no tomlkit."""
    modules = loaded(
        """
import os, sys, tempfile
from pathlib import Path

root = Path(tempfile.mkdtemp())
(root / "config.toml").write_text('[tursotui]\\ntheme = "textual-dark"\\n', encoding="utf-8")
(root / ".env").write_text("TURSO_API_TOKEN=token-abc\\n", encoding="utf-8")
import tursotui.ui.launch as launch
from tursotui.config import resolve

seen = []
launch.run_console = lambda options: seen.append(resolve(options)) or 0
from tursotui.entry import main

assert main(["--config", str(root / "config.toml"), "--env-file", str(root / ".env"), "--target=local"]) == 0
assert seen[0].config.tursotui.theme == "textual-dark", seen
assert seen[0].api_token == "token-abc", seen
sys.modules.pop("httpx._main", None)  # the stub skip_httpx_cli leaves (httpx itself is not imported)
"""
    )
    assert "tursotui.config.settings" in modules
    assert among(modules, NOT_FOR_A_BARE_START) == []
