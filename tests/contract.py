"""Contract checks of httpx traffic against the Turso Platform OpenAPI spec, with openapi-core.

Reusable by any test that talks Platform API over httpx (unit tests with ``httpx.MockTransport``, end-to-end
tests against the local Turso control plane)::

    validator = SpecValidator.default()
    validator.validate_request(request)              # raises ContractError listing every violation
    validator.validate_response(request, response)

    # or wrap any transport so every exchange is checked:
    transport = validator.wrap(httpx.ASGITransport(app=control_plane))
    async with PlatformClient(token, transport=transport, base_url="http://local") as api: ...

    body = validator.example_response("listDatabases").body   # the spec's own example for an operation

The spec is located at ``<repo>/../shared/reference/turso-platform-openapi.json`` unless ``TURSO_OPENAPI_SPEC``
points elsewhere. The spec's only server is ``https://api.turso.tech``: requests to any other host (a local
server, an ASGI test host) are validated as if sent there; a path prefix of a ``base_url`` is stripped.

Two deliberate choices, both stated by turso-facts.md: the spec declares ``bearerAuth`` but never applies it, so
by default a top-level ``security: [{bearerAuth: []}]`` is added and openapi-core checks the header on every
request; and error statuses the spec does not document for an operation (401 on most of them) are not failures
unless ``undocumented_errors="fail"``.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.templating.responses.exceptions import ResponseNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_ENV = "TURSO_OPENAPI_SPEC"
SPEC_RELATIVE = "shared/reference/turso-platform-openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def spec_path() -> Path:
    """Where the spec is: ``$TURSO_OPENAPI_SPEC``, ``shared/reference/`` next to the repository,
    or the copy of the same official spec kept in ``tests/data/``."""
    override = os.environ.get(SPEC_ENV)
    if override:
        return Path(override).expanduser().resolve()
    shared = Path(__file__).resolve().parents[2] / SPEC_RELATIVE
    if shared.exists():
        return shared
    return Path(__file__).resolve().parent / "data" / "turso-platform-openapi.json"


class ContractError(AssertionError):
    """A request or response that does not match the spec. ``errors`` lists each violation."""

    def __init__(self, what: str, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"{what} violates the OpenAPI spec:\n  - " + "\n  - ".join(self.errors))


# -- adapters: httpx objects as openapi-core's Request/Response protocols ----------------------------------------


class HttpxOpenAPIRequest:
    """An ``httpx.Request`` seen as an openapi-core ``Request``, rebased onto the spec's server."""

    def __init__(self, request: httpx.Request, *, host_url: str, path: str) -> None:
        self.request = request
        self._host_url = host_url
        self._path = path
        query = parse_qs(request.url.query.decode("ascii", "replace"), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(_flatten(query))),
            header=Headers(list(request.headers.multi_items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return self._host_url

    @property
    def path(self) -> str:
        return self._path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def body(self) -> bytes | None:
        content = self.request.content
        return content or None

    @property
    def content_type(self) -> str:
        return self.request.headers.get("Content-Type", "").lower()


class HttpxOpenAPIResponse:
    """An ``httpx.Response`` (already read) seen as an openapi-core ``Response``."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def content_type(self) -> str:
        return self.response.headers.get("Content-Type", "").lower()

    @property
    def headers(self) -> Headers:
        return Headers(list(self.response.headers.multi_items()))

    @property
    def data(self) -> bytes | None:
        return self.response.content or None


def _flatten(query: Mapping[str, list[str]]) -> Iterator[tuple[str, str]]:
    for key, values in query.items():
        for value in values:
            yield key, value


# -- examples --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A body built from the spec's own examples. ``synthesized`` lists the JSON paths the spec had no example
    for and that were filled with a placeholder of the right type (empty: entirely the spec's own example)."""

    body: Any
    source: str
    synthesized: tuple[str, ...] = ()


@dataclass
class _ExampleBuilder:
    spec: Mapping[str, Any]
    synthesized: list[str] = field(default_factory=list)

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $refs are supported, got {ref}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref loop at {ref}")
        return node

    def build(self, node: Mapping[str, Any], where: str) -> Any:
        if "example" in node:  # an example next to a $ref is the author's intent; take it
            return copy.deepcopy(node["example"])
        node = self.resolve(node)
        if "example" in node:
            return copy.deepcopy(node["example"])
        if "allOf" in node:
            merged: dict[str, Any] = {}
            for part in node["allOf"]:
                value = self.build(part, where)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        for key in ("oneOf", "anyOf"):
            if key in node:
                return self.build(node[key][0], where)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            props = node.get("properties", {})
            if not props and "additionalProperties" in node:
                extra = node["additionalProperties"]
                if isinstance(extra, Mapping):
                    return {"key": self.build(extra, f"{where}.key")}
            return {name: self.build(sub, f"{where}.{name}") for name, sub in props.items()}
        if kind == "array":
            return [self.build(node.get("items", {}), f"{where}[0]")]
        self.synthesized.append(where)
        if "enum" in node:
            return node["enum"][0]
        if "default" in node:
            return node["default"]
        placeholders: dict[Any, Any] = {"integer": 0, "number": 0, "boolean": False, None: "x"}
        if kind == "string":
            fmt = node.get("format")
            return {"date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01"}.get(fmt, "string")
        return placeholders.get(kind, "x")


# -- the validator ---------------------------------------------------------------------------------------------


class SpecValidator:
    """Validates httpx requests/responses against the Platform API spec with openapi-core."""

    def __init__(
        self,
        spec: Path | Mapping[str, Any] | None = None,
        *,
        base_urls: Sequence[str] = (),
        require_bearer: bool = True,
        undocumented_errors: Literal["allow", "fail"] = "allow",
    ) -> None:
        if spec is None or isinstance(spec, Path):
            location = spec or spec_path()
            if not location.is_file():
                raise FileNotFoundError(
                    f"OpenAPI spec not found at {location} (set {SPEC_ENV} to its path)"
                )
            raw: dict[str, Any] = json.loads(location.read_text(encoding="utf-8"))
        else:
            raw = copy.deepcopy(dict(spec))
        self.raw = raw
        self.server_url = str(raw.get("servers", [{}])[0].get("url", "https://api.turso.tech"))
        effective = copy.deepcopy(raw)
        schemes = effective.get("components", {}).get("securitySchemes", {})
        if require_bearer and "security" not in effective and "bearerAuth" in schemes:
            effective["security"] = [{"bearerAuth": []}]
        self.openapi = OpenAPI.from_dict(effective)
        self._finder = APICallPathFinder(self.openapi.spec)
        self.base_urls = list(base_urls)
        self._bases = [httpx.URL(url) for url in [self.server_url, *self.base_urls]]
        self.undocumented_errors = undocumented_errors

    @classmethod
    def default(cls) -> SpecValidator:
        """A shared validator for the default spec location (parsing the spec takes a moment)."""
        return _default_validator(str(spec_path()))

    # -- locating operations

    def _adapt(self, request: httpx.Request) -> HttpxOpenAPIRequest:
        """Rebase ``request`` onto the spec's server: its origin, and its path minus a known base path."""
        path = request.url.path
        for base in self._bases:
            prefix = base.path.rstrip("/")
            same_origin = (base.scheme, base.host, base.port) == (
                request.url.scheme,
                request.url.host,
                request.url.port,
            )
            if same_origin and prefix and (path == prefix or path.startswith(prefix + "/")):
                path = path[len(prefix) :] or "/"
                break
        server = httpx.URL(self.server_url)
        host_url = f"{server.scheme}://{server.netloc.decode('ascii')}"
        return HttpxOpenAPIRequest(request, host_url=host_url, path=server.path.rstrip("/") + path)

    def operation_id(self, request: httpx.Request) -> str | None:
        """The spec's ``operationId`` for this request, or ``None`` if the spec has no such operation."""
        adapted = self._adapt(request)
        try:
            found = self._finder.find(adapted.method, adapted.host_url + adapted.path)
        except Exception:
            return None
        value = (found.operation / "operationId").read_value()
        return str(value) if value is not None else None

    # -- validation

    def request_errors(self, request: httpx.Request) -> list[str]:
        adapted = self._adapt(request)
        return [_describe(err) for err in self.openapi.iter_request_errors(adapted)]

    def response_errors(self, request: httpx.Request, response: httpx.Response) -> list[str]:
        adapted = self._adapt(request)
        errors: list[str] = []
        for err in self.openapi.iter_response_errors(adapted, HttpxOpenAPIResponse(response)):
            undocumented = isinstance(err, ResponseNotFound) or isinstance(
                err.__cause__, ResponseNotFound
            )
            if undocumented and response.status_code >= 400 and self.undocumented_errors == "allow":
                continue
            errors.append(_describe(err))
        return errors

    def validate_request(self, request: httpx.Request) -> None:
        errors = self.request_errors(request)
        if errors:
            raise ContractError(f"request {request.method} {request.url}", errors)

    def validate_response(self, request: httpx.Request, response: httpx.Response) -> None:
        errors = self.response_errors(request, response)
        if errors:
            raise ContractError(
                f"response {response.status_code} to {request.method} {request.url}", errors
            )

    def wrap(
        self,
        inner: httpx.AsyncBaseTransport | Callable[[httpx.Request], httpx.Response],
        *,
        hosts: Sequence[str] | None = None,
    ) -> ValidatingTransport:
        """A transport validating every request and response passing to ``inner`` (a transport or a
        MockTransport handler). With ``hosts``, only requests to those hosts are checked."""
        transport = (
            inner if isinstance(inner, httpx.AsyncBaseTransport) else httpx.MockTransport(inner)
        )
        return ValidatingTransport(transport, self, hosts=hosts)

    # -- examples

    def operation(self, operation_id: str) -> tuple[str, str, Mapping[str, Any]]:
        """``(method, path template, operation object)`` of an ``operationId``."""
        for template, item in self.raw["paths"].items():
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, Mapping) and op.get("operationId") == operation_id:
                    return method.upper(), template, op
        raise KeyError(f"no operation {operation_id!r} in the spec")

    def operation_ids(self) -> list[str]:
        return [
            op["operationId"]
            for item in self.raw["paths"].values()
            for method in HTTP_METHODS
            if isinstance(op := item.get(method), Mapping) and "operationId" in op
        ]

    def example_response(self, operation_id: str, status: str = "200") -> Example:
        """The spec's own example body for a response: the media type's ``example``/``examples``, else the
        schema's ``example``, else one assembled from the property examples (gaps filled and reported)."""
        _, _, op = self.operation(operation_id)
        builder = _ExampleBuilder(self.raw)
        response = builder.resolve(op["responses"][status])
        media = response.get("content", {}).get("application/json")
        if media is None:
            return Example(body=None, source="no content")
        if "example" in media:
            return Example(body=copy.deepcopy(media["example"]), source="media type example")
        if media.get("examples"):
            first = builder.resolve(next(iter(media["examples"].values())))
            return Example(body=copy.deepcopy(first["value"]), source="media type examples")
        schema = builder.resolve(media["schema"])
        source = "schema example" if "example" in schema else "property examples"
        body = builder.build(media["schema"], "$")
        return Example(body=body, source=source, synthesized=tuple(builder.synthesized))


class ValidatingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport; every request and response is validated. ``exchanges`` records them in order."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        validator: SpecValidator,
        *,
        hosts: Sequence[str] | None = None,
    ) -> None:
        self.inner = inner
        self.validator = validator
        self.hosts = None if hosts is None else set(hosts)
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check = self.hosts is None or request.url.host in self.hosts
        if check:
            self.validator.validate_request(request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if check:
            self.validator.validate_response(request, response)
        self.exchanges.append((request, response))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@cache
def _default_validator(_location: str) -> SpecValidator:
    return SpecValidator()


def _describe(err: BaseException) -> str:
    text = str(err)
    if len(text) > 300:
        text = text[:300] + "…"
    details = []
    for source in (err, err.__cause__):
        for schema_error in getattr(source, "schema_errors", None) or ():
            where = "/".join(str(p) for p in schema_error.absolute_path) or "<root>"
            details.append(f"at {where}: {schema_error.message}")
    if not details and err.__cause__ is not None and str(err.__cause__) not in text:
        details.append(f"{type(err.__cause__).__name__}: {err.__cause__}")
    return "; ".join([text, *details])
