"""Routes of archived groups (tursotui.local.control.archive): turso-cli's ``POST …/databases/{d}/wakeup``
(its ``db unarchive``, not in the spec) and the local-only ``POST …/groups/{g}/local-archive`` that archives
a group as Turso Cloud does after days without activity. ``POST …/groups/{g}/unarchive`` is the Platform
API's own (``LocalApi.unarchive_group``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tursotui.local.api import render
from tursotui.local.control import archive
from tursotui.local.control.controlplane import ControlPlane


class ArchiveApi:
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    async def local_archive(self, request: Request) -> Response:
        group = await archive.archive(self.cp, request.path_params["group"])
        return JSONResponse({"group": render.group(group), "note": "local Turso only"})

    async def wakeup(self, request: Request) -> Response:
        """turso-cli answers only on the status; the group that woke is named here."""
        group = await archive.wakeup(self.cp, request.path_params["db"])
        return JSONResponse({"group": render.group(group)})
