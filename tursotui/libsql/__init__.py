"""libSQL over Hrana HTTP, and plain local database files. Never imports textual.

Imports are lazy (PEP 562): ``import tursotui.libsql`` costs nothing until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tursotui.support.lazy import lazy_exports

if TYPE_CHECKING:
    from tursotui.libsql.errors import (
        AuthError,
        BlockedError,
        HranaConnectionError,
        HranaError,
        HranaTimeoutError,
        HttpError,
        InvalidUrlError,
        LibsqlError,
        LocalDatabaseError,
        PermissionDeniedError,
        ProtocolError,
        StreamExpiredError,
        TransactionTimeoutError,
    )
    from tursotui.libsql.hrana import DEFAULT_TIMEOUT, HranaClient
    from tursotui.libsql.local import LocalDatabase, is_internal_table, quote_identifier
    from tursotui.libsql.result import Description, ResultSet, Row, Statement
    from tursotui.libsql.stream import Stream, Transaction, TransactionMode
    from tursotui.libsql.url import DatabaseUrl, http_base_url, parse_database_url
    from tursotui.libsql.values import Args, Value

_EXPORTS = {
    "tursotui.libsql.errors": (
        "AuthError",
        "BlockedError",
        "HranaConnectionError",
        "HranaError",
        "HranaTimeoutError",
        "HttpError",
        "InvalidUrlError",
        "LibsqlError",
        "LocalDatabaseError",
        "PermissionDeniedError",
        "ProtocolError",
        "StreamExpiredError",
        "TransactionTimeoutError",
    ),
    "tursotui.libsql.hrana": ("DEFAULT_TIMEOUT", "HranaClient"),
    "tursotui.libsql.local": ("LocalDatabase", "is_internal_table", "quote_identifier"),
    "tursotui.libsql.result": ("Description", "ResultSet", "Row", "Statement"),
    "tursotui.libsql.stream": ("Stream", "Transaction", "TransactionMode"),
    "tursotui.libsql.url": ("DatabaseUrl", "http_base_url", "parse_database_url"),
    "tursotui.libsql.values": ("Args", "Value"),
}
__getattr__ = lazy_exports(globals(), _EXPORTS)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Args",
    "AuthError",
    "BlockedError",
    "DatabaseUrl",
    "Description",
    "HranaClient",
    "HranaConnectionError",
    "HranaError",
    "HranaTimeoutError",
    "HttpError",
    "InvalidUrlError",
    "LibsqlError",
    "LocalDatabase",
    "LocalDatabaseError",
    "PermissionDeniedError",
    "ProtocolError",
    "ResultSet",
    "Row",
    "Statement",
    "Stream",
    "StreamExpiredError",
    "Transaction",
    "TransactionMode",
    "TransactionTimeoutError",
    "Value",
    "http_base_url",
    "is_internal_table",
    "parse_database_url",
    "quote_identifier",
]


def __dir__() -> list[str]:
    return __all__
