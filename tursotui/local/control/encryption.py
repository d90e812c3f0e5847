"""BYOK-encrypted databases (``remote_encryption``), as Turso Cloud has them on Pro and Enterprise plans.

``POST …/databases`` with ``remote_encryption: {encryption_key, encryption_cipher}`` creates an encrypted
database. The local Turso keeps only the key's SHA-256 and the cipher in ``state.json`` (0600), never the
key, shows ``encryption_cipher`` in the database's answer (the field turso-cli's ``db show`` reads), and
refuses every request on the database's URLs (primary and replicas) that does not carry the key in the
``x-turso-encryption-key`` header, before anything reaches sqld (:attr:`NamespaceProxy.admit`). An upload
into it (``POST /v1/upload``) must also name its cipher in ``x-turso-encryption-cipher``, as turso-cli's
upload does. A branch or point-in-time restore of an encrypted database needs the same key in its
``remote_encryption`` (the docs: the same key is required when forking or restoring); the copy is encrypted
with it.

**Not reproduced**: sqld 0.24.32 has no page encryption, so the data files here are plain SQLite. What is
reproduced is the protocol: the header, the seeds' ``remote_encryption`` and the refusals.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tursotui.libsql.keys import CIPHER_KEY_BYTES
from tursotui.local.engine.gate import json_response, request_line
from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane
    from tursotui.local.control.state import DatabaseState

KEY_HEADER = b"x-turso-encryption-key"
CIPHER_HEADER = b"x-turso-encryption-cipher"
KEY_BYTES = CIPHER_KEY_BYTES
"""The spec's ``encryption_cipher`` enum and each one's key size (one table, the client's)."""
REFUSED_STATUS = 400


def _decode(value: str | bytes, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, f"{what} is not valid base64") from None


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse(value: Any, *, cipher_required: bool) -> tuple[bytes, str | None] | None:
    """``remote_encryption`` of a create body → (the key's bytes, the cipher or None), or None when absent;
    a 400 naming the field for anything else (the key itself is never quoted)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(
            400, "remote_encryption must be an object {encryption_key, encryption_cipher}"
        )
    key, cipher = value.get("encryption_key"), value.get("encryption_cipher")
    if not isinstance(key, str) or not key.strip():
        raise ApiError(400, "remote_encryption.encryption_key must be the base64 encryption key")
    raw = _decode(key, "remote_encryption.encryption_key")
    if cipher is None or cipher == "":
        if cipher_required:
            raise ApiError(
                400,
                "remote_encryption.encryption_cipher is required for a new encrypted database: "
                f"one of {', '.join(KEY_BYTES)}",
            )
        return raw, None
    if not isinstance(cipher, str) or cipher not in KEY_BYTES:
        raise ApiError(
            400,
            f"unknown remote_encryption.encryption_cipher {cipher!r}: use one of {', '.join(KEY_BYTES)}",
        )
    if len(raw) != KEY_BYTES[cipher]:
        raise ApiError(
            400,
            f"remote_encryption.encryption_key decodes to {len(raw)} bytes; {cipher} takes "
            f"{KEY_BYTES[cipher]}",
        )
    return raw, cipher


def for_new(value: Any) -> dict[str, str] | None:
    """What a new database created with ``value`` stores: ``{cipher, key_sha256}``, or None."""
    parsed = parse(value, cipher_required=True)
    if parsed is None:
        return None
    raw, cipher = parsed
    return {"cipher": cipher or "", "key_sha256": digest(raw)}


def for_copy(source: DatabaseState, value: Any) -> dict[str, str] | None:
    """What a branch or restore of ``source`` stores: the source's encryption when the same key is given
    (a 400 without it, or with another); an unencrypted source's copy is encrypted only when asked."""
    if not source.encryption:
        return for_new(value)
    parsed = parse(value, cipher_required=False)
    if parsed is None:
        raise ApiError(
            400,
            f"database {source.name} is encrypted: a branch or restore of it needs its encryption key "
            "in remote_encryption.encryption_key (the same key)",
        )
    raw, cipher = parsed
    if not hmac.compare_digest(digest(raw), source.encryption.get("key_sha256", "")):
        raise ApiError(
            400,
            f"remote_encryption.encryption_key is not the key of database {source.name}: a branch or "
            "restore of an encrypted database needs the same key",
        )
    if cipher is not None and cipher != source.encryption.get("cipher"):
        raise ApiError(
            400,
            f"remote_encryption.encryption_cipher {cipher} is not the cipher of database "
            f"{source.name} ({source.encryption.get('cipher')})",
        )
    return dict(source.encryption)


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


def refusal(db: DatabaseState, head: bytes) -> str | None:
    """Why the request ``head`` on encrypted database ``db`` is refused, or None to let it through."""
    encryption = db.encryption
    if not encryption:
        return None
    given = _header(head, KEY_HEADER)
    if not given:
        return (
            f"database {db.name} is encrypted: send its encryption key (base64) in the "
            "x-turso-encryption-key header with every request"
        )
    try:
        raw = _decode(given, "the x-turso-encryption-key header")
    except ApiError as exc:
        return f"database {db.name} is encrypted: {exc.message}"
    if not hmac.compare_digest(digest(raw), encryption.get("key_sha256", "")):
        return f"database {db.name} is encrypted: the x-turso-encryption-key header is not its key"
    if request_line(head) == (b"POST", b"/v1/upload"):  # the path as the proxy routes it (no query)
        cipher = _header(head, CIPHER_HEADER)
        if cipher is None or cipher.decode("latin-1") != encryption.get("cipher"):
            return (
                f"database {db.name} is encrypted with {encryption.get('cipher')}: an upload names "
                "it in the x-turso-encryption-cipher header"
            )
    return None


def admit_for(db: DatabaseState) -> Callable[[bytes], bytes | None] | None:
    """The proxies' check for ``db`` (None: nothing to check)."""
    if not db.encryption:
        return None

    def admit(head: bytes) -> bytes | None:
        why = refusal(db, head)
        return None if why is None else json_response(REFUSED_STATUS, why)

    return admit


def mark(cp: ControlPlane, db: DatabaseState) -> None:
    """Every URL of ``db`` (primary and replicas) checks the key when ``db`` is encrypted."""
    admit = admit_for(db)
    for proxy in cp.dataplane.proxies_of(db.name):
        proxy.admit = admit


def state_problem(value: Any) -> str | None:
    """What is wrong with a stored ``encryption`` (state.json), or None."""
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or value.get("cipher") not in KEY_BYTES
        or not isinstance(value.get("key_sha256"), str)
    ):
        return "encryption is not {cipher, key_sha256}"
    return None
