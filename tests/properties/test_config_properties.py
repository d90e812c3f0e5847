"""Hypothesis over generated config.toml and .env files: a Config or a ConfigError, never a crash."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tursotui.config import ConfigError, load_config, read_env_file, write_env_file
from tursotui.config.schema import SCHEMA

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(st.text(max_size=8), max_size=4),
)
keys = st.sampled_from(
    [k for keys in SCHEMA.values() for k in keys] + ["unknown_key", "auth_token", "x"]
)
tables = st.sampled_from([*SCHEMA, "other", "turso.extra"])
documents = st.dictionaries(tables, st.dictionaries(keys, toml_scalars, max_size=6), max_size=5)


def _nest(doc: dict[str, dict[str, Any]]) -> tomlkit.TOMLDocument:
    out = tomlkit.document()
    for table, values in doc.items():
        node: Any = out
        for part in table.split("."):
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        for key, value in values.items():
            node[key] = value
    return out


@SETTINGS
@given(documents)
def test_generated_configs_load_or_fail_clearly(doc: dict[str, dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(tomlkit.dumps(_nest(doc)))
        before = path.read_bytes()
        try:
            config = load_config(path)
        except ConfigError as err:
            assert str(path) in str(err)
            assert err.key is not None or err.line is not None or "table" in err.problem
        else:
            for table, values in doc.items():
                if table == "turso":
                    for key, value in values.items():
                        if key == "database_name":
                            assert config.turso.database_name == value
        assert path.read_bytes() == before


@SETTINGS
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_loader(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_bytes(data)
        try:
            load_config(path)
        except ConfigError as err:
            assert str(path) in str(err)


env_keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
env_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"),
    max_size=40,
)


@SETTINGS
@given(
    st.dictionaries(env_keys, env_values, max_size=6),
    st.dictionaries(env_keys, env_values, max_size=4),
)
def test_env_round_trip_keeps_other_keys(existing: dict[str, str], updates: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".env"
        write_env_file(path, existing)
        assert read_env_file(path) == existing
        write_env_file(path, updates)
        assert read_env_file(path) == {**existing, **updates}
        assert path.stat().st_mode & 0o777 == 0o600


@SETTINGS
@given(st.text(max_size=120))
def test_arbitrary_env_text_parses_or_fails_clearly(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".env"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            values = read_env_file(path)
        except ConfigError as err:
            assert err.line is not None or "UTF-8" in err.problem
        else:
            assert all(isinstance(v, str) for v in values.values())
