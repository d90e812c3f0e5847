"""A package's names imported from their modules when first used (PEP 562): ``from tursotui.platform import
PlatformError`` loads the errors, not every model and the client (the console's first frame pays only for what
it shows; ``import tursotui.libsql`` costs nothing until a name is used)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from importlib import import_module
from typing import Any


def lazy_exports(
    namespace: MutableMapping[str, Any], exports: Mapping[str, tuple[str, ...]]
) -> Callable[[str], Any]:
    """The ``__getattr__`` of the package whose ``globals()`` is ``namespace``: each name of ``exports`` (module
    → the names it exports) is imported on first use and kept in ``namespace`` (later lookups skip this)."""
    where = {name: module for module, names in exports.items() for name in names}
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
