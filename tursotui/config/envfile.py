"""Secrets in .env (python-dotenv's parser), written atomically with mode 0600."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path

from tursotui.config.errors import ConfigError
from tursotui.config.load import read_config_file
from tursotui.support.atomic import atomic_write, backup_copy

AUTH_TOKEN = "TURSO_AUTH_TOKEN"  # noqa: S105 - the database token, as in the xSwarm guide
API_TOKEN = "TURSO_API_TOKEN"  # noqa: S105 - the Platform API token, as the Turso CLI reads it
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LINE_KEY = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=")


def _text(path: Path) -> str:
    try:
        return read_config_file(path, "KEY=value lines").decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, "is not UTF-8 text", expected="KEY=value lines") from None


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value pairs of ``path`` ({} when missing); a malformed line raises ConfigError."""
    if not path.exists():
        return {}
    # python-dotenv's package imports logging, tempfile…: imported only when a .env is read
    from dotenv.parser import parse_stream

    values: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(_text(path))):
        if binding.error:
            snippet = binding.original.string.strip()[:40]
            raise ConfigError(
                path,
                f"cannot parse {snippet!r}",
                line=binding.original.line,
                expected="KEY=value, with quotes around values containing spaces or '#'",
            )
        if binding.key is not None and binding.value is not None:
            values[binding.key] = binding.value
    return values


def _quote(value: str) -> str:
    if "\n" in value or "\r" in value or "\x00" in value:
        raise ValueError("a single-line value")
    if re.fullmatch(r"[A-Za-z0-9_./:@+=,~-]*", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_env_file(
    path: Path, updates: Mapping[str, str | None], *, backup: bool = False
) -> Path | None:
    """Set (or with None, remove) keys in ``path``; every other line is kept as it was.

    The file is written atomically with mode 0600. Returns the backup's path when
    ``backup`` is set and a previous file existed.
    """
    for key, value in updates.items():
        if not _KEY.match(key):
            raise ConfigError(
                path, "invalid variable name", key=key, expected="[A-Za-z_][A-Za-z0-9_]*"
            )
        if value is not None:
            try:
                _quote(value)
            except ValueError as exc:
                raise ConfigError(path, "invalid value", key=key, expected=str(exc)) from None
    old = _text(path) if path.exists() else ""
    read_env_file(path)  # refuse to rewrite a file we cannot parse
    pending = dict(updates)
    lines: list[str] = []
    old_lines = old.split("\n")  # not splitlines(): values may hold \x1e, \x85, \u2028 ...
    if old_lines and old_lines[-1] == "":
        old_lines.pop()
    for line in old_lines:
        match = _LINE_KEY.match(line)
        if match and match.group(1) in updates:
            key = match.group(1)
            if key in pending and pending[key] is not None:
                lines.append(f"{key}={_quote(pending[key] or '')}")
            pending.pop(key, None)
            continue
        lines.append(line)
    lines.extend(f"{key}={_quote(value)}" for key, value in pending.items() if value is not None)
    saved = backup_copy(path) if backup else None
    if saved is not None:
        saved.chmod(0o600)  # it holds secrets, whatever the old file's mode was
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"), mode=0o600)
    return saved
