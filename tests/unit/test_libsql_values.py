"""Value encoding, argument handling and JSON spelling, without a server."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tursotui.libsql.jsonenc import dumps, float_literal, serde_f64, sqld_reads_exactly
from tursotui.libsql.result import ResultSet, Statement, as_statement
from tursotui.libsql.values import (
    INT64_MAX,
    INT64_MIN,
    decode_value,
    encode_named_args,
    encode_stmt,
    encode_value,
    local_args,
    sql_parameter_names,
)

values = st.one_of(
    st.none(),
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.binary(),
)


@settings(max_examples=200)
@given(value=values)
def test_encode_decode_round_trip_through_json(value: object) -> None:
    wire = json.loads(dumps(encode_value(value)))
    assert decode_value(wire) == value
    assert type(decode_value(wire)) is type(value)


def test_encodings() -> None:
    assert encode_value(None) == {"type": "null"}
    assert encode_value(INT64_MAX) == {"type": "integer", "value": "9223372036854775807"}
    assert encode_value(INT64_MIN) == {"type": "integer", "value": "-9223372036854775808"}
    assert encode_value(True) == {"type": "integer", "value": "1"}
    assert encode_value(False) == {"type": "integer", "value": "0"}
    assert encode_value(1.5) == {"type": "float", "value": 1.5}
    assert encode_value("a\x00b") == {"type": "text", "value": "a\x00b"}
    assert encode_value(b"\x00\x01") == {"type": "blob", "base64": "AAE="}
    assert encode_value(bytearray(b"\xff")) == {"type": "blob", "base64": "/w=="}
    assert encode_value(memoryview(b"ab")) == {"type": "blob", "base64": "YWI="}


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (Decimal("1.5"), TypeError, "Decimal"),
        ([1], TypeError, "list"),
        ({"a": 1}, TypeError, "dict"),
        (object(), TypeError, "object"),
        (2**63, OverflowError, "64-bit"),
        (-(2**63) - 1, OverflowError, "64-bit"),
        (math.inf, ValueError, "infinity"),
        (math.nan, ValueError, "NaN"),
        ("\ud800", ValueError, "surrogate"),
    ],
)
def test_unsupported_values_are_refused(value: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        encode_value(value)


def test_decoding_tolerates_the_wire_variants() -> None:
    assert decode_value({"type": "blob", "base64": "AAE"}) == b"\x00\x01"
    assert decode_value({"type": "blob", "base64": "AAE="}) == b"\x00\x01"
    assert decode_value({"type": "blob", "base64": ""}) == b""
    assert decode_value({"type": "integer", "value": "-9223372036854775808"}) == INT64_MIN
    assert decode_value({"type": "float", "value": 3}) == 3.0
    assert isinstance(decode_value({"type": "float", "value": 3}), float)
    assert math.isnan(decode_value({"type": "float", "value": None}))  # type: ignore[arg-type]


def test_sql_parameter_names_skip_literals_and_comments() -> None:
    sql = """
        SELECT :a, @b, $c, ?1, ':x', "@y", `$z`, [:w] -- :comment
        FROM t /* @block */ WHERE x = :a AND y = :é_1
    """
    assert sql_parameter_names(sql) == [":a", "@b", "$c", ":é_1"]


def test_named_args_get_the_prefix_used_in_the_sql() -> None:
    args = encode_named_args("SELECT @b, $c, :d", {"b": 1, "c": 2, ":d": 3, "e": 4})
    assert [a["name"] for a in args] == ["@b", "$c", ":d", ":e"]
    both = encode_named_args("SELECT :x, @x", {"x": 1})
    assert [a["name"] for a in both] == [":x", "@x"]
    with pytest.raises(ValueError, match="twice"):
        encode_named_args("SELECT :x", {"x": 1, ":x": 2})
    with pytest.raises(TypeError):
        encode_named_args("SELECT :x", {"": 1})


def test_statement_shapes() -> None:
    assert encode_stmt("SELECT 1") == {"sql": "SELECT 1", "want_rows": True}
    assert encode_stmt("SELECT ?", (1,))["args"] == [{"type": "integer", "value": "1"}]
    with pytest.raises(TypeError):
        encode_stmt("SELECT ?", b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode_stmt(b"SELECT 1")  # type: ignore[arg-type]
    assert as_statement("SELECT 1") == Statement("SELECT 1")
    assert as_statement(("SELECT ?", [1])) == Statement("SELECT ?", [1])
    assert as_statement(("SELECT 1",)) == Statement("SELECT 1")
    with pytest.raises(TypeError):
        as_statement(42)  # type: ignore[arg-type]


def test_local_args() -> None:
    assert local_args(None) == ()
    assert local_args([True, b"x", bytearray(b"y")]) == [1, b"x", b"y"]
    assert local_args({":a": 1, "@b": 2, "c": 3}) == {"a": 1, "b": 2, "c": 3}
    assert local_args([math.inf]) == [math.inf]  # a local file can store infinity


def test_result_set_from_hrana_defaults() -> None:
    result = ResultSet.from_hrana({"cols": [{"name": None}], "rows": [], "affected_row_count": 0})
    assert result.columns == ("",)
    assert result.decltypes == (None,)
    assert result.rows_read is None
    assert result.query_duration_ms is None
    assert result.scalar() is None


@settings(max_examples=300)
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_float_literal_is_a_correct_spelling(value: float) -> None:
    literal = float_literal(value)
    assert float(literal) == value
    assert math.copysign(1, float(literal)) == math.copysign(1, value)
    json.loads(literal)  # valid JSON number


def test_float_literal_fixes_what_repr_gets_wrong_in_sqld() -> None:
    value = 2.661755747055721e84  # repr() of this reaches sqld as 2.6617557470557213e+84
    assert serde_f64(2661755747055721, 69) != value
    assert sqld_reads_exactly(value)
    assert float_literal(value) != repr(value)
    for easy in (0.0, -0.0, 1.5, 0.1, 1e300, 5e-324):
        assert float_literal(easy) == repr(easy)


def test_dumps_matches_json() -> None:
    body = {
        "baton": None,
        "requests": [
            {"type": "execute", "stmt": {"sql": "SELECT 'é\x00\"\\'", "want_rows": True}},
            {"list": [1, -2, 0.5, True, False, None, "x"]},
        ],
    }
    assert json.loads(dumps(body)) == body
    assert dumps(body).isascii()
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_libsql_never_imports_textual() -> None:
    code = (
        "import sys, tursotui.libsql as m\n"
        "from tursotui.libsql import HranaClient, LocalDatabase, ResultSet\n"
        "import tursotui.libsql.hrana, tursotui.libsql.local, tursotui.libsql.stream\n"
        "assert 'textual' not in sys.modules, sorted(k for k in sys.modules if 'textual' in k)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_package_import_is_lazy() -> None:
    code = (
        "import sys, tursotui.libsql\n"
        "assert 'httpx' not in sys.modules\n"
        "tursotui.libsql.ResultSet\n"
        "assert 'httpx' not in sys.modules\n"
        "tursotui.libsql.HranaClient\n"
        "assert 'httpx' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
