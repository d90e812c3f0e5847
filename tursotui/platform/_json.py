"""Tolerant, typed reading of JSON objects for the ``from_json`` constructors of the models.

Unknown fields are ignored and missing optional fields get defaults; a field of the wrong type raises
:class:`ResponseFormatError` naming the field and what was expected. Field names may be given as several
aliases (``"Name", "name"``): the Platform API is written in Go, whose JSON decoding is case-insensitive, and
its responses mix ``DbId``/``primaryRegion``/``block_reads`` styles.
"""

from __future__ import annotations

from collections.abc import Mapping

from tursotui.platform.errors import ResponseFormatError


def describe(value: object) -> str:
    """The JSON type name of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def fail(what: str, expected: str, value: object) -> ResponseFormatError:
    return ResponseFormatError(f"expected {what} to be {expected}, got {describe(value)}")


def expect_list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise fail(what, "an array", value)
    return value


class Obj:
    """A JSON object being read into a model; ``what`` names it in error messages."""

    def __init__(self, data: object, what: str) -> None:
        self.what: str = what
        if isinstance(data, Obj):  # already located: keep its JSON path for messages
            self.data: Mapping[str, object] = data.data
            self.what = data.what
            return
        if type(data) is not dict and not isinstance(
            data, Mapping
        ):  # a dict: the common case, first
            raise fail(what, "an object", data)
        self.data = data

    def _get(self, keys: tuple[str, ...]) -> tuple[str, object]:
        get = (
            self.data.get
        )  # one lookup per alias (10,000 databases × a dozen fields × their aliases)
        for key in keys:
            value = get(key)
            if value is not None:
                return key, value
        return keys[0], None

    def has(self, *keys: str) -> bool:
        return self._get(keys)[1] is not None

    def raw(self, *keys: str) -> object:
        return self._get(keys)[1]

    def text(self, *keys: str, default: str = "") -> str:
        key, value = self._get(keys)
        if type(value) is str:
            return value
        if value is None:
            return default
        return self._text(key, value)

    def _text(self, key: str, value: object) -> str:
        if isinstance(value, str):  # a str subclass
            return value
        raise fail(f"{self.what}.{key}", "a string", value)

    def opt_text(self, *keys: str) -> str | None:
        key, value = self._get(keys)
        if value is None or isinstance(value, str):
            return value
        raise fail(f"{self.what}.{key}", "a string", value)

    def req_text(self, *keys: str) -> str:
        key, value = self._get(keys)
        if isinstance(value, str):
            return value
        raise fail(f"{self.what}.{key}", "a string", value)

    def text_or_number(self, *keys: str) -> str | None:
        """A string field that some servers send as a number (prices, size limits)."""
        value = self._get(keys)[1]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return self.opt_text(*keys)

    def flag(self, *keys: str, default: bool = False) -> bool:
        key, value = self._get(keys)
        if value is None:
            return default
        if value is True or value is False:
            return value
        raise fail(f"{self.what}.{key}", "a boolean", value)

    def opt_flag(self, *keys: str) -> bool | None:
        key, value = self._get(keys)
        if value is None or isinstance(value, bool):
            return value
        raise fail(f"{self.what}.{key}", "a boolean", value)

    def integer(self, *keys: str, default: int = 0) -> int:
        value = self.opt_integer(*keys)
        return default if value is None else value

    def opt_integer(self, *keys: str) -> int | None:
        key, value = self._get(keys)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise fail(f"{self.what}.{key}", "an integer", value)

    def str_list(self, *keys: str) -> tuple[str, ...]:
        key, value = self._get(keys)
        if value is None:
            return ()
        items = expect_list(value, f"{self.what}.{key}")
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise fail(f"{self.what}.{key}[{index}]", "a string", item)
        return tuple(item for item in items if isinstance(item, str))

    def obj(self, *keys: str) -> Obj | None:
        key, value = self._get(keys)
        return None if value is None else Obj(value, f"{self.what}.{key}")

    def req_obj(self, *keys: str) -> Obj:
        key, value = self._get(keys)
        return Obj(value, f"{self.what}.{key}")

    def objs(self, *keys: str) -> list[Obj]:
        """An array of objects (missing or null reads as empty)."""
        key, value = self._get(keys)
        if value is None:
            return []
        items = expect_list(value, f"{self.what}.{key}")
        return [Obj(item, f"{self.what}.{key}[{index}]") for index, item in enumerate(items)]

    def str_map(self, *keys: str) -> dict[str, str]:
        key, value = self._get(keys)
        if value is None:
            return {}
        mapping = Obj(value, f"{self.what}.{key}").data
        result: dict[str, str] = {}
        for name, text in mapping.items():
            if not isinstance(text, str):
                raise fail(f"{self.what}.{key}.{name}", "a string", text)
            result[name] = text
        return result


def member(data: object, key: str) -> Obj:
    """``data[key]`` as an object (``{"database": {...}}`` -> the inner object)."""
    return Obj(data, "response").req_obj(key)


def members(data: object, key: str) -> list[Obj]:
    """``data[key]`` as a list of objects; a missing or null list reads as empty."""
    return Obj(data, "response").objs(key)
