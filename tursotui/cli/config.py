"""``tursotui config check [--json]``: validate config.toml and .env and show what would be used.

Every problem found is named (a broken config.toml does not hide a broken .env, a missing API token does not
hide a missing organization), each on its own line on stderr, or in ``problems`` with ``--json``; exit code 2
when there is any. Tokens and BYOK encryption keys (``TURSO_DB_REMOTE_ENCRYPTION_KEY[_<NAME>]``) are shown
masked.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field, replace
from typing import Any

from tursotui.cli.errors import BAD_INPUT, OK
from tursotui.config import (
    API_TOKEN,
    CliOptions,
    ConfigError,
    Settings,
    paths,
    read_env_file,
    resolve,
)
from tursotui.libsql.keys import KEY_VARIABLE, EncryptionKeys, encryption_keys
from tursotui.support.redact import Secrets, mask


def add_arguments(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    actions.add_parser(
        "check", parents=[common], help="validate config.toml and .env, show what would be used"
    )


@dataclass
class Check:
    options: CliOptions
    settings: Settings | None = None
    problems: list[ConfigError] = field(default_factory=list)
    keys: EncryptionKeys = field(default_factory=EncryptionKeys)

    @property
    def config_path(self) -> str:
        return str(
            self.settings.config_path if self.settings else paths.config_path(self.options.config)
        )

    @property
    def env_path(self) -> str:
        if self.settings is not None:
            return str(self.settings.env_path)
        return str(paths.env_path(self.options.env_file, paths.config_path(self.options.config)))


def check(options: CliOptions) -> Check:
    """Resolve the settings and collect every problem instead of stopping at the first."""
    found = Check(options)
    try:
        found.settings = resolve(options)
    except ConfigError as exc:
        found.problems.append(exc)
        if exc.path is None or str(exc.path) != found.env_path:  # .env on its own, too
            try:
                read_env_file(paths.env_path(options.env_file, paths.config_path(options.config)))
            except ConfigError as env_problem:
                found.problems.append(env_problem)
        return found
    settings = found.settings
    try:
        found.keys = encryption_keys(settings)
    except ConfigError as exc:
        found.problems.append(exc)
    if settings.target == "cloud":
        try:
            settings.require_cloud_credentials()
        except ConfigError as exc:
            found.problems.append(exc)
            if (
                exc.key == API_TOKEN
            ):  # the organization is checked after the token: check it as well
                try:
                    replace(
                        settings, api_token=settings.api_token or "-"
                    ).require_cloud_credentials()
                except ConfigError as org:
                    found.problems.append(org)
    return found


def _problem(error: ConfigError) -> dict[str, Any]:
    return {
        "message": str(error),
        "file": str(error.path) if error.path is not None else None,
        "line": error.line,
        "key": error.key,
        "problem": error.problem,
        "expected": error.expected,
    }


def _keys(keys: EncryptionKeys) -> dict[str, str]:
    """Each encryption key variable set, masked (the cipher variables as they are)."""
    return {
        name: mask(value) if name.startswith(KEY_VARIABLE) else value
        for name, value in sorted(keys.keys.items())
    }


def _used(settings: Settings, keys: EncryptionKeys) -> dict[str, Any]:
    return {
        "encryption_keys": _keys(keys),
        "config_found": settings.config_path.exists(),
        "env_found": settings.env_path.exists(),
        "data_dir": str(settings.data_dir),
        "target": settings.target,
        "organization": settings.organization or None,
        "database": settings.config.turso.database_name or None,
        "database_url": settings.database_url or None,
        "read_only": settings.read_only,
        "api_token": mask(settings.api_token) if settings.api_token else None,
        "auth_token": mask(settings.auth_token) if settings.auth_token else None,
    }


def _table(settings: Settings, keys: EncryptionKeys) -> list[str]:
    shown = ", ".join(f"{k} {v}" for k, v in _keys(keys).items())
    config = settings.config_path
    env = settings.env_path
    local = " (local Turso)" if settings.target == "local" else ""
    return [
        f"config file   {config}{'' if config.exists() else ' (not found: defaults)'}",
        f".env file     {env}{'' if env.exists() else ' (not found)'}",
        f"data dir      {settings.data_dir}",
        f"target        {settings.target}{local}",
        f"organization  {settings.organization or '-'}",
        f"database      {settings.config.turso.database_name or '-'}",
        f"database url  {settings.database_url or '-'}",
        f"read-only     {'yes' if settings.read_only else 'no'}",
        f"api token     {mask(settings.api_token)}",
        f"auth token    {mask(settings.auth_token)}",
        f"encryption    {shown or f'none ({KEY_VARIABLE}_<NAME> in the environment or .env)'}",
    ]


def main(args: argparse.Namespace) -> int:
    found = check(CliOptions.from_args(args))
    settings = found.settings
    secrets = Secrets([settings.api_token, settings.auth_token] if settings else [])
    secrets.add(*found.keys.secrets())
    messages = [" ".join(secrets.scrub(str(p)).split()) for p in found.problems]
    if args.json:
        body: dict[str, Any] = {
            "ok": not messages,
            "problems": [_problem(p) for p in found.problems],
            "config_file": found.config_path,
            "env_file": found.env_path,
            **(_used(settings, found.keys) if settings else {}),
        }
        if messages:  # as every command's --json failure, plus the list above
            body |= {"error": "; ".join(messages), "exit_code": BAD_INPUT}
        print(json.dumps(secrets.scrub_json(body), indent=2, sort_keys=True))
    elif settings is not None:
        for line in _table(settings, found.keys):
            print(secrets.scrub(line))
    for message in messages:
        print(f"tursotui: {message}", file=sys.stderr)
    return BAD_INPUT if messages else OK
