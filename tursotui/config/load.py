"""Read and validate config.toml (tomllib: fast, strict) into :class:`Config`."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from tursotui.config.errors import ConfigError
from tursotui.config.schema import (
    SCHEMA,
    SECRET_KEYS,
    BackupConfig,
    Config,
    LocalReplicaConfig,
    TuiConfig,
    TursoConfig,
)

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\s*(#.*)?$")


def line_of(text: str, table: str, key: str | None) -> int | None:
    """Best-effort line number of ``key`` inside ``[table]`` (or of the header itself)."""
    current = ""
    for number, raw in enumerate(text.split("\n"), start=1):
        header = _HEADER.match(raw)
        if header:
            current = header.group(1).replace('"', "").replace(" ", "")
            if key is None and current == table:
                return number
            continue
        if key is not None and current == table:
            stripped = raw.strip()
            if re.match(rf"^\"?{re.escape(key)}\"?\s*=", stripped):
                return number
    return None


MAX_FILE_BYTES = 1024 * 1024
"""config.toml and .env are a few hundred bytes: anything over 1 MiB is refused, unread."""


def read_config_file(path: Path, expected: str) -> bytes:
    """The bytes of the regular file ``path`` (at most :data:`MAX_FILE_BYTES`), or a ConfigError.

    Never blocks and never reads without end: a FIFO, /dev/zero, a directory or a huge file is refused with a
    message (``/dev/null`` reads as empty)."""
    if os.path.realpath(path) == os.devnull:
        return b""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ConfigError(path, f"is {kind}", expected=expected)
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError(
                path, f"is too large ({info.st_size:,} bytes)", expected=f"{expected} under 1 MiB"
            )
        with os.fdopen(os.dup(fd), "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(path, f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:  # it grew while being read
        raise ConfigError(path, "is too large", expected=f"{expected} under 1 MiB")
    return raw


def parse_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and parsed document, or a ConfigError naming the line."""
    raw = read_config_file(path, "a TOML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, "is not UTF-8 text", expected="a TOML file") from None
    try:
        return text, tomllib.loads(text)
    except RecursionError:
        raise ConfigError(
            path, "malformed TOML: arrays or tables nested too deeply", expected="a TOML file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS.search(message)
        line = int(match.group(1)) if match else None
        problem = _TOML_POS.sub("", message).strip() or "invalid TOML"
        raise ConfigError(path, f"malformed TOML: {problem}", line=line) from None


def _tables(doc: dict[str, Any], path: Path, text: str) -> dict[str, dict[str, Any]]:
    """Flatten the document into {"turso": {...}, "turso.backup": {...}, ...}, rejecting strays."""
    found: dict[str, dict[str, Any]] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        scalars: dict[str, Any] = {}
        for key, value in table.items():
            dotted = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict) and dotted in SCHEMA:
                walk(dotted, value)
            elif prefix in SCHEMA:
                scalars[key] = value
            else:
                raise ConfigError(
                    path,
                    f"unknown table '[{dotted}]'",
                    line=line_of(text, dotted, None) or line_of(text, prefix, key),
                    expected="tables " + ", ".join(f"[{t}]" for t in SCHEMA),
                )
        if prefix:
            found[prefix] = scalars

    walk("", doc)
    return found


def validate(doc: dict[str, Any], path: Path, text: str = "") -> Config:
    """Check every key and value; the first problem raises a ConfigError."""
    values: dict[str, dict[str, Any]] = {}
    for table, entries in _tables(doc, path, text).items():
        checks = SCHEMA[table]
        converted: dict[str, Any] = {}
        for key, value in entries.items():
            dotted = f"{table}.{key}"
            line = line_of(text, table, key)
            if key.lower() in SECRET_KEYS:
                raise ConfigError(
                    path,
                    "secrets do not belong in config.toml",
                    key=dotted,
                    line=line,
                    expected="TURSO_AUTH_TOKEN / TURSO_API_TOKEN in .env or the environment",
                )
            check = checks.get(key)
            if check is None:
                raise ConfigError(
                    path,
                    "unknown key",
                    key=dotted,
                    line=line,
                    expected="one of " + ", ".join(checks),
                )
            try:
                converted[key] = check(value)
            except ValueError as exc:
                raise ConfigError(
                    path, f"invalid value {value!r}", key=dotted, line=line, expected=str(exc)
                ) from None
        values[table] = converted
    return build(values)


def build(values: dict[str, dict[str, Any]]) -> Config:
    turso = TursoConfig(
        **values.get("turso", {}),
        local_replica=replace(LocalReplicaConfig(), **values.get("turso.local_replica", {})),
        backup=replace(BackupConfig(), **values.get("turso.backup", {})),
    )
    return Config(turso=turso, tursotui=replace(TuiConfig(), **values.get("tursotui", {})))


def load_config(path: Path, *, missing_ok: bool = True) -> Config:
    """Load ``path``; a missing file gives the defaults when ``missing_ok``."""
    if missing_ok and not path.exists():
        return Config()
    text, doc = parse_toml(path)
    return validate(doc, path, text)
