"""The local Turso as the console's child process: ``python -m tursotui.local.host.child OPTIONS_JSON FD``.

Started by :class:`tursotui.local.host.process.LocalTursoProcess`, which bound the 127.0.0.1 listening socket ``FD``.
It starts the local Turso (the demo org on first use), serves its Platform API on that socket, and writes one
JSON line on stdout: ``{"ready": true, "notices": [...]}`` once it serves, ``{"error": "..."}`` when it cannot
start. It stops (with every sqld it started) when its stdin closes: the console quit, or died.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import socket
import sys
import threading
from typing import Any

from tursotui import skip_httpx_cli
from tursotui.config import CliOptions, ConfigError, resolve
from tursotui.stopsignals import run_stoppable

LOOPBACK = "127.0.0.1"


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def stdin_closed() -> None:
    """Returns when stdin reaches EOF: the parent closed it or exited."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def run(options: CliOptions, sock: socket.socket) -> int:
    from tursotui.local.host.serve import serve_api, start_local_turso

    try:
        settings = resolve(options)
        started = await start_local_turso(settings, demo=True)  # the demo org, on first use only
    except (ConfigError, RuntimeError, OSError) as exc:  # StateError/SqldError are RuntimeErrors
        _say({"error": str(exc)})
        return 1
    except Exception as exc:  # the demo org could not be made: said to the console, which names it
        _say({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    turso = started.turso
    try:
        ready = {"ready": True, "notices": started.notices}
        until = asyncio.ensure_future(stdin_closed())
        await serve_api(turso, sock, lambda: _say(ready), until)
    except Exception as exc:  # reported to the console, which names it; the sqld are stopped below
        _say({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    finally:
        await turso.close()
    return 0


def main(argv: list[str]) -> int:
    """``argv``: the console's options (JSON) and the listening socket's file descriptor."""
    skip_httpx_cli()
    # uvicorn is needed only once the local Turso runs: imported meanwhile, while start() waits on sqld.
    threading.Thread(target=importlib.import_module, args=("uvicorn",), daemon=True).start()
    sock = socket.socket(fileno=int(argv[2]))
    if sock.getsockname()[0] != LOOPBACK:
        _say({"error": f"refusing to serve on {sock.getsockname()[0]}: 127.0.0.1 only"})
        return 2
    return run_stoppable(run(CliOptions(**json.loads(argv[1])), sock))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
