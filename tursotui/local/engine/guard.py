"""Secrets the local Turso hands its sqld processes, and the data dir closed to other users.

The sqld admin API key lives in a 0600 file beside the sqld data (``<data>/sqld/admin-key``), so it
outlives a restart of the control plane, and reaches sqld through its environment only (never argv,
which any local user sees in ``ps``).
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from pathlib import Path

from tursotui.support.atomic import atomic_write

ADMIN_KEY_FILE = "admin-key"
ADMIN_KEY_ENV = "LIBSQL_ADMIN_AUTH_KEY"
"""sqld 0.24.32 reads its admin key from here (``--admin-auth-key`` would show it in ``ps``)."""


SEAL_KEY_FILE = "keyless-namespaces.pub"


def ensure_seal_key(root: Path) -> Path:
    """A JWT public key whose private half was never kept, for sqld's ``--auth-jwt-key-file``.

    sqld checks a namespace's own ``jwt_key`` when it has one and this global key otherwise, so a
    namespace without a key (sqld's lazily created ``default``, a database between its create and its
    key) refuses every token instead of answering anyone.
    """
    path = root / SEAL_KEY_FILE
    if path.is_file() and path.stat().st_size > 0:
        return path
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = Ed25519PrivateKey.generate().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    atomic_write(path, base64.urlsafe_b64encode(raw).rstrip(b"="), mode=0o600)
    return path


def ensure_admin_key(root: Path) -> str:
    """The sqld admin API key kept in ``root/admin-key`` (0600), created on first use."""
    path = root / ADMIN_KEY_FILE
    try:
        existing = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    key = secrets.token_urlsafe(32)
    atomic_write(path, (key + "\n").encode("ascii"), mode=0o600)
    return key


def close_data_dir(data_dir: Path) -> int:
    """Take group and other permissions off ``data_dir`` and everything under it (0600 files, 0700
    dirs as created from now on); returns how many entries were changed. Symlinks are not followed.

    Databases, WAL, recovery points, sqld's stats (query text) and logs were created 0644 in 0755
    directories by earlier versions: a data dir from then is closed at the next start.
    """
    changed = 0
    if not data_dir.is_dir():
        return 0
    for directory, dirs, files in os.walk(data_dir, followlinks=False):
        names = (os.path.join(directory, n) for n in (*dirs, *files))
        # Each entry once: a dir is checked in its parent's listing (the top one on its own).
        for name in [directory, *names] if directory == str(data_dir) else names:
            try:
                st = os.lstat(name)
                if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
                    continue
                os.chmod(name, stat.S_IMODE(st.st_mode) & ~0o077)
            except OSError:
                continue  # gone meanwhile, or not ours: left as it is
            changed += 1
    return changed
