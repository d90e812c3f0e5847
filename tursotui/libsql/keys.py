"""BYOK encryption keys of Turso Cloud databases (``remote_encryption``), from the environment or ``.env``.

A database created with ``remote_encryption`` (Pro and Enterprise plans) answers only requests that carry its
key in the ``x-turso-encryption-key`` header (the official clients send it on every request), and a branch
or a point-in-time restore of it needs the same key in ``remote_encryption.encryption_key``. The key is a
secret like a token: it is read from the environment or ``.env`` only (never config.toml), masked wherever
it could be shown, never logged or put on a command line.

The variables (turso-cli reads ``TURSO_DB_REMOTE_ENCRYPTION_KEY`` for its ``--remote-encryption-key``):

- ``TURSO_DB_REMOTE_ENCRYPTION_KEY_<NAME>``: database NAME's key (NAME upper-cased, ``-`` as ``_``:
  ``TURSO_DB_REMOTE_ENCRYPTION_KEY_XSWARM_USERS``);
- ``TURSO_DB_REMOTE_ENCRYPTION_KEY``: the configured database's (``[turso] database_name``), as turso-cli
  reads it for the database a command names;
- ``TURSO_DB_REMOTE_ENCRYPTION_CIPHER[_<NAME>]``: the cipher a NEW database (an upload) is encrypted with
  (default ``aes256gcm``); a branch or restore takes its source's.

:func:`encryption_keys` reads them once per session; ``tursotui.ops.session_tokens.sql_client`` is the one
place a Hrana client is made for a database, with its key.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tursotui.config.errors import ConfigError

if TYPE_CHECKING:
    from tursotui.config import Settings

KEY_VARIABLE = "TURSO_DB_REMOTE_ENCRYPTION_KEY"
CIPHER_VARIABLE = "TURSO_DB_REMOTE_ENCRYPTION_CIPHER"
KEY_HEADER = "x-turso-encryption-key"
CIPHER_HEADER = "x-turso-encryption-cipher"
DEFAULT_CIPHER = "aes256gcm"
CIPHER_KEY_BYTES: dict[str, int] = {
    "aes256gcm": 32,
    "aes128gcm": 16,
    "chacha20poly1305": 32,
    "aegis128l": 16,
    "aegis128x2": 16,
    "aegis128x4": 16,
    "aegis256": 32,
    "aegis256x2": 32,
    "aegis256x4": 32,
}
"""The ciphers of the spec's ``remote_encryption.encryption_cipher`` and their key sizes (the spec: 32 bytes
for aes256gcm, chacha20poly1305 and the aegis256 variants, 16 for aes128gcm and the aegis128 variants)."""
HOW_TO_MAKE = "openssl rand -base64 32"


def variable_for(database: str, base: str = KEY_VARIABLE) -> str:
    """``TURSO_DB_REMOTE_ENCRYPTION_KEY_XSWARM_USERS`` for ``xswarm-users``."""
    return f"{base}_{database.upper().replace('-', '_')}"


def key_problem(value: str, cipher: str | None = None) -> str | None:
    """Why ``value`` is not a usable key (base64; 16 or 32 bytes, the size ``cipher`` takes), or None."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    sizes = {CIPHER_KEY_BYTES[cipher]} if cipher in CIPHER_KEY_BYTES else {16, 32}
    if len(raw) not in sizes:
        wanted = " or ".join(str(s) for s in sorted(sizes))
        return f"decodes to {len(raw)} bytes, not {wanted}" + (f" ({cipher})" if cipher else "")
    return None


def cipher_problem(value: str) -> str | None:
    if value in CIPHER_KEY_BYTES:
        return None
    return f"unknown cipher {value!r}: use one of {', '.join(CIPHER_KEY_BYTES)}"


@dataclass(frozen=True)
class RemoteEncryption:
    """A database's ``remote_encryption``: its key (base64) and, when known, its cipher."""

    key: str = field(repr=False)
    cipher: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The Platform API's ``remote_encryption`` object (the cipher left out when a fork derives it)."""
        body: dict[str, Any] = {"encryption_key": self.key}
        if self.cipher:
            body["encryption_cipher"] = self.cipher
        return body

    def upload_headers(self) -> dict[str, str]:
        """What ``POST /v1/upload`` carries for an encrypted database (turso-cli's upload headers)."""
        return {KEY_HEADER: self.key, CIPHER_HEADER: self.cipher or DEFAULT_CIPHER}


@dataclass(frozen=True)
class EncryptionKeys:
    """The keys a session knows, by database name. Empty: no database is encrypted."""

    keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Variable name → value, the ``TURSO_DB_REMOTE_ENCRYPTION_*`` ones only."""
    configured: str = ""
    """The configured database (``[turso] database_name``), whose key may be the unsuffixed variable."""

    def _value(self, base: str, database: str) -> str | None:
        own = self.keys.get(variable_for(database, base))
        if own:
            return own.strip()
        if database and database == self.configured:
            found = self.keys.get(base)
            return found.strip() if found else None
        return None

    def key_for(self, database: str) -> str | None:
        """The key of ``database`` (base64), or None when it has none here."""
        return self._value(KEY_VARIABLE, database)

    def cipher_for(self, database: str) -> str | None:
        return self._value(CIPHER_VARIABLE, database)

    def encryption_for(self, database: str) -> RemoteEncryption | None:
        key = self.key_for(database)
        return None if key is None else RemoteEncryption(key, self.cipher_for(database))

    def secrets(self) -> list[str]:
        """Every key value, for the run's redaction (:class:`tursotui.support.redact.Secrets`)."""
        # Both the value as set and as sent (stripped): a quoted .env value with a newline is still masked.
        found = {
            x for k, v in self.keys.items() if k.startswith(KEY_VARIABLE) for x in (v, v.strip())
        }
        return sorted(x for x in found if x)

    def adding(self, database: str, encryption: RemoteEncryption) -> EncryptionKeys:
        """These keys and ``database``'s (a copy made with a source's key: a branch, a restore)."""
        keys = dict(self.keys)
        keys[variable_for(database)] = encryption.key
        if encryption.cipher:
            keys[variable_for(database, CIPHER_VARIABLE)] = encryption.cipher
        return EncryptionKeys(keys, configured=self.configured)

    def variable(self, database: str) -> str:
        """The variable to set for ``database``'s key (named in messages)."""
        return variable_for(database)

    @classmethod
    def from_sources(
        cls, sources: list[tuple[str, Mapping[str, str]]], *, configured: str = ""
    ) -> EncryptionKeys:
        """The ``TURSO_DB_REMOTE_ENCRYPTION_*`` variables of ``sources`` ((label, mapping), the first
        source wins: the environment, then ``.env``), each checked: a bad one raises ConfigError naming it."""
        found: dict[str, str] = {}
        labels: dict[str, str] = {}
        for label, source in sources:
            for name, value in source.items():
                if name.startswith((KEY_VARIABLE, CIPHER_VARIABLE)) and value and name not in found:
                    found[name], labels[name] = value, label
        for name, value in found.items():
            if name.startswith(CIPHER_VARIABLE):
                problem = cipher_problem(value.strip())
                if problem:
                    raise ConfigError(labels[name], problem, key=name, expected="a cipher name")
                continue
            cipher = found.get(CIPHER_VARIABLE + name[len(KEY_VARIABLE) :], "").strip() or None
            problem = key_problem(value, cipher)
            if problem:  # the value itself is never quoted
                raise ConfigError(
                    labels[name],
                    f"the encryption key {problem}",
                    key=name,
                    expected=f"a base64 key, e.g. from `{HOW_TO_MAKE}`",
                )
        return cls(found, configured=configured)


def encryption_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> EncryptionKeys:
    """The keys of ``settings``' session: the environment first, then its ``.env``."""
    from tursotui.config.envfile import read_env_file

    env = os.environ if environ is None else environ
    sources: list[tuple[str, Mapping[str, str]]] = [
        ("environment", env),
        (str(settings.env_path), read_env_file(settings.env_path)),
    ]
    return EncryptionKeys.from_sources(sources, configured=settings.config.turso.database_name)


__all__ = [
    "CIPHER_HEADER",
    "CIPHER_KEY_BYTES",
    "CIPHER_VARIABLE",
    "DEFAULT_CIPHER",
    "KEY_HEADER",
    "KEY_VARIABLE",
    "EncryptionKeys",
    "RemoteEncryption",
    "cipher_problem",
    "encryption_keys",
    "key_problem",
    "variable_for",
]
