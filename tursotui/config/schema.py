"""The config.toml layout: the seed's `[turso]` tables plus tursotui's own `[tursotui]` table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from tursotui.support.loopback import is_loopback_host
from tursotui.support.names import parse_duration

Target = Literal["cloud", "local"]
TARGETS: tuple[Target, ...] = ("cloud", "local")
THEMES = (
    "auto",
    "textual-dark",
    "textual-light",
    "ansi-dark",
    "ansi-light",
    "nord",
    "gruvbox",
    "dracula",
    "monokai",
    "tokyo-night",
    "solarized-light",
)
# The local Turso's profile (tursotui.local.control.profile; a unit test keeps the two lists equal).
LOCAL_PLANS = ("starter", "developer", "scaler", "pro", "enterprise")
LOCAL_PLATFORMS = ("fly", "aws")
# Keys that hold secrets: they belong in .env, never in config.toml.
SECRET_KEYS = frozenset({"auth_token", "api_token", "token", "turso_auth_token", "turso_api_token"})


@dataclass(frozen=True)
class LocalReplicaConfig:
    enabled: bool = False
    sync_interval_seconds: int = 60
    local_db_path: Path = field(
        default_factory=lambda: Path("~/.local/share/xswarm/users.db").expanduser()
    )


@dataclass(frozen=True)
class BackupConfig:
    enabled: bool = False
    retention_days: int = 30
    directory: Path | None = None


@dataclass(frozen=True)
class TursoConfig:
    database_name: str = ""
    organization: str = ""
    database_url: str = ""
    primary_region: str = ""
    replica_regions: tuple[str, ...] = ()
    local_replica: LocalReplicaConfig = field(default_factory=LocalReplicaConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)


@dataclass(frozen=True)
class TuiConfig:
    target: Target | None = None  # None: cloud when credentials exist, else local
    refresh_interval_seconds: float = 5.0
    theme: str = "auto"
    """``auto``: textual-dark, or ansi-dark on a 16-colour terminal (textual-dark's orange titles would turn
    bright red there, and read like errors)."""
    read_only: bool = False
    local_recovery_interval_seconds: int = 60
    token_expiration: str = "90d"  # noqa: S105 - a lifetime, not a secret
    """Lifetime of the tokens tursotui mints for itself (the demo org's, setup's, restore's)."""
    local_plan: str | None = None
    """The local Turso's plan; None keeps what its data dir recorded (starter at first)."""
    local_overages: bool | None = None
    local_platform: str | None = None
    migrations_dir: Path | None = None
    """Where ``tursotui migrate`` finds its numbered SQL files (a relative path is from config.toml's folder);
    None: ``--dir`` must say."""


@dataclass(frozen=True)
class Config:
    turso: TursoConfig = field(default_factory=TursoConfig)
    tursotui: TuiConfig = field(default_factory=TuiConfig)


# --- value checks: each returns the converted value or raises ValueError(expected) ---


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError("true or false")


def _int_range(lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(f"a whole number from {lo} to {hi}")
        return value

    return check


def _float_range(lo: float, hi: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ValueError(f"a number of seconds from {lo:g} to {hi:g}")
        return float(value)

    return check


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _name(value: Any) -> str:
    text = _str(value)
    if text and not all(c.isalnum() or c in "-_" for c in text):
        raise ValueError("letters, digits, '-' or '_' only")
    return text


def _location(value: Any) -> str:
    text = _str(value)
    if text and not all(c.isalnum() or c == "-" for c in text):
        raise ValueError("a location code such as 'sjc' or 'aws-us-east-1'")
    return text


def _locations(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError('a list of location codes such as ["iad", "fra"]')
    return tuple(_location(item) for item in value)


def _path(value: Any) -> Path:
    text = _str(value)
    if not text.strip():
        raise ValueError("a file path")
    return Path(text).expanduser()


def _dir_or_empty(value: Any) -> Path | None:
    text = _str(value)
    return Path(text).expanduser() if text.strip() else None


def database_url(value: Any) -> str:
    """A libSQL database URL: libsql:// or https://, or http:// to a loopback host."""
    text = _str(value).strip()
    if not text:
        return ""
    expected = "a URL such as libsql://xswarm-users-your-org.turso.io (http:// only for 127.0.0.1)"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(expected) from None
    del port
    if parts.scheme not in ("libsql", "https", "http", "wss", "ws") or not parts.hostname:
        raise ValueError(expected)
    if parts.scheme in ("http", "ws") and not is_loopback_host(parts.hostname):
        raise ValueError(expected)
    return text


def _target(value: Any) -> Target:
    if value == "cloud":
        return "cloud"
    if value == "local":
        return "local"
    raise ValueError('"cloud" or "local"')


def _expiration(value: Any) -> str:
    text = _str(value)
    try:
        parse_duration(text)
    except ValueError:
        raise ValueError("a token lifetime such as 90d, 2w1d30m or never") from None
    return text.strip().lower()


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("one of " + ", ".join(f'"{c}"' for c in choices))
        return str(value)

    return check


def _theme(value: Any) -> str:
    text = _str(value)
    if text not in THEMES:
        raise ValueError("one of " + ", ".join(THEMES))
    return text


# table path -> key -> check.  Order is the documented order.
SCHEMA: dict[str, dict[str, Callable[[Any], Any]]] = {
    "turso": {
        "database_name": _name,
        "organization": _name,
        "database_url": database_url,
        "primary_region": _location,
        "replica_regions": _locations,
    },
    "turso.local_replica": {
        "enabled": _bool,
        "sync_interval_seconds": _int_range(1, 86_400),
        "local_db_path": _path,
    },
    "turso.backup": {
        "enabled": _bool,
        "retention_days": _int_range(1, 3650),
        "directory": _dir_or_empty,
    },
    "tursotui": {
        "target": _target,
        "refresh_interval_seconds": _float_range(0.5, 3600),
        "theme": _theme,
        "read_only": _bool,
        "local_recovery_interval_seconds": _int_range(5, 86_400),
        "token_expiration": _expiration,
        "local_plan": _one_of(LOCAL_PLANS),
        "local_overages": _bool,
        "local_platform": _one_of(LOCAL_PLATFORMS),
        "migrations_dir": _dir_or_empty,
    },
}
