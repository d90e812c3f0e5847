"""The ``tursotui setup`` argument parser (light: `--help` must not import httpx or Textual)."""

from __future__ import annotations

import argparse
from typing import Any

HEADLESS_HELP = (
    "Turso Cloud needs a Platform API token. On a machine with a browser: "
    "`turso auth api-tokens mint tursotui`; over SSH without one: `turso auth login --headless`, "
    "open the printed URL elsewhere, then mint the token. Put it in .env as TURSO_API_TOKEN."
)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    setup = sub.add_parser(
        "setup",
        parents=[common],
        help="walk the Quick Setup Checklist (database, token, .env, config, schema, test)",
        description=(
            "Walks the guide's Quick Setup Checklist against Turso Cloud or the local Turso. "
            "Every step detects what is already done and skips it; re-run to resume. "
            + HEADLESS_HELP
        ),
    )
    setup.add_argument("--non-interactive", action="store_true", help="ask nothing (for scripts)")
    setup.add_argument("--database", default=None, metavar="NAME", help="default xswarm-users")
    setup.add_argument("--group", default="default", metavar="G")
    setup.add_argument("--location", metavar="CODE", help="primary location (default: closest)")
    setup.add_argument(
        "--replicas", default="", metavar="A,B", help="replica locations, e.g. iad,fra"
    )
    setup.add_argument("--expiration", default="90d", metavar="E", help="token expiration (90d)")
    setup.add_argument("--read-only", action="store_true", help="mint a read-only token")
    setup.add_argument("--test-users", action="store_true", help="insert the guide's test users")
    setup.add_argument("--local-replica", action="store_true", help="enable the embedded replica")
    setup.add_argument("--backups", action="store_true", help="enable scheduled backups")
