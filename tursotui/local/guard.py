"""Secrets the local Turso hands its sqld processes, and the data dir closed to other users.

The sqld admin API key lives in a 0600 file beside the sqld data (``<data>/sqld/admin-key``), so it
outlives a restart of the control plane, and reaches sqld through its environment only (never argv,
which any local user sees in ``ps``).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from tursotui.atomic import atomic_write

ADMIN_KEY_FILE = "admin-key"
ADMIN_KEY_ENV = "LIBSQL_ADMIN_AUTH_KEY"
"""sqld 0.24.32 reads its admin key from here (``--admin-auth-key`` would show it in ``ps``)."""


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
