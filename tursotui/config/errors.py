"""Configuration errors: one clear message naming the file, the line or key, and what is expected."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """Bad configuration input. The CLI prints ``str(err)`` and exits with code 2."""

    def __init__(
        self,
        path: Path | str | None,
        problem: str,
        *,
        key: str | None = None,
        line: int | None = None,
        expected: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.problem = problem
        self.key = key
        self.line = line
        self.expected = expected
        super().__init__(self._render())

    def _render(self) -> str:
        where = str(self.path) if self.path is not None else "configuration"
        if self.line is not None:
            where += f", line {self.line}"
        if self.key is not None:
            where += f", key '{self.key}'"
        text = f"{where}: {self.problem}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text
