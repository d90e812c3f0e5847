"""Properties of tursotui.ops.migrate: file names parse or are refused with InputError, a sequence passes
exactly when it is 1..n, checksums ignore line endings only, and the schema normalisation ignores
whitespace, case and identifier quoting (never string literals) and is idempotent."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from tursotui.ops.errors import InputError
from tursotui.ops.migrate.files import check_sequence, checksum, parse_name
from tursotui.ops.migrate.schema import normalise_sql

names = st.text(alphabet="abcxyz019_", min_size=1, max_size=12).filter(lambda s: s[0] != "_")
idents = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
types = st.sampled_from(["TEXT", "INTEGER", "REAL", "BLOB", "TEXT NOT NULL", "INTEGER PRIMARY KEY"])


@given(st.integers(min_value=1, max_value=10**6), names)
def test_well_formed_names_parse(number: int, name: str) -> None:
    assert parse_name(f"{number:04d}_{name}.sql") == (number, name)


@given(st.text(max_size=30))
def test_any_file_name_parses_or_is_refused_naming_it(file: str) -> None:
    try:
        number, _ = parse_name(file)
    except InputError as exc:
        assert repr(file) in exc.message or "0001" in exc.message
    else:
        assert number >= 1 and file.endswith(".sql")


@given(st.integers(min_value=1, max_value=40), st.randoms(use_true_random=False))
def test_one_to_n_in_any_order_passes(n: int, rng: random.Random) -> None:
    numbers = [(i, f"{i:04d}_m.sql") for i in range(1, n + 1)]
    rng.shuffle(numbers)
    check_sequence(numbers)


@given(st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=20))
def test_anything_but_one_to_n_is_refused(ids: list[int]) -> None:
    numbers = [(i, f"{i:04d}_m{k}.sql") for k, i in enumerate(ids)]
    valid = sorted(ids) == list(range(1, len(ids) + 1))
    try:
        check_sequence(numbers)
    except InputError as exc:
        assert not valid
        assert "twice" in exc.message or "missing" in exc.message or "start at 0001" in exc.message
    else:
        assert valid


@given(st.lists(st.text(alphabet="abc ;'", max_size=10), max_size=6))
def test_checksums_ignore_line_endings_only(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert (
        checksum(text) == checksum(text.replace("\n", "\r\n")) == checksum(text.replace("\n", "\r"))
    )
    assert checksum(text) != checksum(text + "x")


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str]:
    table = draw(idents)
    columns = draw(
        st.lists(st.tuples(idents, types), min_size=1, max_size=4, unique_by=lambda c: c[0])
    )
    default = draw(st.text(alphabet="aB z", max_size=5))
    return table, columns, default


def _render(table: str, columns: list[tuple[str, str]], default: str, rng: random.Random) -> str:
    def space() -> str:
        return rng.choice(["", " ", "  ", "\n  ", "\t"])

    def ident(name: str) -> str:
        cased = "".join(c.upper() if rng.random() < 0.5 else c for c in name)
        return rng.choice([cased, f'"{cased}"', f"[{cased}]", f"`{cased}`"])

    def word(text: str) -> str:
        return text.upper() if rng.random() < 0.5 else text.lower()

    parts = [f"{space()}{ident(c)} {word(t)}{space()}" for c, t in columns]
    parts.append(f"{space()}note TEXT DEFAULT '{default}'{space()}")
    return f"{word('CREATE TABLE')} {ident(table)}{space()}({','.join(parts)}){space()};"


@given(tables(), st.randoms(use_true_random=False), st.randoms(use_true_random=False))
def test_normalisation_ignores_spacing_case_and_quoting(
    table: tuple[str, list[tuple[str, str]], str], one: random.Random, two: random.Random
) -> None:
    name, columns, default = table
    a = normalise_sql(_render(name, columns, default, one))
    b = normalise_sql(_render(name, columns, default, two))
    assert a == b
    assert f"'{default}'" in a  # the literal kept as written
    assert normalise_sql(a) == a


@given(tables(), st.randoms(use_true_random=False))
def test_a_different_literal_is_a_different_schema(
    table: tuple[str, list[tuple[str, str]], str], rng: random.Random
) -> None:
    name, columns, default = table
    a = normalise_sql(_render(name, columns, default, rng))
    b = normalise_sql(_render(name, columns, default + "!", rng))
    assert a != b
