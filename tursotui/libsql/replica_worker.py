"""Runs ONE embedded-replica sync in its own process (``python -m tursotui.libsql.replica_worker``).

libsql (0.1.11, sync v2) can hang in ``sync()`` (libsql#1224: the client sets no timeouts) and holds the GIL
during network I/O, so it never runs inside the console's process: the parent enforces a timeout and kills
this one. ``connect()`` bootstraps a new replica (``GET /info``, ``GET /export/{g}``); ``sync()`` then pulls
the frames since. Writes are never made here; the replica stays ``offline=False`` (libsql's default), so a
write through it would go to the primary, never be pushed. The token comes in the environment
(``TURSOTUI_REPLICA_TOKEN``), never on the command line. Prints one JSON object:
``{"ok": true, "tables": ..., "ms": ...}`` or ``{"ok": false, "error": ...}`` with libsql's text as it is: the
parent says what it means (:func:`tursotui.libsql.replica_errors.explain`).
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    path, url = argv[0], argv[1]
    token = os.environ.get("TURSOTUI_REPLICA_TOKEN") or None
    started = time.perf_counter()
    try:
        import libsql  # type: ignore[import-untyped]

        conn = libsql.connect(path, sync_url=url, auth_token=token or "", offline=False)
        conn.sync()
        tables = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
        conn.close()
    except Exception as exc:
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}))
        return 1
    elapsed = (time.perf_counter() - started) * 1000
    print(json.dumps({"ok": True, "tables": tables, "ms": round(elapsed, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
