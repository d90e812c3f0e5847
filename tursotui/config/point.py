"""Pointing config.toml and .env at a database: the one writer behind setup, the local demo org,
the restore wizard and `token create --write-env`.

Only what changes is written: config keys whose value differs, and the database token in .env. An
existing, non-empty file is backed up before it is rewritten (an empty one has nothing to lose), and
the answer says where each backup went, so every caller can tell the user.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tursotui.config.envfile import AUTH_TOKEN, read_env_file, write_env_file
from tursotui.config.write import update_config


@dataclass(frozen=True)
class Pointed:
    """What :func:`point_at_database` wrote, and the backups it kept."""

    config_keys: tuple[str, ...] = ()
    """The config.toml keys it set (those whose value changed)."""
    env_written: bool = False
    config_backup: Path | None = None
    env_backup: Path | None = None

    @property
    def changed(self) -> bool:
        return bool(self.config_keys) or self.env_written

    @property
    def backups(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.config_backup, self.env_backup) if p is not None)


def point_at_database(
    config_path: Path | None,
    env_path: Path | None,
    *,
    config: Mapping[str, Any] | None = None,
    token: str | None = None,
) -> Pointed:
    """Set the dotted ``config`` keys (``{"turso.database_url": …}``) that differ in config.toml and
    ``TURSO_AUTH_TOKEN`` in .env; either file may be left out (None path, or nothing to set)."""
    keys: tuple[str, ...] = ()
    config_backup = env_backup = None
    if config_path is not None and config:
        current = _current_values(config_path)
        updates = {k: v for k, v in config.items() if current.get(k, _MISSING) != v}
        if updates:
            config_backup = update_config(config_path, updates, backup=has_content(config_path))
            keys = tuple(sorted(updates))
    env_written = False
    if (
        env_path is not None
        and token is not None
        and read_env_file(env_path).get(AUTH_TOKEN) != token
    ):
        env_backup = write_env_file(env_path, {AUTH_TOKEN: token}, backup=has_content(env_path))
        env_written = True
    return Pointed(keys, env_written, config_backup, env_backup)


_MISSING = object()


def _current_values(path: Path) -> dict[str, Any]:
    """The file's values by dotted key (empty when it is missing; a broken file is named by the
    write that follows, which validates it)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return {}
    flat: dict[str, Any] = {}

    def walk(prefix: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if isinstance(value, Mapping):
                walk(dotted, value)
            else:
                flat[dotted] = value

    walk("", document)
    return flat


def has_content(path: Path) -> bool:
    """An existing, non-empty file: rewriting it keeps a backup (an empty one has nothing to lose)."""
    try:
        return path.stat().st_size > 0
    except OSError:
        return False
