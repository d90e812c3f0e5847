"""The API tokens' vocabulary both sides read (tursotui.platform.api_token_scopes): the ops layer refuses what
the local Turso would, with the same words."""

from __future__ import annotations

import pytest

from tursotui.local.control.api_tokens import check_token_name as server_name
from tursotui.local.control.api_tokens import expand_scopes
from tursotui.local.errors import ApiError
from tursotui.ops.api_tokens import check_scopes
from tursotui.ops.api_tokens import check_token_name as client_name
from tursotui.ops.errors import InputError
from tursotui.platform.api_token_scopes import (
    PRESET_SCOPES,
    SCOPES,
    scope_problem,
    token_name_problem,
)


def test_presets_expand_to_turso_cli_scopes_in_order() -> None:
    assert PRESET_SCOPES == {"read-only": ("read",), "full-access": SCOPES}
    assert expand_scopes(["group:configure", "read-only"]) == ["read", "group:configure"]
    assert expand_scopes(["full-access"]) == list(SCOPES)


@pytest.mark.parametrize("name", ["ci", "a.b-c_d", "x" * 64])
def test_a_good_name_passes_both_sides(name: str) -> None:
    assert token_name_problem(name) is None
    assert server_name(name) == name and client_name(f" {name} ") == name


@pytest.mark.parametrize("name", ["", "-lead", "has space", "x" * 65, "slash/in"])
def test_a_bad_name_is_refused_with_the_same_words_on_both_sides(name: str) -> None:
    problem = token_name_problem(name)
    assert problem is not None and repr(name) in problem and "1 to 64" in problem
    with pytest.raises(ApiError) as server:
        server_name(name)
    assert server.value.status == 400 and problem in str(server.value)
    with pytest.raises(InputError, match="invalid API token name"):
        client_name(name)


def test_an_unknown_scope_is_named_with_the_allowed_ones() -> None:
    problem = scope_problem("db:drop")
    assert problem is not None and "'db:drop'" in problem
    assert all(s in problem for s in [*SCOPES, "read-only", "full-access"])
    assert scope_problem("read-only") is None and scope_problem("db:create") is None
    with pytest.raises(ApiError) as server:
        expand_scopes(["read", "db:drop"])
    assert problem in str(server.value)
    with pytest.raises(InputError) as client:
        check_scopes(["read", " db:drop "])
    assert str(client.value) == problem
    assert check_scopes(["read", "read", "full-access"]) == ("read", "full-access")
