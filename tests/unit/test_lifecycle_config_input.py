"""Odd config.toml and .env inputs give the usual one message naming the file, exit 2, no traceback, and never
hang: nesting 500/3,000 deep, /dev/zero, a FIFO, a directory, a file over 1 MiB. Run as a real process (a
hang would be a timeout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fixtures.lifecycle import Setup


def _make(kind: str, root: Path, suffix: str) -> str:
    if kind == "/dev/zero":
        return "/dev/zero"
    path = root / f"input{suffix}"
    if kind == "fifo":
        os.mkfifo(path)  # nobody ever writes: a plain read would wait forever
    elif kind == "directory":
        path.mkdir()
    elif kind == "over 1 MiB":
        path.write_text("# padding\n" * 110_000)
    elif kind == "arrays 500 deep":
        path.write_text("a = " + "[" * 500 + "]" * 500 + "\n")
    elif kind == "inline tables 3,000 deep":
        path.write_text("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n")
    return str(path)


CONFIG_CASES = [
    "arrays 500 deep",
    "inline tables 3,000 deep",
    "/dev/zero",
    "fifo",
    "directory",
    "over 1 MiB",
]


@pytest.mark.parametrize("kind", CONFIG_CASES)
def test_a_bad_config_file_is_one_message_and_exit_2(tmp_path: Path, kind: str) -> None:
    setup = Setup(tmp_path)
    config = _make(kind, tmp_path, ".toml")
    for args in (["config", "check"], ["db", "list", "--json"]):
        done = setup.run("--config", config, *args, timeout=30)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(f"tursotui: {config}: ")
    assert not setup.data.exists()  # nothing was started


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "directory", "over 1 MiB"])
def test_a_bad_env_file_is_one_message_and_exit_2(tmp_path: Path, kind: str) -> None:
    setup = Setup(tmp_path)
    setup.config.touch()
    env_file = _make(kind, tmp_path, ".env")
    done = setup.run("--env-file", env_file, "config", "check", timeout=30)
    # Setup.argv names its own --env-file first; the last one given wins.
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"tursotui: {env_file}: ")
