"""The lower layers import without Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

LOWER_LAYERS = [
    "tursotui.platform",
    "tursotui.libsql",
    "tursotui.local",
    "tursotui.config",
    "tursotui.ops",
    "tursotui.cli",
    "tursotui.support",
]


@pytest.mark.parametrize("package", LOWER_LAYERS)
def test_layer_imports_without_textual(package: str) -> None:
    code = f"""
import importlib, pkgutil, sys
pkg = importlib.import_module({package!r})
names = [pkg.__name__]
for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
    importlib.import_module(info.name)
    names.append(info.name)
bad = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print("MODULES", len(names))
print("TEXTUAL", bad)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "TEXTUAL []" in out.stdout, out.stdout
