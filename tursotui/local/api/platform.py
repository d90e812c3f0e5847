"""The Turso Platform API, served by the local Turso (Starlette, in-process or on 127.0.0.1)."""

from __future__ import annotations

import errno
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tursotui.local.api import render, trail
from tursotui.local.api.access import Access, narrowed_to, principal_of
from tursotui.local.api.jsonbody import json_body
from tursotui.local.api.paging import page
from tursotui.local.control import archive, platforms, refusals
from tursotui.local.control.billing import Billing
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.control.pitr import Pitr
from tursotui.local.control.tokens import parse_read_attach
from tursotui.local.errors import ApiError

log = logging.getLogger(__name__)
Handler = Callable[[Request], Awaitable[Response]]
ORG = "/v1/organizations/{org}"


def ok(body: Any, status: int = 200) -> Response:
    if body is None:
        return Response(status_code=status)
    return JSONResponse(body, status_code=status)


class LocalApi:
    """Route handlers over one :class:`ControlPlane`."""

    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp
        self.access = Access(cp)  # API tokens, scopes, audit log (local.api.access)

    # --- plumbing ---

    def _org(self, request: Request) -> str:
        """Another organization's path is a 403, as on Turso Cloud (turso-cli's ``isNotMemberErr``)."""
        slug = str(request.path_params.get("org", self.cp.state.slug))
        if slug != self.cp.state.slug:
            raise ApiError(
                403,
                f"you are not a member of organization {slug} "
                f"(this token belongs to organization {self.cp.state.slug})",
            )
        return slug

    def wrap(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                principal = self.access.authenticate(request)
                if "org" in request.path_params:
                    self._org(request)
                request = await self.access.authorize(request, principal, handler.__name__)
                response = await handler(request)
                trail.record(self.access, request, handler.__name__, response)
                return response
            except ApiError as exc:
                return JSONResponse(exc.body(), status_code=exc.status)
            except OSError as exc:
                error = unexpected_os_error(request, exc)
                return JSONResponse(error.body(), status_code=error.status)
            except Exception as exc:  # a bug: a JSON answer naming it, the traceback in the log
                log.exception("%s %s failed", request.method, request.url.path)
                return JSONResponse(
                    {"error": f"the local Turso failed on this request ({type(exc).__name__})"},
                    status_code=500,
                )

        return endpoint

    def _db_body(self, name: str) -> dict[str, Any]:
        db = self.cp.database(name)
        return render.database(
            db, self.cp.group(db.group), self.cp.hostname(db), self.cp.quota_block
        )

    # --- organizations and locations ---

    def _organization(self) -> dict[str, Any]:
        return render.organization(self.cp.state, self.cp.profile, self.cp.quota_block)

    async def list_organizations(self, request: Request) -> Response:
        refusals.check(self.cp, "organization")
        return ok([self._organization()])

    async def get_organization(self, request: Request) -> Response:
        refusals.check(self.cp, "organization")
        return ok({"organization": self._organization()})

    async def list_locations(self, request: Request) -> Response:
        return ok({"locations": platforms.locations(self.cp.profile.platform)})

    async def validate_token(self, request: Request) -> Response:
        return ok({"exp": principal_of(request).exp()})

    # --- databases ---

    async def list_databases(self, request: Request) -> Response:
        """Every database, or a page of them with ``limit`` (and ``cursor``), as turso-cli asks."""
        group = request.query_params.get("group") or narrowed_to(request)
        parent = request.query_params.get("parent")
        names = [
            name
            for name, db in sorted(self.cp.state.databases.items())
            if (not group or db.group == group)
            and (not parent or (db.parent or {}).get("id") == parent)
        ]
        names, pagination = page(names, request.query_params)
        await self.cp.ready(*names)  # a URL reported is a URL that answers (control.binding)
        body: dict[str, Any] = {"databases": [self._db_body(name) for name in names]}
        if pagination is not None:
            body["pagination"] = pagination
        return ok(body)

    async def get_database(self, request: Request) -> Response:
        await self.cp.ready(request.path_params["db"])
        return ok({"database": self._db_body(request.path_params["db"])})

    async def delete_database(self, request: Request) -> Response:
        db = await self.cp.delete_database(request.path_params["db"])
        return ok({"database": db.name})

    async def get_configuration(self, request: Request) -> Response:
        return ok(render.configuration(self.cp.database(request.path_params["db"])))

    async def update_configuration(self, request: Request) -> Response:
        db = await self.cp.update_configuration(request.path_params["db"], await json_body(request))
        return ok(render.configuration(db))

    async def list_instances(self, request: Request) -> Response:
        await self.cp.ready(request.path_params["db"])
        return ok({"instances": self.cp.instances(self.cp.database(request.path_params["db"]))})

    async def get_instance(self, request: Request) -> Response:
        wanted = request.path_params["instance"]
        await self.cp.ready(request.path_params["db"])
        for instance in self.cp.instances(self.cp.database(request.path_params["db"])):
            if instance["name"] == wanted:
                return ok({"instance": instance})
        raise ApiError(404, f"instance {wanted} not found")

    async def create_database_token(self, request: Request) -> Response:
        db = self.cp.database(request.path_params["db"])
        await self.cp.ready(db.name)
        jwt = await self.cp.create_token(
            group=db.group,
            database=db,
            expiration=request.query_params.get("expiration"),
            authorization=request.query_params.get("authorization"),
            read_attach=parse_read_attach(await json_body(request)),
        )
        return ok({"jwt": jwt})

    async def rotate_database_tokens(self, request: Request) -> Response:
        db = self.cp.database(request.path_params["db"])
        await self.cp.rotate_group_key(db.group)
        return ok(None)

    # --- groups ---

    async def list_groups(self, request: Request) -> Response:
        only = narrowed_to(request)  # a group-scoped API token sees its group
        groups = [g for _, g in sorted(self.cp.state.groups.items()) if only in (None, g.name)]
        return ok({"groups": [render.group(g) for g in groups]})

    async def create_group(self, request: Request) -> Response:
        body = await json_body(request)
        name, location = body.get("name"), body.get("location")
        if not isinstance(name, str) or not isinstance(location, str):
            raise ApiError(400, "body must have string fields 'name' and 'location'")
        return ok({"group": render.group(await self.cp.create_group(name, location))})

    async def get_group(self, request: Request) -> Response:
        return ok({"group": render.group(self.cp.group(request.path_params["group"]))})

    async def delete_group(self, request: Request) -> Response:
        return ok({"group": render.group(await self.cp.delete_group(request.path_params["group"]))})

    async def unarchive_group(self, request: Request) -> Response:
        group = await archive.unarchive(self.cp, request.path_params["group"])
        return ok({"group": render.group(group)})

    async def add_location(self, request: Request) -> Response:
        p = request.path_params
        return ok({"group": render.group(await self.cp.add_location(p["group"], p["location"]))})

    async def remove_location(self, request: Request) -> Response:
        p = request.path_params
        return ok({"group": render.group(await self.cp.remove_location(p["group"], p["location"]))})

    async def create_group_token(self, request: Request) -> Response:
        jwt = await self.cp.create_token(
            group=request.path_params["group"],
            database=None,
            expiration=request.query_params.get("expiration"),
            authorization=request.query_params.get("authorization"),
            read_attach=parse_read_attach(await json_body(request)),
        )
        return ok({"jwt": jwt})

    async def rotate_group_tokens(self, request: Request) -> Response:
        await self.cp.rotate_group_key(request.path_params["group"])
        return ok(None)


def unexpected_os_error(request: Request, exc: OSError) -> ApiError:
    """A file-system failure the handler did not expect, as a JSON error naming it (disk full: 507)."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        log.error("%s %s: the data dir is full%s", request.method, request.url.path, where)
        return ApiError(
            507,
            f"the local Turso's data dir is full (No space left on device{where}); free space and retry",
        )
    log.error("%s %s: %s", request.method, request.url.path, exc)
    return ApiError(500, f"the local Turso could not write its files: {exc.strerror or exc}{where}")


def _operator_routes(
    cp: ControlPlane, w: Callable[[Handler], Handler], db: str, group: str
) -> list[Route]:
    from tursotui.local.api.archive import ArchiveApi
    from tursotui.local.api.dumps import DumpsApi
    from tursotui.local.api.queries import QueriesApi

    archived, queries, dumps = ArchiveApi(cp), QueriesApi(cp), DumpsApi(cp)
    return [
        Route(ORG + "/databases/dumps", w(dumps.upload_dump), methods=["POST"]),
        Route(db + "/usage/queries", w(queries.top_queries), methods=["GET"]),
        Route(db + "/wakeup", w(archived.wakeup), methods=["POST"]),
        Route(group + "/local-archive", w(archived.local_archive), methods=["POST"]),
    ]


def build_app(cp: ControlPlane, pitr: Pitr, billing: Billing) -> Starlette:
    from tursotui.local.api.account import account_routes
    from tursotui.local.api.usage import UsageApi

    api = LocalApi(cp)
    usage = UsageApi(cp, pitr, billing)
    w = api.wrap
    db = ORG + "/databases/{db}"
    group = ORG + "/groups/{group}"
    routes = [
        Route("/v1/organizations", w(api.list_organizations), methods=["GET"]),
        Route(ORG, w(api.get_organization), methods=["GET"]),
        Route("/v1/locations", w(api.list_locations), methods=["GET"]),
        Route("/v1/auth/validate", w(api.validate_token), methods=["GET"]),
        Route(ORG + "/databases", w(api.list_databases), methods=["GET"]),
        Route(ORG + "/databases", w(usage.create_database), methods=["POST"]),
        Route(db, w(api.get_database), methods=["GET"]),
        Route(db, w(api.delete_database), methods=["DELETE"]),
        Route(db + "/configuration", w(api.get_configuration), methods=["GET"]),
        Route(db + "/configuration", w(api.update_configuration), methods=["PATCH"]),
        Route(db + "/instances", w(api.list_instances), methods=["GET"]),
        Route(db + "/instances/{instance}", w(api.get_instance), methods=["GET"]),
        Route(db + "/auth/tokens", w(api.create_database_token), methods=["POST"]),
        Route(db + "/auth/rotate", w(api.rotate_database_tokens), methods=["POST"]),
        Route(db + "/usage", w(usage.database_usage), methods=["GET"]),
        Route(db + "/stats", w(usage.database_stats), methods=["GET"]),
        Route(db + "/local-replication", w(usage.replication), methods=["GET"]),
        Route(db + "/local-recovery-points", w(usage.list_recovery_points), methods=["GET"]),
        Route(db + "/local-recovery-points", w(usage.take_recovery_point), methods=["POST"]),
        Route(ORG + "/groups", w(api.list_groups), methods=["GET"]),
        Route(ORG + "/groups", w(api.create_group), methods=["POST"]),
        Route(group, w(api.get_group), methods=["GET"]),
        Route(group, w(api.delete_group), methods=["DELETE"]),
        Route(group + "/unarchive", w(api.unarchive_group), methods=["POST"]),
        Route(group + "/locations/{location}", w(api.add_location), methods=["POST"]),
        Route(group + "/locations/{location}", w(api.remove_location), methods=["DELETE"]),
        Route(group + "/auth/tokens", w(api.create_group_token), methods=["POST"]),
        Route(group + "/auth/rotate", w(api.rotate_group_tokens), methods=["POST"]),
        Route(ORG + "/usage", w(usage.organization_usage), methods=["GET"]),
        Route(ORG + "/plans", w(usage.list_plans), methods=["GET"]),
        Route(ORG + "/subscription", w(usage.subscription), methods=["GET"]),
    ]
    routes += account_routes(cp, api.access, w)  # issue 13: API tokens, audit log
    routes = _operator_routes(cp, w, db, group) + routes  # first: /databases/dumps is no {db}

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse(
            {"error": f"no such endpoint on the local Turso: {request.method} {request.url.path}"},
            404,
        )

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return JSONResponse(
            {"error": f"{request.method} is not allowed on {request.url.path}"}, 405
        )

    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})


__all__ = ["LocalApi", "build_app", "json_body", "ok", "unexpected_os_error"]
