"""`tursotui db list --json` over 10,000 databases: time to the first line and peak RSS (run by hand).

    .venv/bin/python benchmarks/db_list.py [RUNS] [--databases N] [--local-data-dir DIR]

Until the local Turso holds 10,000 databases, the Platform API is a synthetic one served by this script on
127.0.0.1 (a thread): `GET /v1/organizations/acme/databases?limit=&cursor=` answers the spec's list JSON
(`databases` + `pagination.next`, as turso-cli pages it) and `GET …/usage` one usage row per database. The
CLI runs as a child process on Turso Cloud settings whose Platform client is pointed at that server (a
three-line shim: tursotui has no base-URL setting). With `--local-data-dir DIR`, it runs against the local
Turso serving that data dir instead (`tursotui local serve --fleet N` built it).

Per run and command: the time from the launch to the first database line on stdout, to the end, and the
child's peak RSS (`wait4`'s ru_maxrss). Commands: the plain stream, `--sort size` (every page read twice, a
(key, name) pair per database kept), `--sort rows-read --limit 20`, and the human table. Median of RUNS
(default 5). Targets (issue 15): first line <= 0.5 s, peak RSS <= 80 MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).parent))
from ptyterm import installed_like_env

ORG = "acme"
SHIM = """
import sys
from tursotui.platform import _core
_init = _core.PlatformCore.__init__
def _pointed(self, *args, **kwargs):
    kwargs["base_url"] = {url!r}
    _init(self, *args, **kwargs)
_core.PlatformCore.__init__ = _pointed
from tursotui.entry import main
sys.exit(main(sys.argv[1:]))
"""


def database(i: int) -> dict[str, Any]:
    name = f"tenant-{i:05d}"
    location = ("aws-us-east-1", "aws-eu-west-1", "aws-ap-northeast-1")[i % 3]
    return {
        "Name": name,
        "DbId": f"00000000-0000-4000-8000-{i:012d}",
        "Hostname": f"{name}-{ORG}.{location}.turso.io",
        "primaryRegion": location,
        "regions": [location],
        "group": f"group-{i % 8}",
        "type": "logical",
        "version": "0.24.32",
        "block_reads": False,
        "block_writes": False,
        "allow_attach": False,
        "delete_protection": i % 17 == 0,
        "archived": False,
        "schema": "",
        "is_schema": False,
        "sleeping": False,
    }


def serve(count: int) -> tuple[ThreadingHTTPServer, str]:
    usage_body = json.dumps(
        {
            "organization": {
                "uuid": "org",
                "usage": {"rows_read": 0, "rows_written": 0, "databases": count},
                "databases": [
                    {
                        "uuid": f"00000000-0000-4000-8000-{i:012d}",
                        "instances": [],
                        "total": {
                            "rows_read": (i * 7919) % 100_003,
                            "rows_written": (i * 104_729) % 9_973,
                            "storage_bytes": 4096 * (1 + (i * 31) % 5000),
                            "bytes_synced": 0,
                        },
                    }
                    for i in range(count)
                ],
            }
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            return

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == f"/v1/organizations/{ORG}/usage":
                self._send(usage_body)
                return
            if url.path != f"/v1/organizations/{ORG}/databases":
                self.send_error(404)
                return
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            limit = int(query.get("limit", count))
            start = int(query.get("cursor", "0"))
            end = min(start + limit, count)
            body = {
                "databases": [database(i) for i in range(start, end)],
                "pagination": {"next": str(end) if end < count else None},
            }
            self._send(json.dumps(body).encode())

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """(seconds to the first database line, seconds to the end, peak RSS MiB, lines)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    first = float("nan")
    lines = 0
    for _ in child.stdout:
        lines += 1
        if lines == 1:
            first = time.perf_counter() - started
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    ended = time.perf_counter() - started
    errors = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-6:])} failed ({child.returncode}): {errors[-400:]}")
    return first, ended, usage.ru_maxrss / 1024, lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=int, nargs="?", default=5)
    parser.add_argument("--databases", type=int, default=10_000)
    parser.add_argument("--local-data-dir", type=Path)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tursotui-dblist-"))
    env = installed_like_env({})  # no TURSO* leaking in; bytecode compiled once, as pip would
    if args.local_data_dir is None:
        _server, url = serve(args.databases)
        (root / "config.toml").write_text(
            f'[turso]\norganization = "{ORG}"\n\n[tursotui]\ntarget = "cloud"\n'
        )
        env |= {"TURSO_API_TOKEN": "synthetic-bench-token-0123456789"}
        base = [sys.executable, "-c", SHIM.format(url=url), "--config", str(root / "config.toml")]
        source = f"synthetic Platform API at {url}, {args.databases:,} databases"
    else:
        (root / "config.toml").write_text('[tursotui]\ntarget = "local"\n')
        base = [sys.executable, "-m", "tursotui", "--config", str(root / "config.toml")]
        base += ["--data-dir", str(args.local_data_dir)]
        source = f"the local Turso of {args.local_data_dir}"
    base += ["--data-dir", str(root / "data")] if args.local_data_dir is None else []
    commands = {
        "db list --json": ["db", "list", "--json"],
        "db list --json --sort size": ["db", "list", "--json", "--sort", "size"],
        "db list --json --sort rows-read --limit 20": [
            "db", "list", "--json", "--sort", "rows-read", "--limit", "20",
        ],
        "db list (table)": ["db", "list"],
    }  # fmt: skip
    print(f"source: {source}; {args.runs} runs each, interleaved")
    results: dict[str, list[tuple[float, float, float, int]]] = {k: [] for k in commands}
    run_once([*base, "db", "list", "--json", "--limit", "1"], env)  # warm: bytecode, page cache
    for _ in range(args.runs):
        for label, command in commands.items():
            results[label].append(run_once([*base, *command], env))
    for label, samples in results.items():
        first = statistics.median(s[0] for s in samples)
        total = statistics.median(s[1] for s in samples)
        rss = max(s[2] for s in samples)
        print(
            f"{label:45s} first line {first:.3f} s · all {total:.2f} s · peak RSS {rss:.1f} MiB "
            f"(max of runs) · {samples[0][3]:,} lines"
        )


if __name__ == "__main__":
    main()
