"""Results written to CSV or JSON, atomically, to a path the operator typed."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from tursotui.ops.errors import InputError, OpsError
from tursotui.support.atomic import atomic_write

ExportFormat = Literal["csv", "json"]
EXPORTS_DIR = "exports"


def default_export_path(data_dir: Path, stem: str, fmt: ExportFormat) -> Path:
    return data_dir / EXPORTS_DIR / f"{stem}.{fmt}"


def resolve_export_path(text: str, base: Path) -> tuple[Path, ExportFormat]:
    """The typed path (relative to ``base``, ``~`` expanded) and its format from the suffix."""
    value = text.strip()
    if not value:
        raise InputError("no path given: type a file name ending in .csv or .json")
    if "\x00" in value:
        raise InputError("the path contains a NUL character")
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = base / path
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputError(f"{path.name}: the file name must end in .csv or .json")
    if path.is_dir():
        raise InputError(f"{path} is a directory: add a file name")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{parent} is not a directory")
    return path, "csv" if suffix == ".csv" else "json"


def json_value(value: Any) -> Any:
    """A result value as JSON holds it: a blob as ``{"base64": ...}``, a non-finite float as text."""
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def render(fmt: ExportFormat, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_value(v) for v in row] for row in rows)
        return buffer.getvalue().encode("utf-8")
    records = [{col: json_value(v) for col, v in zip(columns, row, strict=False)} for row in rows]
    return (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def export_results(
    path: Path, fmt: ExportFormat, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Write the rows (atomically: temp file + rename); returns the bytes written."""
    data = render(fmt, columns, rows)
    try:
        atomic_write(path, data, mode=0o600)
    except OSError as exc:
        raise OpsError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(data)
