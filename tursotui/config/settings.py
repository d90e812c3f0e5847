"""Resolve what tursotui runs with. Precedence: CLI flag > environment > .env > config.toml > default."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tursotui.config import paths
from tursotui.config.envfile import API_TOKEN, AUTH_TOKEN, read_env_file
from tursotui.config.errors import ConfigError
from tursotui.config.load import load_config
from tursotui.config.schema import Config, Target, database_url
from tursotui.support.redact import mask


@dataclass(frozen=True)
class CliOptions:
    """What the command line said; None means "not given"."""

    config: str | None = None
    env_file: str | None = None
    data_dir: str | None = None
    target: Target | None = None
    read_only: bool | None = None
    database_url: str | None = None
    organization: str | None = None
    api_token: str | None = None
    auth_token: str | None = None
    config_may_be_missing: bool = False
    """True for commands that create config.toml (setup): a named but missing file is fine."""

    @classmethod
    def from_args(cls, args: Any) -> CliOptions:
        """The global options of a parsed command line (argparse's Namespace), for the CLI and the
        console alike."""
        return cls(
            config=args.config,
            env_file=args.env_file,
            data_dir=args.data_dir,
            target=args.target,
            read_only=args.read_only,
            database_url=args.database_url,
            organization=args.organization,
            config_may_be_missing=getattr(args, "command", None) == "setup",
        )


@dataclass(frozen=True)
class Settings:
    config: Config
    config_path: Path
    env_path: Path
    data_dir: Path
    target: Target
    read_only: bool
    database_url: str
    organization: str
    api_token: str | None
    auth_token: str | None

    def __repr__(self) -> str:
        return (
            f"Settings(target={self.target!r}, organization={self.organization!r}, "
            f"database_url={self.database_url!r}, read_only={self.read_only}, "
            f"api_token={mask(self.api_token)!r}, auth_token={mask(self.auth_token)!r})"
        )

    @property
    def backup_directory(self) -> Path:
        """``[turso.backup] directory``, default ``<data_dir>/backups``."""
        configured = self.config.turso.backup.directory
        return Path(configured).expanduser() if configured else self.data_dir / "backups"

    def require_cloud_credentials(self) -> None:
        if not self.api_token:
            raise ConfigError(
                self.env_path,
                "Turso Cloud needs a Platform API token",
                key=API_TOKEN,
                expected="TURSO_API_TOKEN in the environment or .env (`turso auth api-tokens mint tursotui`)",
            )
        if not self.organization:
            raise ConfigError(
                self.config_path,
                "Turso Cloud needs an organization",
                key="turso.organization",
                expected="your org slug, as in libsql://<db>-<org>.turso.io",
            )


def _pick(
    name: str,
    sources: list[tuple[str, Mapping[str, Any]]],
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """The first source that has ``name``; values from text sources are checked."""
    for label, source in sources:
        value = source.get(name)
        if value is None or value == "":
            continue
        if check is not None:
            try:
                return check(value)
            except ValueError as exc:
                raise ConfigError(
                    label, f"invalid value {value!r}", key=name, expected=str(exc)
                ) from None
        return value
    return None


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("true or false")


def _parse_target(value: Any) -> Target:
    if value in ("cloud", "local"):
        return "cloud" if value == "cloud" else "local"
    raise ValueError('"cloud" or "local"')


def resolve(cli: CliOptions | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    cli = cli or CliOptions()
    env = os.environ if environ is None else environ
    config_path = paths.config_path(cli.config)
    env_path = paths.env_path(cli.env_file, config_path)
    named = cli.config is not None or "TURSOTUI_CONFIG" in env
    config = load_config(config_path, missing_ok=cli.config_may_be_missing or not named)
    dotenv = read_env_file(env_path)
    cfg_turso = config.turso
    cfg_tui = config.tursotui
    flag = {
        "TURSO_API_TOKEN": cli.api_token,
        "TURSO_AUTH_TOKEN": cli.auth_token,
        "TURSO_DATABASE_URL": cli.database_url,
        "TURSO_ORGANIZATION": cli.organization,
        "TURSOTUI_TARGET": cli.target,
        "TURSOTUI_READ_ONLY": cli.read_only,
    }
    from_config = {
        "TURSO_DATABASE_URL": cfg_turso.database_url,
        "TURSO_ORGANIZATION": cfg_turso.organization,
        "TURSOTUI_TARGET": cfg_tui.target,
        "TURSOTUI_READ_ONLY": cfg_tui.read_only,
    }
    sources: list[tuple[str, Mapping[str, Any]]] = [
        ("command line", flag),
        ("environment", env),
        (str(env_path), dotenv),
        (str(config_path), from_config),
    ]
    api_token = _pick(API_TOKEN, sources)
    organization = _pick("TURSO_ORGANIZATION", sources) or ""
    target = _pick("TURSOTUI_TARGET", sources, _parse_target)
    if target is None:
        target = "cloud" if api_token and organization else "local"
    return Settings(
        config=config,
        config_path=config_path,
        env_path=env_path,
        data_dir=paths.data_dir(cli.data_dir),
        target=target,
        read_only=bool(_pick("TURSOTUI_READ_ONLY", sources, _parse_bool)),
        database_url=_pick("TURSO_DATABASE_URL", sources, database_url) or "",
        organization=organization,
        api_token=api_token,
        auth_token=_pick(AUTH_TOKEN, sources),
    )
