"""Bad input at scale (hypothesis): names, token lifetimes, timestamps, Platform API bodies, and
generated create-database bodies sent to the local Turso on real sqld. Zero crashes, zero
unintended writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tursotui.local.control.recovery import parse_timestamp
from tursotui.local.errors import ApiError
from tursotui.local.host.service import IN_PROCESS_BASE_URL, LocalTurso
from tursotui.ops.errors import InputError
from tursotui.ops.restore import parse_restore_time
from tursotui.platform import Database, DatabaseUsage, Group, Instance
from tursotui.platform.errors import ResponseFormatError
from tursotui.support.names import NAME_RULE, name_problem, parse_duration

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=12,
)


@FAST
@given(st.text(max_size=70))
def test_names_are_valid_exactly_when_the_rule_matches(name: str) -> None:
    problem = name_problem(name)
    assert (problem is None) == bool(NAME_RULE.match(name))
    if problem:
        assert "name" in problem


@FAST
@given(st.one_of(st.text(max_size=20), st.from_regex(r"(?:\d{1,4}[wdhms]){1,4}", fullmatch=True)))
def test_durations_parse_or_fail_clearly(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        assert "expiration" in str(exc)
    else:
        assert seconds is None or 0 < seconds <= 3650 * 86_400


@FAST
@given(st.text(max_size=40))
def test_restore_times_parse_or_fail_clearly(text: str) -> None:
    try:
        moment = parse_restore_time(text, now=datetime(2026, 11, 25, tzinfo=UTC))
    except InputError as exc:
        assert exc.exit_code == 2 and exc.message
    else:
        assert moment.tzinfo is not None


@FAST
@given(st.one_of(st.text(max_size=40), st.datetimes().map(lambda d: d.isoformat())))
def test_recovery_timestamps_parse_or_are_a_400(text: str) -> None:
    try:
        value = parse_timestamp(text)
    except ApiError as exc:
        assert exc.status == 400 and "timestamp" in exc.message
    else:
        assert isinstance(value, float)


@FAST
@given(json_values)
def test_platform_models_parse_any_json_or_say_what_is_wrong(data: Any) -> None:
    for model in (Database, Group, Instance, DatabaseUsage):
        try:
            model.from_json(data)
        except ResponseFormatError as exc:
            assert "expected" in str(exc)


def _bodies() -> st.SearchStrategy[Any]:
    seeds = st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"type": st.sampled_from(["database", "database_upload", "dump", "x"])},
            optional={"name": json_values, "timestamp": json_values, "url": json_values},
        ),
    )
    return st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(st.text(max_size=70), json_values),
                "group": st.one_of(st.sampled_from(["default", "nope"]), json_values),
                "seed": seeds,
                "size_limit": json_values,
            },
        ),
    )


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_bodies(), min_size=120, max_size=120))
def test_generated_create_bodies_never_crash_the_local_turso(
    tmp_path_factory: Any, sqld_binary: Path, bodies: list[Any]
) -> None:
    import asyncio

    async def run() -> None:
        turso = LocalTurso(tmp_path_factory.mktemp("fuzz"), recovery_interval=0, binary=sqld_binary)
        await turso.start()
        try:
            async with httpx.AsyncClient(
                transport=turso.transport(),
                base_url=IN_PROCESS_BASE_URL,
                headers={"Authorization": f"Bearer {turso.api_token}"},
            ) as http:
                await http.post(
                    "/v1/organizations/local/groups", json={"name": "default", "location": "sjc"}
                )
                for body in bodies:
                    response = await http.post(
                        "/v1/organizations/local/databases", content=json.dumps(body).encode()
                    )
                    assert response.status_code < 500, (body, response.text)
                    if response.status_code != 200:
                        assert isinstance(response.json()["error"], str)
                listed = (await http.get("/v1/organizations/local/databases")).json()["databases"]
                created = [d["Name"] for d in listed]
                for name in created:  # only well-formed requests created anything
                    assert NAME_RULE.match(name)
        finally:
            await turso.close()

    asyncio.run(run())
