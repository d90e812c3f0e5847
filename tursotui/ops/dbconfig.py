"""A database's configuration, shown and changed (headless: the CLI's ``db config`` and the console).

The values are checked here before anything is sent, as turso-cli checks them: on/off switches, a size
limit in bytes or with a unit (``256mb``, ``1gb``; ``none`` or ``0`` for no limit), and allowed IPs as IP
addresses or CIDR blocks (``db_allow_rules.go``: a list given replaces the one there, ``[]`` clears it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tursotui.ops.errors import InputError
from tursotui.platform import DatabaseConfiguration, PlatformClient
from tursotui.platform.allow_rules import invalid_ip_kind

SWITCHES = {"on": True, "off": False}
NO_LIMIT = "0"
"""The size limit that means none (what the API reports for a database without one)."""
_SIZE = re.compile(r"^\s*(\d+)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)


def switch(flag: str, value: str) -> bool:
    """``on``/``off`` for ``flag``, else :class:`InputError` naming both."""
    found = SWITCHES.get(value.strip().lower())
    if found is None:
        raise InputError(f"{flag} takes on or off, not {value!r}")
    return found


def size_limit(value: str) -> str:
    """``1gb``, ``256mb``, ``1000000`` (bytes); ``none`` or ``0``: no limit."""
    text = value.strip().lower()
    if text in ("none", "0"):
        return NO_LIMIT
    match = _SIZE.match(text)
    if match is None:
        raise InputError(
            f"--size-limit takes bytes or a size with a unit (kb, mb, gb), e.g. 256mb or 1gb, "
            f"or none; not {value!r}"
        )
    number, unit = match.groups()
    if int(number) == 0:
        return NO_LIMIT
    return f"{int(number)}{unit or ''}"


def allowed_ip(entry: str) -> str:
    """An IP address or a CIDR block, else :class:`InputError` naming it."""
    text = entry.strip()
    if (kind := invalid_ip_kind(text)) is not None:
        raise InputError(
            f"--allow-ip: invalid {kind} {entry!r}; give an IP address (203.0.113.7) or a CIDR "
            "block (10.0.0.0/8)"
        )
    return text


def limit_text(value: str | None) -> str:
    return "none" if value in (None, "", NO_LIMIT) else str(value)


def on_off(value: bool) -> str:
    return "on" if value else "off"


@dataclass(frozen=True)
class ConfigChange:
    """The fields to change; None leaves one as it is."""

    delete_protection: bool | None = None
    size_limit: str | None = None
    allowed_ips: tuple[str, ...] | None = None
    block_reads: bool | None = None
    block_writes: bool | None = None

    @classmethod
    def parse(
        cls,
        *,
        delete_protection: str | None = None,
        size_limit_text: str | None = None,
        allow_ips: Sequence[str] | None = None,
        allow_any_ip: bool = False,
        block_reads: str | None = None,
        block_writes: str | None = None,
    ) -> ConfigChange:
        """From the command line's text; every value checked (:class:`InputError` names the bad one)."""
        if allow_ips and allow_any_ip:
            raise InputError("--allow-ip and --allow-any-ip contradict each other: give one")
        ips: tuple[str, ...] | None = None
        if allow_ips:
            ips = tuple(dict.fromkeys(allowed_ip(entry) for entry in allow_ips))
        elif allow_any_ip:
            ips = ()
        return cls(
            delete_protection=None
            if delete_protection is None
            else switch("--delete-protection", delete_protection),
            size_limit=None if size_limit_text is None else size_limit(size_limit_text),
            allowed_ips=ips,
            block_reads=None if block_reads is None else switch("--block-reads", block_reads),
            block_writes=None if block_writes is None else switch("--block-writes", block_writes),
        )

    @property
    def empty(self) -> bool:
        return all(value is None for value in self.fields().values())

    def fields(self) -> dict[str, Any]:
        return {
            "delete_protection": self.delete_protection,
            "size_limit": self.size_limit,
            "allowed_ips": None if self.allowed_ips is None else list(self.allowed_ips),
            "block_reads": self.block_reads,
            "block_writes": self.block_writes,
        }

    def describe(self, current: DatabaseConfiguration) -> list[str]:
        """One line per field that changes: ``delete protection: off -> on``."""
        shown = dict(config_lines(current))
        after = dict(config_lines(self.applied_to(current)))
        return [
            f"{label}: {shown[label]} -> {after[label]}"
            for label in after
            if shown[label] != after[label]
        ]

    def applied_to(self, current: DatabaseConfiguration) -> DatabaseConfiguration:
        changes = {k: v for k, v in self.fields().items() if v is not None}
        if "allowed_ips" in changes:
            changes["allowed_ips"] = tuple(changes["allowed_ips"])
        return replace(current, **changes)


def config_lines(config: DatabaseConfiguration) -> list[tuple[str, str]]:
    """(label, value) pairs, as ``db config`` shows them."""
    return [
        ("delete protection", on_off(config.delete_protection)),
        ("size limit", limit_text(config.size_limit)),
        ("block reads", on_off(config.block_reads)),
        ("block writes", on_off(config.block_writes)),
        ("allowed IPs", ", ".join(config.allowed_ips) or "any"),
        ("allowed AWS VPC endpoints", ", ".join(config.allowed_aws_vpc_ids) or "any"),
    ]


def config_json(config: DatabaseConfiguration) -> dict[str, Any]:
    return {
        "delete_protection": config.delete_protection,
        "size_limit": None if limit_text(config.size_limit) == "none" else config.size_limit,
        "allow_attach": config.allow_attach,
        "block_reads": config.block_reads,
        "block_writes": config.block_writes,
        "allowed_ips": list(config.allowed_ips),
        "allowed_aws_vpc_ids": list(config.allowed_aws_vpc_ids),
    }


async def apply_change(
    platform: PlatformClient, name: str, change: ConfigChange
) -> DatabaseConfiguration:
    """PATCH only the fields that change; the server's answer is the configuration now."""
    fields = {k: v for k, v in change.fields().items() if v is not None}
    if not fields:
        raise InputError("nothing to change: give at least one setting")
    return await platform.update_database_configuration(name, **fields)
