"""The contract validator itself (tests/fixtures/contract.py): it must catch violations, not only pass good traffic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from fixtures.contract import SPEC_ENV, ContractError, SpecValidator, spec_path

from tursotui.platform import PlatformClient

AUTH = {"Authorization": "Bearer t"}
API = "https://api.turso.tech"


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return SpecValidator.default()


def test_good_request_passes(validator: SpecValidator) -> None:
    request = httpx.Request(
        "POST",
        f"{API}/v1/organizations/o/databases",
        json={"name": "a", "group": "g"},
        headers=AUTH,
    )
    validator.validate_request(request)
    assert validator.operation_id(request) == "createDatabase"


def test_bad_request_body_is_caught(validator: SpecValidator) -> None:
    request = httpx.Request(
        "POST", f"{API}/v1/organizations/o/databases", json={"name": 1}, headers=AUTH
    )
    with pytest.raises(ContractError) as info:
        validator.validate_request(request)
    text = str(info.value)
    assert "'group' is a required property" in text and "1 is not of type 'string'" in text


def test_bad_seed_type_is_caught(validator: SpecValidator) -> None:
    body = {"name": "a", "group": "g", "seed": {"type": "dump", "url": "https://x"}}
    request = httpx.Request("POST", f"{API}/v1/organizations/o/databases", json=body, headers=AUTH)
    assert any("'dump' is not one of" in e for e in validator.request_errors(request))


def test_missing_bearer_is_caught(validator: SpecValidator) -> None:
    request = httpx.Request("GET", f"{API}/v1/locations")
    with pytest.raises(ContractError, match="Security"):
        validator.validate_request(request)
    relaxed = SpecValidator(require_bearer=False)
    relaxed.validate_request(request)


def test_unknown_path_is_caught(validator: SpecValidator) -> None:
    request = httpx.Request("GET", f"{API}/v1/nothing-here", headers=AUTH)
    assert validator.operation_id(request) is None
    with pytest.raises(ContractError, match="not found"):
        validator.validate_request(request)


def test_bad_query_parameter_is_caught(validator: SpecValidator) -> None:
    request = httpx.Request(
        "GET", f"{API}/v1/organizations/o/databases/d/usage?from=yesterday", headers=AUTH
    )
    assert any("date-time" in e for e in validator.request_errors(request))


def test_wrong_response_types_are_caught(validator: SpecValidator) -> None:
    request = httpx.Request("GET", f"{API}/v1/organizations/o/databases/d", headers=AUTH)
    response = httpx.Response(200, json={"database": {"Name": 3, "regions": "aws-us-east-1"}})
    with pytest.raises(ContractError) as info:
        validator.validate_response(request, response)
    errors = info.value.errors
    assert any("at database/Name: 3 is not of type 'string'" in e for e in errors), errors
    assert any("at database/regions" in e for e in errors), errors


def test_truncated_json_response_is_caught(validator: SpecValidator) -> None:
    request = httpx.Request("GET", f"{API}/v1/locations", headers=AUTH)
    response = httpx.Response(
        200, content=b'{"locations": {', headers={"Content-Type": "application/json"}
    )
    assert validator.response_errors(request, response)


def test_undocumented_error_status(validator: SpecValidator) -> None:
    request = httpx.Request("GET", f"{API}/v1/locations", headers=AUTH)
    response = httpx.Response(401, json={"error": "token expired"})
    validator.validate_response(request, response)  # allowed by default
    strict = SpecValidator(undocumented_errors="fail")
    with pytest.raises(ContractError):
        strict.validate_response(request, response)


def test_documented_error_body_is_checked(validator: SpecValidator) -> None:
    request = httpx.Request("GET", f"{API}/v1/organizations/o/databases/d", headers=AUTH)
    validator.validate_response(request, httpx.Response(404, json={"error": "not found"}))
    with pytest.raises(ContractError):
        validator.validate_response(request, httpx.Response(404, json={"error": 404}))


def test_other_origins_and_prefixes_are_rebased() -> None:
    validator = SpecValidator(base_urls=["http://testserver/api"])
    for url in (
        "http://127.0.0.1:9999/v1/locations",
        "http://testserver/api/v1/locations",
        "https://api.turso.tech/v1/locations",
    ):
        request = httpx.Request("GET", url, headers=AUTH)
        assert validator.operation_id(request) == "listLocations", url
        validator.validate_request(request)


async def test_validating_transport_fails_the_call() -> None:
    validator = SpecValidator.default()
    transport = validator.wrap(
        lambda r: httpx.Response(200, json={"locations": ["not", "a", "map"]})
    )
    async with PlatformClient("platform-token-0123456789", transport=transport) as api:
        with pytest.raises(ContractError, match="response 200 to GET"):
            await api.list_locations()


async def test_validating_transport_can_skip_hosts() -> None:
    validator = SpecValidator.default()
    transport = validator.wrap(
        lambda r: httpx.Response(200, json={"server": "a", "client": "b"}), hosts=["api.turso.tech"]
    )
    async with PlatformClient("platform-token-0123456789", transport=transport) as api:
        assert (await api.closest_region()).server == "a"
    assert len(transport.exchanges) == 1


def test_spec_location_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = spec_path()
    assert default.name == "turso-platform-openapi.json" and default.is_file()
    copy = tmp_path / "spec.json"
    shutil.copy(default, copy)
    monkeypatch.setenv(SPEC_ENV, str(copy))
    assert spec_path() == copy.resolve()
    assert SpecValidator().raw == json.loads(default.read_text())
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "missing.json"))
    with pytest.raises(FileNotFoundError, match=SPEC_ENV):
        SpecValidator()


def test_examples_are_taken_from_the_spec(validator: SpecValidator) -> None:
    example = validator.example_response("addLocationToGroup")
    assert example.source == "media type example" and example.synthesized == ()
    assert example.body["group"]["locations"] == ["aws-us-east-1", "aws-eu-west-1"]
    usage = validator.example_response("getDatabaseUsage").body["database"]
    assert usage["total"]["storage_bytes"] == 8192  # the example next to the $ref
    with pytest.raises(KeyError):
        validator.example_response("noSuchOperation")
