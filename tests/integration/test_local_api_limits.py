"""The local Turso's Platform API refuses oversized and deeply nested bodies with a clear 4xx, and answers
unexpected failures (a full disk) as JSON, never a plain-text 500 (audit defects 15, 16, 17)."""

from __future__ import annotations

import errno
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tursotui.local.api.jsonbody import MAX_JSON_BODY, MAX_JSON_DEPTH, nesting_depth, parse_object
from tursotui.local.errors import ApiError
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso

DATABASES = "/v1/organizations/local/databases"


@pytest.fixture
async def api(local_turso: LocalTurso) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=local_turso.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {local_turso.api_token}"},
    ) as http:
        yield http


@pytest.mark.parametrize("depth", [17, 1_000, 30_000, 100_000, 1_000_000])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", DATABASES),
        ("POST", "/v1/organizations/local/groups"),
        ("PATCH", DATABASES + "/nope/configuration"),
    ],
)
async def test_deeply_nested_json_is_a_400_not_a_500(
    api: httpx.AsyncClient, method: str, path: str, depth: int
) -> None:
    body = '{"name":' + "[" * depth + "]" * depth + "}"
    response = await api.request(
        method, path, content=body, headers={"content-type": "application/json"}
    )
    if len(body) > MAX_JSON_BODY:  # refused on its size first
        assert response.status_code == 413
    else:
        assert response.status_code == 400
        assert response.json() == {
            "error": f"request body nests deeper than {MAX_JSON_DEPTH} levels"
        }


async def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_created(
    api: httpx.AsyncClient,
) -> None:
    body = json.dumps({"name": "big", "group": "default", "pad": "x" * (MAX_JSON_BODY + 1)})
    response = await api.post(DATABASES, content=body)
    assert response.status_code == 413
    assert "over 64 KiB" in response.json()["error"]
    assert (await api.get(DATABASES)).json() == {"databases": []}


async def test_a_chunked_body_is_cut_off_at_the_limit(api: httpx.AsyncClient) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"name": "'
        for _ in range(1_000):  # 64 MiB if it were all read
            sent += 1
            yield b"x" * 65536

    response = await api.post(DATABASES, content=endless())
    assert response.status_code == 413
    assert sent < 10  # stopped reading once the limit was passed, not after 64 MiB


async def test_a_bad_content_length_is_a_400(api: httpx.AsyncClient) -> None:
    response = await api.post(DATABASES, content=b"{}", headers={"content-length": "abc"})
    assert response.status_code == 400


async def test_the_token_is_checked_before_the_body_is_read(local_turso: LocalTurso) -> None:
    read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(100):
            read += 1
            yield b"x" * 65536

    async with httpx.AsyncClient(
        transport=local_turso.transport(), base_url=IN_PROCESS_BASE_URL
    ) as http:
        response = await http.post(DATABASES, content=body())
    assert response.status_code == 401
    assert read <= 1  # at most what the transport sent before the answer


async def test_a_full_disk_is_a_json_507_naming_the_cause(
    local_turso: LocalTurso, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "state.json")

    await api.post(DATABASES, json={"name": "x"})  # nothing created: no group yet
    monkeypatch.setattr(local_turso.cp, "save", full)
    response = await api.post(
        "/v1/organizations/local/groups", json={"name": "g", "location": "sjc"}
    )
    assert response.status_code == 507
    assert response.headers["content-type"] == "application/json"
    assert "data dir is full" in response.json()["error"]
    assert "state.json" in response.json()["error"]


async def test_an_unexpected_error_is_a_json_500(
    local_turso: LocalTurso, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(local_turso.cp, "save", broken)
    response = await api.post(
        "/v1/organizations/local/groups", json={"name": "g", "location": "sjc"}
    )
    assert response.status_code == 500
    assert response.json() == {"error": "the local Turso failed on this request (KeyError)"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_nesting_depth_matches_the_document_whatever_its_strings_hold(value: object) -> None:
    assert nesting_depth(json.dumps(value).encode()) == _depth(value)


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=4))
def test_shallow_objects_parse_as_json_does(value: dict[str, object]) -> None:
    raw = json.dumps(value).encode()
    if _depth(value) <= MAX_JSON_DEPTH:
        assert parse_object(raw) == value
    else:
        with pytest.raises(ApiError):
            parse_object(raw)


@pytest.mark.parametrize("raw", [b"[]", b"1", b'"x"', b"{", b"\xff\xfe", b"null"])
def test_non_objects_are_a_400(raw: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        parse_object(raw)
    assert caught.value.status == 400
