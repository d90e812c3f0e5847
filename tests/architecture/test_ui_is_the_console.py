"""Nothing under tursotui/ui that is not the console: every module there imports Textual (or Rich) or another
module of the console. Logic both front ends could use belongs in ops/ or below (the contracts in pyproject.toml
keep Textual out of those); the few Textual-free console modules are named here with the reason."""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "tursotui" / "ui"

TEXTUAL_FREE = {
    "services.py": "what the console is given (the backend's client, clock, theme): injected into TursoApp",
    "panes/databases_cells.py": "the Databases pane's columns and cell texts, split off to keep the pane small",
    "dialogs/base.py": "the path of the stylesheet every modal screen lists first in its CSS_PATH",
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add("tursotui.ui")  # a relative import stays inside the console
    return found


def _is_console(module: str) -> bool:
    return module.split(".")[0] in ("textual", "rich") or module.startswith("tursotui.ui")


def test_every_ui_module_is_part_of_the_console() -> None:
    strays = []
    for path in sorted(UI.rglob("*.py")):
        name = path.relative_to(UI).as_posix()
        if path.name == "__init__.py" or name in TEXTUAL_FREE:
            continue
        if not any(_is_console(m) for m in _imports(path)):
            strays.append(name)
    assert strays == [], (
        f"Textual-free modules under tursotui/ui (move them to ops/ or below): {strays}"
    )


def test_the_named_exceptions_still_exist() -> None:
    assert all((UI / name).is_file() for name in TEXTUAL_FREE)
