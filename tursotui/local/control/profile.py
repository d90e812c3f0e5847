"""The profile of the local Turso: which of Turso Cloud's varieties it reproduces.

- ``plan``: starter (Free), developer, scaler, pro or enterprise: the quotas, the point-in-time
  recovery window and what ``/subscription`` reports;
- ``overages``: the excess over a quota is billed instead of blocked (a paid plan's option); the
  subscription's plan is then ``<plan>_overages``, as Turso Cloud reports it;
- ``platform``: ``fly``, the legacy location codes of the seed (``sjc``, ``iad``, ...) where edge
  replicas work, or ``aws``, the ``aws-*`` codes of new organizations, where they are refused.

The profile is kept in ``profile.json`` in the data dir, so a restart keeps it; a value given at a
start (a ``local serve`` flag, a ``[tursotui] local_*`` key) wins and is recorded. A test (or a demo)
can shrink the plan table with ``plan-overrides.json`` in the data dir (:func:`load_plan_overrides`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tursotui.local.control.plans import PLAN_NAMES, QUOTA_KEYS
from tursotui.local.control.state import StateError
from tursotui.support.atomic import atomic_write

PLATFORMS = ("fly", "aws")
PROFILE_FILE = "profile.json"
OVERRIDES_FILE = "plan-overrides.json"
OVERAGES_SUFFIX = "_overages"


@dataclass(frozen=True)
class Profile:
    plan: str = "starter"
    overages: bool = False
    platform: str = "fly"

    @property
    def subscription_plan(self) -> str:
        """The plan as ``/subscription`` and the organization report it (``scaler_overages``)."""
        return self.plan + OVERAGES_SUFFIX if self.overages else self.plan

    def describe(self) -> str:
        overages = "overages on" if self.overages else "no overages"
        codes = "AWS locations, no edge replicas" if self.platform == "aws" else "Fly locations"
        return f"plan {self.plan} ({overages}), {codes}"

    def problem(self) -> str | None:
        """What makes this profile impossible on Turso Cloud, or None."""
        if self.plan not in PLAN_NAMES:
            return f"unknown plan {self.plan!r}: use one of {', '.join(PLAN_NAMES)}"
        if self.platform not in PLATFORMS:
            return f"unknown platform {self.platform!r}: use fly or aws"
        if not isinstance(self.overages, bool):
            return f"overages is {self.overages!r}, not true or false"
        if self.overages and self.plan == "starter":
            return "overages need a paid plan (developer, scaler, pro or enterprise): the starter plan has none"
        return None


@dataclass(frozen=True)
class ProfileChoice:
    """What a start asked for; ``None`` keeps what the data dir recorded."""

    plan: str | None = None
    overages: bool | None = None
    platform: str | None = None

    def over(self, other: ProfileChoice) -> ProfileChoice:
        """This choice where it says something, else ``other``'s (flags over config keys)."""
        return ProfileChoice(
            plan=self.plan if self.plan is not None else other.plan,
            overages=self.overages if self.overages is not None else other.overages,
            platform=self.platform if self.platform is not None else other.platform,
        )

    def applied_to(self, profile: Profile) -> Profile:
        return Profile(
            plan=profile.plan if self.plan is None else self.plan,
            overages=profile.overages if self.overages is None else self.overages,
            platform=profile.platform if self.platform is None else self.platform,
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StateError(
            f"{path} cannot be read ({exc}); nothing was changed: fix it or move it away"
        ) from None


def load_profile(data_dir: Path) -> Profile | None:
    """The recorded profile, None when none is (a data dir from before profiles: the default)."""
    path = data_dir / PROFILE_FILE
    data = _read_json(path)
    if data is None:
        return None
    if not isinstance(data, dict) or set(data) - {"plan", "overages", "platform"}:
        raise StateError(
            f"{path} is corrupt (expected an object with plan, overages and platform); "
            "nothing was changed: fix it or move it away"
        )
    profile = ProfileChoice(**data).applied_to(Profile())
    problem = profile.problem()
    if problem is not None:
        raise StateError(f"{path}: {problem}; nothing was changed: fix it or move it away")
    return profile


def resolve_profile(data_dir: Path, choice: ProfileChoice) -> tuple[Profile, list[str]]:
    """The profile this start serves: the recorded one with ``choice`` over it, recorded when it is new
    or changed. Returns it and a note per recorded value that changed."""
    stored = load_profile(data_dir)
    profile = choice.applied_to(stored or Profile())
    problem = profile.problem()
    if problem is not None:
        raise StateError(
            f"the local Turso's profile ({profile.describe()}): {problem}; choose with --plan, "
            "--overages/--no-overages and --platform, or [tursotui] local_plan, local_overages and "
            f"local_platform (recorded in {data_dir / PROFILE_FILE})"
        )
    notes = []
    if stored is not None and stored != profile:
        before, after = asdict(stored), asdict(profile)
        changed = [
            f"{key} {before[key]} -> {after[key]}" for key in before if before[key] != after[key]
        ]
        notes.append(
            f"the local Turso's profile changed ({', '.join(changed)}): now {profile.describe()}"
        )
    if stored != profile:
        text = json.dumps(asdict(profile), indent=2, sort_keys=True) + "\n"
        atomic_write(data_dir / PROFILE_FILE, text.encode("utf-8"), mode=0o600)
    return profile, notes


def load_plan_overrides(data_dir: Path) -> dict[str, dict[str, int | None]]:
    """``plan-overrides.json``: quotas that replace the plan table's, e.g. ``{"starter": {"rowsWritten": 5}}``,
    so a test reaches a quota in a few rows. Absent: none. A bad file is refused, naming the key."""
    path = data_dir / OVERRIDES_FILE
    data = _read_json(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StateError(
            f'{path}: expected an object of plan names, e.g. {{"starter": {{"rowsWritten": 5}}}}'
        )
    out: dict[str, dict[str, int | None]] = {}
    for plan, quotas in data.items():
        if plan not in PLAN_NAMES:
            raise StateError(f"{path}: unknown plan {plan!r}: use one of {', '.join(PLAN_NAMES)}")
        if not isinstance(quotas, dict):
            raise StateError(f"{path}: {plan} must be an object of quotas")
        for key, value in quotas.items():
            if key not in QUOTA_KEYS:
                raise StateError(f"{path}: unknown quota {plan}.{key}: use {', '.join(QUOTA_KEYS)}")
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise StateError(
                    f"{path}: {plan}.{key} is {value!r}: a whole number (0: unlimited) or null"
                )
        out[plan] = dict(quotas)
    return out
