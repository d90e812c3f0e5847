"""The command line's one parser registry (cli/parser.py) and its one table of exit codes (cli/errors.py):
every command line of before parses to the same arguments, a command's module is imported only when it runs, a
new subcommand is one module plus one registry line, and every failure maps to its code in one place."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tursotui.cli import parser as registry
from tursotui.cli.errors import BAD_INPUT, FAILED, INTERRUPTED, exit_code, failure
from tursotui.config import ConfigError
from tursotui.entry import main
from tursotui.libsql.errors import LibsqlError
from tursotui.local.control.state import StateError
from tursotui.local.engine.sqld import SqldError
from tursotui.ops.errors import ImportConflictError, InputError, OpsError, VerificationError
from tursotui.platform import PlatformError
from tursotui.platform.errors import NotFound


def parse(*argv: str) -> dict[str, object]:
    return vars(registry.build_parser().parse_args(list(argv)))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["config", "check"], {"command": "config", "config_command": "check", "json": False}),
        (["config", "check", "--json"], {"config_command": "check", "json": True}),
        (["local", "install-sqld"], {"command": "local", "local_command": "install-sqld"}),
        (["local", "serve"], {"local_command": "serve", "port": 8484, "demo_users": 3000}),
        (
            ["local", "serve", "--port", "9000", "--demo-users", "5"],
            {"port": 9000, "demo_users": 5},
        ),
        (["db", "list", "--json"], {"command": "db", "db_command": "list", "json": True}),
        (["db", "show", "app", "-y"], {"db_command": "show", "name": "app", "yes": True}),
        (["db", "usage"], {"db_command": "usage", "name": None}),
        (
            ["backup", "app", "--format", "db", "--dir", "/b", "--no-prune"],
            {"database": "app", "format": "db", "dir": "/b", "no_prune": True, "list": False},
        ),
        (
            ["import", "f.db", "--new", "x", "--group", "g", "--dry-run"],
            {"file": "f.db", "new": "x", "into": None, "group": "g", "dry_run": True},
        ),
        (
            ["token", "create", "app", "--expiration", "7d", "--read-only", "--write-env"],
            {"token_command": "create", "database": "app", "expiration": "7d", "write_env": True},
        ),
        (["token", "rotate", "--group", "g", "--yes"], {"token_command": "rotate", "group": "g"}),
        (["token", "decode", "--json"], {"token_command": "decode", "json": True}),
        (
            ["setup", "--non-interactive", "--replicas", "iad,fra", "--test-users"],
            {
                "command": "setup",
                "non_interactive": True,
                "replicas": "iad,fra",
                "group": "default",
            },
        ),
        (["replica", "status", "--json"], {"command": "replica", "replica_command": "status"}),
        (["replica", "reset", "-y"], {"replica_command": "reset", "yes": True}),
        (["--target", "local", "--read-only"], {"command": None, "target": "local"}),
    ],
)
def test_every_command_line_parses_as_before(argv: list[str], expected: dict[str, object]) -> None:
    args = parse(*argv)
    assert {k: args[k] for k in expected} == expected


def test_every_registered_command_has_a_module_that_declares_and_runs_it() -> None:
    names = [c.name for c in registry.COMMANDS]
    assert names == [
        "config", "local", "db", "restore", "backup", "import", "token", "setup", "replica",
        "group", "plan",
        "api-tokens", "org", "doctor", "migrate",
    ]  # fmt: skip
    for command in registry.COMMANDS:
        module = __import__(command.module, fromlist=["main"])
        assert callable(module.main), command.name
        if command.creates is None:
            assert callable(module.add_arguments), command.name


def test_only_the_command_run_is_imported() -> None:
    code = textwrap.dedent(
        """
        import sys
        from tursotui.cli.parser import COMMANDS, build_parser
        parser = build_parser()
        print("HELP", [c.module for c in COMMANDS if c.module in sys.modules])
        parser.parse_args(["db", "list"])
        print("DB", [c.module for c in COMMANDS if c.module in sys.modules])
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HELP []" in out.stdout  # the top-level help lists every command from the registry alone
    assert "DB ['tursotui.cli.db']" in out.stdout


def test_a_new_subcommand_is_one_module_and_one_registry_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hello_command.py").write_text(
        textwrap.dedent(
            """
            import argparse

            def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
                parser.add_argument("who")

            def main(args: argparse.Namespace) -> int:
                print(f"hello {args.who}, json={args.json}")
                return 0
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    line = registry.Command("hello", "hello_command", "say hello", shared=True)
    monkeypatch.setattr(registry, "COMMANDS", (*registry.COMMANDS, line))
    monkeypatch.setattr(registry, "BY_NAME", {**registry.BY_NAME, "hello": line})
    assert main(["hello", "world", "--json"]) == 0
    assert capsys.readouterr().out == "hello world, json=True\n"
    assert "say hello" in registry.build_parser().format_help()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError(None, "bad"), BAD_INPUT),
        (InputError("bad name"), BAD_INPUT),
        (OpsError("failed"), FAILED),
        (VerificationError("row counts differ"), FAILED),
        (PlatformError("down"), FAILED),
        (NotFound("no such database"), FAILED),
        (LibsqlError("refused"), FAILED),
        (SqldError("sqld died"), FAILED),
        (StateError("damaged state"), FAILED),
        (FileNotFoundError(2, "No such file or directory", "/x"), FAILED),
        (KeyboardInterrupt(), INTERRUPTED),
        (ValueError("a bug"), None),
        (RuntimeError("a bug"), None),
    ],
)
def test_one_table_maps_every_failure_to_its_exit_code(error: BaseException, code: int) -> None:
    assert exit_code(error) == code


def test_failures_say_one_line_and_carry_their_extra_fields() -> None:
    missing = failure(FileNotFoundError(2, "No such file or directory", "/x/y"))
    assert missing is not None and missing.message == "No such file or directory (/x/y)"
    clash = failure(ImportConflictError("2 conflicts", ["users: 2 rows"]))
    assert (
        clash is not None
        and clash.code == FAILED
        and clash.extra == {"conflicts": ["users: 2 rows"]}
    )
    stopped = failure(KeyboardInterrupt())
    assert stopped is not None and stopped.message == "interrupted: nothing was left half-done"
    assert failure(ValueError("a bug")) is None


def test_entry_maps_errors_of_commands_outside_the_context_through_the_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["local", "serve", "--port", "0"]) == BAD_INPUT
    assert "tursotui: configuration, key '--port': invalid port 0" in capsys.readouterr().err

    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("tursotui.cli.local._install_sqld", interrupted)
    assert main(["local", "install-sqld"]) == INTERRUPTED
    assert capsys.readouterr().err == "tursotui: interrupted: nothing was left half-done\n"

    def bug(args: argparse.Namespace) -> int:
        raise ValueError("a bug")

    monkeypatch.setattr("tursotui.cli.local._install_sqld", bug)
    with pytest.raises(ValueError, match="a bug"):  # not an expected failure: not hidden
        main(["local", "install-sqld"])
