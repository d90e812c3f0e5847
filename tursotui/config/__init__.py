"""config.toml (the xSwarm guide's layout plus `[tursotui]`), .env secrets, and their precedence."""

from tursotui.config.envfile import API_TOKEN, AUTH_TOKEN, read_env_file, write_env_file
from tursotui.config.errors import ConfigError
from tursotui.config.load import load_config
from tursotui.config.schema import Config
from tursotui.config.settings import CliOptions, Settings, resolve
from tursotui.config.write import update_config

__all__ = [
    "API_TOKEN",
    "AUTH_TOKEN",
    "CliOptions",
    "Config",
    "ConfigError",
    "Settings",
    "load_config",
    "read_env_file",
    "resolve",
    "update_config",
    "write_env_file",
]
