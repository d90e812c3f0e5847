"""What each mutating action of the Platform API writes to the audit log (:mod:`tursotui.local.control.audit`).

An action is recorded once it succeeded (a 2xx answer), with the name of the API token that asked as its
author. Each route handler that changes something has its entry here, by handler name; a handler this module
does not know (a route added later) is still recorded, under its own name, with its path parameters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tursotui.local.api.access import Access, body_of, principal_of
from tursotui.local.control.audit import origin_of

log = logging.getLogger(__name__)

Entry = tuple[str, str, dict[str, Any]]
"""(code, message, data)."""


@dataclass(frozen=True)
class Done:
    """A successful request, as the entries are made from it."""

    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, Any]
    answer: Any
    extra: Mapping[str, Any]
    """What the handler left for the audit log (``request.state.audit``)."""
    access: Access


def _answer(response: Response) -> Any:
    try:
        return json.loads(bytes(response.body)) if response.body else None
    except ValueError:
        return None


def _database(done: Done) -> str:
    return str(done.params.get("db", ""))


def _group(done: Done) -> str:
    return str(done.params.get("group", ""))


def create_database(done: Done) -> list[Entry]:
    body = done.body
    created = (done.answer or {}).get("database") or {}
    name = str(created.get("Name") or body.get("name", ""))
    group = str(body.get("group", "default"))
    data: dict[str, Any] = {"name": name, "group": group}
    seed = body.get("seed")
    message = f"created database {name} in group {group}"
    if isinstance(seed, dict):
        data["seed"] = {
            k: seed[k] for k in ("type", "name", "value", "timestamp", "url") if k in seed
        }
        kind, source = seed.get("type"), seed.get("name") or seed.get("value")
        if kind == "database" and seed.get("timestamp"):
            message = f"restored {source} as of {seed['timestamp']} into new database {name}"
            point = created.get("recovery_point")
            if isinstance(point, dict) and "id" in point:
                data["recovery_point"] = point["id"]
        elif kind == "database":
            message = f"branched {source} into new database {name}"
        elif kind == "database_upload":
            message += ", waiting for an upload"
        elif kind == "dump":
            message += ", seeded from a dump"
    return [("db-create", message, data)]


def update_configuration(done: Done) -> list[Entry]:
    name, changes = _database(done), dict(done.body)
    entries: list[Entry] = []
    if "delete_protection" in changes:
        on = changes.pop("delete_protection") is True
        code = "db-protect" if on else "db-unprotect"
        verb = "on" if on else "off"
        entries.append((code, f"delete protection {verb} for database {name}", {"name": name}))
    if changes:
        keys = ", ".join(sorted(changes))
        entries.append(
            (
                "db-config-update",
                f"configuration of database {name}: {keys}",
                {"name": name, "changes": changes},
            )
        )
    return entries


def _token(kind: str, subject: str, done: Done) -> list[Entry]:
    authorization = done.query.get("authorization") or "full-access"
    expiration = done.query.get("expiration") or "never"
    data = {kind: subject, "authorization": authorization, "expiration": expiration}
    code = "db-token-create" if kind == "name" else "group-token-create"
    what = f"database {subject}" if kind == "name" else f"group {subject}"
    return [(code, f"{authorization} token minted for {what}, expires {expiration}", data)]


def rotate_database_tokens(done: Done) -> list[Entry]:
    name = _database(done)
    db = done.access.cp.state.databases.get(name)
    group = db.group if db is not None else ""
    message = f"tokens of database {name} rotated (every token of group {group})"
    return [("db-token-rotate", message, {"name": name, "group": group})]


def create_group(done: Done) -> list[Entry]:
    group = (done.answer or {}).get("group") or {}
    name, primary = str(group.get("name", "")), str(group.get("primary", ""))
    return [
        ("group-create", f"created group {name} in {primary}", {"name": name, "location": primary})
    ]


def _location(code: str, verb: str) -> Callable[[Done], list[Entry]]:
    def entries(done: Done) -> list[Entry]:
        group, location = _group(done), str(done.params.get("location", ""))
        data = {"group": group, "location": location}
        return [(code, f"{verb} location {location} of group {group}", data)]

    return entries


def _api_token(code: str, verb: str) -> Callable[[Done], list[Entry]]:
    def entries(done: Done) -> list[Entry]:
        data = dict(done.extra)
        return [(code, f"API token {data.get('name', '')} {verb}", data)]

    return entries


def take_recovery_point(done: Done) -> list[Entry]:
    name = _database(done)
    point = (done.answer or {}).get("recovery_point") or {}
    data = {"name": name, "recovery_point": point.get("id", "")}
    return [("local-recovery-point-create", f"recovery point taken of database {name}", data)]


TRAIL: dict[str, Callable[[Done], list[Entry]]] = {
    "create_database": create_database,
    "delete_database": lambda d: [
        ("db-delete", f"deleted database {_database(d)}", {"name": _database(d)})
    ],
    "update_configuration": update_configuration,
    "create_database_token": lambda d: _token("name", _database(d), d),
    "rotate_database_tokens": rotate_database_tokens,
    "take_recovery_point": take_recovery_point,
    "upload_dump": lambda d: [("db-dump-upload", "uploaded a SQL dump for a new database", {})],
    "wakeup": lambda d: [
        ("db-aunrchive", f"woke up database {_database(d)}", {"name": _database(d)})
    ],
    "create_group": create_group,
    "delete_group": lambda d: [("group-delete", f"deleted group {_group(d)}", {"name": _group(d)})],
    "unarchive_group": lambda d: [
        ("group-unarchive", f"unarchived group {_group(d)}", {"name": _group(d)})
    ],
    "local_archive": lambda d: [
        ("local-group-archive", f"archived group {_group(d)}", {"name": _group(d)})
    ],
    "add_location": _location("instance-create", "added"),
    "remove_location": _location("instance-delete", "removed"),
    "create_group_token": lambda d: _token("group", _group(d), d),
    "rotate_group_tokens": lambda d: [
        ("group-token-rotate", f"tokens of group {_group(d)} rotated", {"group": _group(d)})
    ],
    "create_api_token": _api_token("user-token-create", "created"),
    "create_api_token_v2": _api_token("user-token-create", "created"),
    "revoke_api_token": _api_token("user-token-revoke", "revoked"),
    "revoke_organization_api_token": _api_token("user-token-revoke", "revoked"),
}
"""Handler name -> its entries. ``wakeup`` takes the spec's enum code for a database unarchive as the spec
spells it (``db-aunrchive``)."""


def fallback(handler: str, done: Done) -> list[Entry]:
    code = handler.replace("_", "-")
    return [(code, f"{code} {dict(done.params)}", dict(done.params))]


def record(access: Access, request: Request, handler: str, response: Response) -> None:
    """Append the entries of a successful mutating request; a disk that refuses is logged, and the
    answer (the action is done) still goes out."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not 200 <= response.status_code < 300:
        return
    params = {k: str(v) for k, v in request.path_params.items() if k != "org"}
    extra = getattr(request.state, "audit", None)
    done = Done(
        params=params,
        query=dict(request.query_params),
        body=body_of(request) or {},
        answer=_answer(response),
        extra=extra if isinstance(extra, dict) else {},
        access=access,
    )
    make = TRAIL.get(handler)
    entries = make(done) if make is not None else fallback(handler, done)
    author = principal_of(request).name
    origin = origin_of(request.headers.get("user-agent", ""))
    for code, message, data in entries:
        try:
            access.audit.append(code, author=author, message=message, origin=origin, data=data)
        except OSError as exc:
            log.error("audit log: %s (%s) not recorded: %s", code, message, exc)


__all__ = ["TRAIL", "Done", "record"]
