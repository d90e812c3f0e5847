"""The command line: fast --version/--help, clear errors with exit code 2, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tursotui import __version__


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tursotui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_do_not_import_textual(flag: str) -> None:
    code = (
        "import sys\nfrom tursotui.entry import main\n"
        f"try:\n    main([{flag!r}])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'httpx', 'rich') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def test_version_output() -> None:
    assert _run("--version").stdout.strip() == f"tursotui {__version__}"


def test_help_says_local_turso_and_how_to_switch() -> None:
    out = _run("--help").stdout
    assert "local Turso" in out
    assert "TURSO_API_TOKEN" in out


def test_malformed_config_exits_2_without_traceback(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[turso]\ndatabase_name = \n")
    result = _run("--config", str(config), "config", "check")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{config}, line 2" in result.stderr
    assert config.read_text() == "[turso]\ndatabase_name = \n"


def test_cloud_without_token_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[tursotui]\ntarget = "cloud"\n')
    result = _run(
        "--config", str(config), "config", "check", env={"XDG_CONFIG_HOME": str(tmp_path)}
    )
    assert result.returncode == 2
    assert "TURSO_API_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_check_masks_tokens(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[turso]\norganization = "acme"\n')
    token = "eyJhbGciOiJFZERTQSJ9.secret-payload.signature"
    (tmp_path / ".env").write_text(f"TURSO_API_TOKEN={token}\n")
    result = _run("--config", str(config), "config", "check")
    assert result.returncode == 0, result.stderr
    assert token not in result.stdout
    assert "eyJh…" in result.stdout
    assert "target        cloud" in result.stdout
