"""``POST /v1/organizations/{org}/databases/dumps``: a SQL dump uploaded for a new database's ``dump`` seed.

turso-cli's ``db create --from-dump`` (and ``--from-file`` outside AWS groups) sends the dump as the
multipart field ``file`` and gets ``{"dump_url": …}``, which it passes as ``seed: {type: "dump", url}``.
The local Turso keeps the dump in ``<data dir>/dumps/`` (0600) and answers its ``file://`` URL, which its
dump seed loads (control.dumps); the file is removed once a database was seeded from it.
"""

from __future__ import annotations

import email.parser
import email.policy
import os
import uuid
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from tursotui.local.api.platform import ok
from tursotui.local.control.controlplane import ControlPlane
from tursotui.local.errors import ApiError
from tursotui.support.atomic import atomic_write

MAX_DUMP_BYTES = 256 * 1024 * 1024
"""The largest dump the local Turso takes in one request (held in memory while parsed)."""


def dumps_dir(cp: ControlPlane) -> Path:
    return cp.data_dir / "dumps"


def is_uploaded_dump(cp: ControlPlane, path: Path) -> bool:
    return path.parent == dumps_dir(cp).resolve()


def _file_part(content_type: str, body: bytes) -> bytes:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ApiError(400, "the dump must be sent as multipart/form-data with a 'file' field")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload
    raise ApiError(400, "the multipart body has no 'file' field holding the dump")


class DumpsApi:
    def __init__(self, cp: ControlPlane) -> None:
        self.cp = cp

    async def upload_dump(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise ApiError(400, "the dump must be sent as multipart/form-data with a 'file' field")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_DUMP_BYTES:
                raise ApiError(
                    413, f"the dump is larger than the local Turso takes ({MAX_DUMP_BYTES} bytes)"
                )
        dump = _file_part(content_type, bytes(body))
        if not dump.strip():
            raise ApiError(400, "the dump file is empty")
        directory = dumps_dir(self.cp)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / f"{uuid.uuid4().hex}.sql"
        atomic_write(path, dump, mode=0o600)
        return ok({"dump_url": Path(os.path.abspath(path)).as_uri()})  # noqa: ASYNC240 (no I/O)
