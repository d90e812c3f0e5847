"""Reads the local Turso refuses on purpose, for tests of a client's fallbacks (local only).

On Turso Cloud ``GET …/subscription`` and ``GET …/plans`` answer 403 to a member without billing rights and
to a scoped API token, and a narrow token may not even read the organization (issue 13, D4). The local Turso
serves everything to its one API token; ``refusals.json`` in the data dir (0600, like every file there)
lists what it refuses instead, e.g. ``["subscription"]``. It is read at each request, so a test can change
it while the local Turso serves. Absent: nothing is refused.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tursotui.local.errors import ApiError

if TYPE_CHECKING:
    from tursotui.local.control.controlplane import ControlPlane

REFUSALS_FILE = "refusals.json"
REFUSABLE = ("subscription", "plans", "organization")


def refused(cp: ControlPlane) -> set[str]:
    """What ``refusals.json`` refuses; a 500 naming the file when it cannot be used."""
    path = cp.data_dir / REFUSALS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ApiError(500, f"{path} cannot be read ({exc}): fix it or remove it") from None
    if not isinstance(data, list) or not all(item in REFUSABLE for item in data):
        raise ApiError(
            500, f'{path}: expected a list of {", ".join(REFUSABLE)}, e.g. ["subscription"]'
        )
    return set(data)


def check(cp: ControlPlane, what: str) -> None:
    """A 403 when ``what`` is refused, as Turso Cloud answers a token without the right to read it."""
    if what in refused(cp):
        raise ApiError(
            403,
            f"forbidden: this token may not read the {what} of organization {cp.state.slug} "
            "(refused by the local Turso's refusals.json)",
        )
