"""Errors the local Turso answers with: Turso's status codes and `{"error": "..."}` bodies."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code

    def body(self) -> dict[str, str]:
        out = {"error": self.message}
        if self.code:
            out["code"] = self.code
        return out


def not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, f"{kind} {name} not found")


def unavailable(what: str) -> ApiError:
    return ApiError(
        503,
        f"{what} is not running right now (the local Turso is restarting it); retry in a moment",
    )
