"""The checks the Platform API answers: the API token (``GET /v1/auth/validate``, what turso-cli calls to tell
a valid login), the organization, the database, its group archived or blocked, and the quota state
(:mod:`tursotui.ops.plan`). No SQL here."""

from __future__ import annotations

from datetime import datetime

from tursotui.ops.archived import unarchive_command
from tursotui.ops.doctor.expiry import expiring, expiry_text, iso
from tursotui.ops.doctor.model import Check, fail, ok, skip, warn
from tursotui.ops.plan import BILLED, PlanView
from tursotui.ops.quota import ERROR_AT
from tursotui.platform import Database, Group, Organization, PlatformClient, PlatformError
from tursotui.support import humanize

CLOUD_API_FIX = (
    "mint one (`turso auth api-tokens mint tursotui`, or the dashboard: Settings → API Tokens) and put it "
    "in .env as TURSO_API_TOKEN"
)
LOCAL_API_FIX = "the local Turso's token is in its data dir: restart it (`tursotui local serve`)"


async def api_token(platform: PlatformClient, now: datetime, *, local: bool) -> Check:
    fix = LOCAL_API_FIX if local else CLOUD_API_FIX
    try:
        found = await platform.validate_token()
    except PlatformError as exc:
        if exc.status in (401, 403):
            return fail(
                "api-token",
                f"refused by the Platform API ({exc.status}): revoked, expired or mistyped",
                fix,
            )
        return fail(
            "api-token",
            f"could not be checked: {exc}",
            "check the network, then run the doctor again (r)",
        )
    when = expiry_text(found.expires_at, now)
    data = {"expires_at": iso(found.expires_at)}
    if expiring(found.expires_at, now):
        return warn("api-token", f"valid, {when}", fix, **data)
    return ok("api-token", f"valid, {when}", **data)


async def organization(platform: PlatformClient) -> tuple[Check, Organization | None]:
    slug = platform.organization or ""
    try:
        org = await platform.get_organization()
    except PlatformError as exc:
        if exc.status in (403, 404):
            return fail(
                "organization",
                f"organization {slug!r} does not exist or this token is not a member ({exc.status})",
                "set [turso] organization in config.toml to your org slug (`turso org list`)",
            ), None
        return fail("organization", f"could not be read: {exc}", "run the doctor again (r)"), None
    return ok("organization", f"{org.slug or slug} ({org.name})" if org.name else slug), org


async def database(platform: PlatformClient, name: str) -> tuple[Check, Database | None]:
    try:
        db = await platform.get_database(name)
    except PlatformError as exc:
        if exc.status == 404:
            return fail(
                "database",
                f"database {name!r} does not exist in organization {platform.organization}",
                "`tursotui db list` names them; set [turso] database_name, or `tursotui setup` creates it",
            ), None
        return fail("database", f"could not be read: {exc}", "run the doctor again (r)"), None
    where = f"group {db.group}" if db.group else "no group"
    return ok("database", f"{db.name} in {where}, primary {db.primary_region or '?'}"), db


def group_state(db: Database, group: Group | None, org: Organization | None = None) -> Check:
    """Archived (its URLs answer 502 until unarchived) or reads/writes blocked on the database: by its own
    configuration, or by the plan (the organization is blocked: a quota is used up, the Quota check says)."""
    if db.archived or db.sleeping or (group is not None and group.archived):
        return fail(
            "group",
            f"group {db.group} is archived: {db.name}'s URLs answer HTTP 502",
            f"`{unarchive_command(db.group)}` (console: u on the Databases tab)",
        )
    blocked = [w for w, on in (("reads", db.block_reads), ("writes", db.block_writes)) if on]
    by_plan = org is not None and (org.blocked_reads or org.blocked_writes)
    if blocked and by_plan:
        return fail(
            "group",
            f"{' and '.join(blocked)} are blocked on {db.name} by the plan: a quota is used up",
            "see the Quota check (`tursotui plan show`)",
        )
    if blocked:
        flags = " ".join(f"--block-{w} off" for w in blocked)
        return fail(
            "group",
            f"{' and '.join(blocked)} are blocked on {db.name}",
            f"`tursotui db config {db.name} {flags} --yes`",
        )
    return ok("group", f"group {db.group or '?'} active, reads and writes allowed")


def quota(view: PlanView) -> Check:
    """Blocked by the organization, a quota used up (no overages), or ≥ 90 % of one."""
    reset = f"{humanize.utc_date(view.reset)} 00:00 UTC"
    upgrade = f"upgrade the plan or turn overages on (dashboard: Billing); quotas reset {reset}"
    blocked = [
        w for w, on in (("reads", view.blocked_reads), ("writes", view.blocked_writes)) if on
    ]
    if blocked:
        return fail(
            "quota",
            f"the organization's {' and '.join(blocked)} are blocked (a quota is used up)",
            upgrade,
        )
    used_up = [
        f"{r.resource}: {r.state}"
        for r in view.rows
        if r.state.startswith(("used up", "quota reached"))
    ]
    if used_up:
        return fail("quota", "; ".join(used_up), upgrade)
    if not view.quotas_known:
        return skip("quota", "; ".join(view.notes) or "quotas unknown", "`tursotui plan show`")
    over = [
        f"{r.resource}: {r.state} ({r.show(r.used)} of {r.show(r.limit)})"
        for r in view.rows
        if r.state == "over the limit"
    ]
    billed = [
        f"{r.resource}: {r.show(r.billed_excess)} billed" for r in view.rows if r.billed_excess
    ]
    close = [
        f"{r.resource} at {humanize.percent(r.percent)}"
        for r in view.rows
        if r.key in BILLED
        and r.percent is not None
        and r.percent >= ERROR_AT
        and not r.billed_excess
    ]
    if close or billed or over:
        return warn(
            "quota", "; ".join([*over, *close, *billed]), "`tursotui plan show` (console: 2)"
        )
    return ok("quota", f"plan {view.label}: every quota below {ERROR_AT:.0f} %, resets {reset}")
