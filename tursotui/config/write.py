"""Update config.toml with tomlkit: the user's comments, order and formatting survive. tomlkit is imported by
:func:`update_config` only: reading config.toml (every start) is stdlib ``tomllib``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tursotui.config.errors import ConfigError
from tursotui.config.load import parse_toml, validate
from tursotui.config.schema import SCHEMA, SECRET_KEYS
from tursotui.support.atomic import atomic_write, backup_copy

if TYPE_CHECKING:
    from tomlkit.container import OutOfOrderTableProxy
    from tomlkit.items import Table
    from tomlkit.toml_document import TOMLDocument


def _toml_value(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _table(doc: TOMLDocument, dotted: str, path: Path) -> Table | OutOfOrderTableProxy:
    import tomlkit
    from tomlkit.container import OutOfOrderTableProxy
    from tomlkit.items import Table

    node: Any = doc
    for part in dotted.split("."):
        if part not in node:
            node[part] = tomlkit.table(is_super_table=False)
        node = node[part]
    # A table whose sub-tables come later in the file ([turso], [tursotui], [turso.backup]) is
    # an out-of-order proxy in tomlkit: valid TOML, and writable like a table.
    if not isinstance(node, Table | OutOfOrderTableProxy):
        raise ConfigError(path, "is not a table", key=dotted)
    return node


def update_config(path: Path, updates: Mapping[str, Any], *, backup: bool = False) -> Path | None:
    """Set ``{"turso.database_url": ..., "tursotui.theme": ...}`` in ``path``.

    Every value is checked against the schema first; the existing file must be valid;
    the result is re-validated before it atomically replaces the file. Secrets are refused.
    """
    import tomlkit

    parsed: dict[str, tuple[str, str, Any]] = {}
    for dotted, value in updates.items():
        table, _, key = dotted.rpartition(".")
        if key.lower() in SECRET_KEYS:
            raise ConfigError(
                path,
                "secrets are never written to config.toml",
                key=dotted,
                expected="the token in .env (TURSO_AUTH_TOKEN / TURSO_API_TOKEN)",
            )
        check = SCHEMA.get(table, {}).get(key)
        if check is None:
            raise ConfigError(path, "unknown key", key=dotted)
        try:
            check(_toml_value(value))
        except ValueError as exc:
            raise ConfigError(
                path, f"invalid value {value!r}", key=dotted, expected=str(exc)
            ) from None
        parsed[dotted] = (table, key, _toml_value(value))

    if path.exists():
        text, _ = parse_toml(path)
        validate(tomllib.loads(text), path, text)
        try:
            doc = tomlkit.parse(text)
        except RecursionError:
            raise ConfigError(path, "malformed TOML: nested too deeply to rewrite") from None
    else:
        doc = tomlkit.document()
    for table, key, value in parsed.values():
        _table(doc, table, path)[key] = value
    new_text = tomlkit.dumps(doc)
    validate(tomllib.loads(new_text), path, new_text)
    saved = backup_copy(path) if backup else None
    atomic_write(path, new_text.encode("utf-8"))
    return saved
