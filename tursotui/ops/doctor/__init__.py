"""The doctor (issue 16): the seed's troubleshooting checklist run against one database or the whole fleet,
headless. Each check says OK, or what is wrong and the fix (a key or a command): ``model.py`` (checks and
reports), ``platform_checks.py`` (API token, organization, database, group, quota), ``connection.py`` (URL
reachable and its latency, the database token), ``indexes.py`` (the seed's hot lookups), ``replica_check.py``,
``files.py`` (.env mode, config.toml/.env agreeing), ``run.py`` (one database), ``fleet.py`` (``--all``)."""

from tursotui.ops.doctor.inputs import DoctorInputs
from tursotui.ops.doctor.model import (
    CHECKS,
    Check,
    CheckSummary,
    DoctorReport,
    FleetReport,
    State,
    summary_text,
)

__all__ = [
    "CHECKS",
    "Check",
    "CheckSummary",
    "DoctorInputs",
    "DoctorReport",
    "FleetReport",
    "State",
    "summary_text",
]
