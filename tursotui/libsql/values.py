"""SQL values both ways between Python and Hrana JSON, and statement arguments.

=========  ===================================================
Python     Hrana JSON
=========  ===================================================
None       ``{"type": "null"}``
int        ``{"type": "integer", "value": "<decimal string>"}`` (signed 64-bit)
bool       integer 0 / 1 (SQLite has no boolean type)
float      ``{"type": "float", "value": <number>}`` (finite only; see :mod:`.jsonenc`)
str        ``{"type": "text", "value": "..."}`` (NUL characters survive)
bytes      ``{"type": "blob", "base64": "..."}`` (padding optional when decoding)
=========  ===================================================

sqld sends ±infinity (e.g. ``SELECT 1e999``) as a float whose value is ``null``: the sign is lost
on the wire, so it decodes to ``nan``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from tursotui.libsql.errors import ProtocolError

Value: TypeAlias = int | float | str | bytes | None
"""A value as it comes back from the database."""

Args: TypeAlias = Sequence[Any] | Mapping[str, Any]
"""Statement arguments: positional (a sequence) or named (a mapping)."""

JsonDict: TypeAlias = dict[str, Any]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_PREFIXES = ":@$"


def normalize_value(value: object, *, finite: bool = True) -> Value:
    """``value`` as one of the storable types (bool → int, bytearray → bytes) or an error.

    TypeError for types SQLite cannot store, OverflowError outside the 64-bit integer range,
    ValueError for text with lone surrogates and (when ``finite``) infinite or NaN floats.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise OverflowError(f"integer {value} does not fit in SQLite's signed 64-bit INTEGER")
        return int(value)
    if isinstance(value, float):
        if finite and not math.isfinite(value):
            raise ValueError(f"cannot send {value} over Hrana: JSON has no infinity or NaN")
        return float(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"text is not valid Unicode (lone surrogate): {exc}") from exc
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(
        f"cannot send a value of type {type(value).__name__} to libSQL; "
        "use None, int, float, str, bytes or bool"
    )


def encode_value(value: object) -> JsonDict:
    """A Python value as a Hrana ``Value`` (see :func:`normalize_value` for what is refused)."""
    plain = normalize_value(value)
    if plain is None:
        return {"type": "null"}
    if isinstance(plain, int):
        return {"type": "integer", "value": str(plain)}
    if isinstance(plain, float):
        return {"type": "float", "value": plain}
    if isinstance(plain, str):
        return {"type": "text", "value": plain}
    return {"type": "blob", "base64": base64.b64encode(plain).decode("ascii")}


def decode_value(data: Any) -> Value:
    """A Hrana ``Value`` as a Python value; :class:`ProtocolError` for anything unknown."""
    if not isinstance(data, dict):
        raise ProtocolError(f"malformed value from the server: {data!r}")
    kind = data.get("type")
    try:
        if kind == "null":
            return None
        if kind == "integer":
            return int(data["value"])
        if kind == "float":
            raw = data.get("value")
            return math.nan if raw is None else float(raw)
        if kind == "text":
            return str(data["value"])
        if kind == "blob":
            text = str(data.get("base64", ""))
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ProtocolError(f"malformed {kind} value from the server: {exc}") from exc
    raise ProtocolError(f"unknown value type from the server: {kind!r}")


def sql_parameter_names(sql: str) -> list[str]:
    """Named parameters (``:x``, ``@x``, ``$x``) in ``sql``, in order, outside literals/comments."""
    names: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            end = sql.find(ch, i + 1)
            i = n if end < 0 else end + 1
        elif ch == "[":
            end = sql.find("]", i + 1)
            i = n if end < 0 else end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch in _PREFIXES:
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_" or ord(sql[j]) > 127):
                j += 1
            if j > i + 1 and sql[i:j] not in names:
                names.append(sql[i:j])
            i = j
        else:
            i += 1
    return names


def encode_named_args(sql: str, args: Mapping[str, Any]) -> list[JsonDict]:
    """Hrana ``named_args``: every name is sent with its prefix.

    A name given without prefix (``{"id": 1}``) binds to the parameter spelled with any prefix
    in ``sql`` (``:id``, ``@id`` or ``$id``), ``:id`` if none appears.
    """
    in_sql = sql_parameter_names(sql)
    out: dict[str, JsonDict] = {}
    for key, value in args.items():
        if not isinstance(key, str) or not key or key in _PREFIXES:
            raise TypeError(f"named argument names must be non-empty strings, not {key!r}")
        if key[0] in _PREFIXES:
            names = [key]
        else:
            names = [name for name in in_sql if name[1:] == key] or [f":{key}"]
        for name in names:
            if name in out:
                raise ValueError(f"named argument {name} given twice")
            out[name] = {"name": name, "value": encode_value(value)}
    return list(out.values())


def encode_stmt(sql: str, args: Args | None = None, *, want_rows: bool = True) -> JsonDict:
    """A Hrana ``Stmt`` for ``sql`` with positional or named ``args``."""
    if not isinstance(sql, str):
        raise TypeError(f"SQL must be a str, not {type(sql).__name__}")
    stmt: JsonDict = {"sql": sql, "want_rows": want_rows}
    if args is None:
        return stmt
    if isinstance(args, Mapping):
        stmt["named_args"] = encode_named_args(sql, args)
    elif isinstance(args, (str, bytes, bytearray)) or not isinstance(args, Sequence):
        raise TypeError(
            f"statement arguments must be a sequence or a mapping, not {type(args).__name__}"
        )
    else:
        stmt["args"] = [encode_value(value) for value in args]
    return stmt


def local_args(args: Args | None) -> Sequence[Value] | dict[str, Value]:
    """Arguments for stdlib sqlite3: names without prefix, values checked like Hrana's."""
    if args is None:
        return ()
    if isinstance(args, Mapping):
        out: dict[str, Value] = {}
        for key, value in args.items():
            if not isinstance(key, str) or not key.lstrip(_PREFIXES):
                raise TypeError(f"named argument names must be non-empty strings, not {key!r}")
            out[key.lstrip(_PREFIXES)] = normalize_value(value, finite=False)
        return out
    if isinstance(args, (str, bytes, bytearray)) or not isinstance(args, Sequence):
        raise TypeError(
            f"statement arguments must be a sequence or a mapping, not {type(args).__name__}"
        )
    return [normalize_value(value, finite=False) for value in args]
