"""Walkthrough 8: a Turso Cloud start with no network or a bad token. Nothing raw over the terminal before the
UI draws (the first fetch is one try, its retries' warnings held: ui/launch.py); inside the console one message
naming the host and the cause, said once; the panes say "unavailable", and the console stays usable."""

from __future__ import annotations

import logging

import httpx
import pytest
from fixtures.fake_org import TOKEN, FakeOrg
from textual.widgets import Label

from tursotui.platform import PlatformClient
from tursotui.ui import launch
from tursotui.ui.panes.usage import UsagePane

from .helpers import AppFactory, ready

SIZE = (120, 36)


def unreachable(error: Exception, calls: list[str], token: str = TOKEN) -> PlatformClient:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise error

    async def no_wait(_: float) -> None:
        return None

    return PlatformClient(
        token, organization="acme", transport=httpx.MockTransport(handler), sleep=no_wait
    )


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "cannot resolve api.turso.tech: no network or DNS",
        ),
        (
            httpx.ConnectError("[Errno 111] Connection refused"),
            "api.turso.tech refused the connection",
        ),
        (httpx.ConnectTimeout("timed out"), "api.turso.tech did not answer: no connect within 5 s"),
    ],
)
async def test_no_network_one_message_and_panes_say_unavailable(
    make_app: AppFactory, error: Exception, said: str
) -> None:
    calls: list[str] = []
    app = make_app(FakeOrg.acme(), platform=unreachable(error, calls))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.last_error is not None
        title, text = app.last_error
        assert title == "Cannot use api.turso.tech" and text.startswith(said)
        await pilot.press("2")
        await ready(pilot)
        usage = app.main.query_one(UsagePane)
        projection = str(usage.query_one("#usage-projection", Label).render())
        assert "usage unavailable" in projection
        states = str(usage.query_one("#usage-states", Label).render())
        assert "unavailable" in states and said in states
        assert not usage.query_one("#usage-sparkline").display  # no flat line of zeros
        errors = len([n for n in app._notifications if n.severity == "error"])
        app.main.refresh_now()
        await ready(pilot)
        assert app.main.refresh_count >= 2
        assert len([n for n in app._notifications if n.severity == "error"]) == errors  # said once
        await pilot.press("1")  # still usable: panes switch, keys answer
        await pilot.pause()
        assert app.main.active_tab == "databases"
    if "resolve" in said:  # no network: asked once per request, not retried 4 times
        assert len(calls) == len(set(calls)) * 2  # two refreshes, one try each


async def test_a_refused_token_is_said_so(make_app: AppFactory) -> None:
    org = FakeOrg.acme()
    platform = PlatformClient(
        "bogus-token", organization="acme", transport=httpx.MockTransport(org.handler)
    )
    app = make_app(org, platform=platform, secrets=(TOKEN, "bogus-token"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.last_error is not None
        title, text = app.last_error
        assert title == "Cannot use api.turso.tech"
        assert text.startswith("the API token was refused by api.turso.tech (401")
        assert "bogus-token" not in text and "bogus-token" not in app.export_screenshot()


async def test_the_first_fetch_prints_nothing_and_waits_for_no_retry(
    capfd: pytest.CaptureFixture[str],
) -> None:
    calls: list[str] = []
    platform = unreachable(httpx.ConnectError("[Errno 111] Connection refused"), calls)
    async with platform:
        with launch._platform_warnings_held() as held:
            assert await launch._first_snapshot(platform) is None
            logging.getLogger("tursotui.platform").warning("retrying in 0.5 s")
    assert platform.retry.max_retries == 4  # one try for the first fetch only
    assert len(calls) == len(set(calls))  # no retry before the UI draws
    assert capfd.readouterr().err == ""  # nothing raw over the terminal
    assert [r.getMessage() for r in held.records] == ["retrying in 0.5 s"]
