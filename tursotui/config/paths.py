"""Where tursotui keeps its files: flag > environment > platformdirs default."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP = "tursotui"


def config_path(flag: str | Path | None = None) -> Path:
    chosen = flag or os.environ.get("TURSOTUI_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    return user_config_path(APP) / "config.toml"


def env_path(flag: str | Path | None, config: Path) -> Path:
    chosen = flag or os.environ.get("TURSOTUI_ENV_FILE")
    if chosen:
        return Path(chosen).expanduser()
    return config.parent / ".env"


def data_dir(flag: str | Path | None = None) -> Path:
    chosen = flag or os.environ.get("TURSOTUI_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser()
    return user_data_path(APP)
