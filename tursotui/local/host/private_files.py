"""Files the local Turso writes are its own: umask 077 while one runs in this process.

The data dir holds copies of every database (recovery points, uploads), signing keys and sqld's files.
sqld children get ``umask=0o077`` at spawn; this covers what the control plane writes itself, at the
moment it writes it (not only at the next start, when group/other bits are removed). The umask is
process-wide: it is taken while at least one local Turso runs here and given back after the last.
"""

from __future__ import annotations

import os
import threading

PRIVATE_UMASK = 0o077

_lock = threading.Lock()
_holders = 0
_previous = 0o022


def enter() -> None:
    """A local Turso starts in this process: new files are 0600, new dirs 0700."""
    global _holders, _previous
    with _lock:
        if _holders == 0:
            _previous = os.umask(PRIVATE_UMASK)
        _holders += 1


def leave() -> None:
    """One stopped: the umask the process had before the first is given back after the last."""
    global _holders
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0:
            os.umask(_previous)
