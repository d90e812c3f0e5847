"""Walkthrough 11: adding a replica location past the plan's location limit warns first. One rule
(ops.locations.location_limit_warning) on the plan and usage the console already has (the org snapshot)."""

from __future__ import annotations

from typing import Any

from fixtures.fake_org import FakeOrg
from textual.widgets import Input, OptionList, Static

from tursotui.ops.locations import location_limit_warning
from tursotui.ui.dialogs.confirm import ConfirmLocationScreen
from tursotui.ui.dialogs.picker import LocationPickerScreen

from .helpers import AppFactory, ready

ADD = "POST /v1/organizations/acme/groups/default/locations/"


def test_the_rule() -> None:
    in_use = {"sjc", "iad", "fra"}
    warning = location_limit_warning(in_use, ["nrt"], 3, plan="starter")
    assert warning == (
        "Over the plan's location limit: adding location nrt makes 4 locations "
        "and the starter plan allows 3 (3 in use now)"
    )
    assert location_limit_warning(in_use, ["iad"], 3) is None  # already used by a group
    assert location_limit_warning(in_use, ["nrt"], 4) is None  # within the limit
    assert location_limit_warning(in_use, ["nrt"], None) is None  # unlimited
    assert location_limit_warning(in_use, [], 3) is None
    two = location_limit_warning({"sjc"}, ["nrt", "lhr", "nrt"], 2)
    assert two is not None and "locations nrt, lhr makes 3 locations" in two
    counted = location_limit_warning({"sjc"}, ["nrt"], 3, counted=3)  # the usage API's own count
    assert counted is not None and "(3 in use now)" in counted


async def until_screen(pilot: Any, kind: type) -> Any:
    for _ in range(100):
        await pilot.pause()
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
    raise AssertionError(f"no {kind.__name__}: {pilot.app.screen}")


async def add_location(pilot: Any) -> ConfirmLocationScreen:
    await ready(pilot)
    await pilot.press("a")
    picker = await until_screen(pilot, LocationPickerScreen)
    options = picker.query_one(OptionList)
    assert str(options.get_option_at_index(0).prompt).split()[0] == "ams"
    await pilot.press("enter")
    confirm: ConfirmLocationScreen = await until_screen(pilot, ConfirmLocationScreen)
    return confirm


async def test_adding_past_the_plans_limit_warns_before_the_typed_confirmation(
    make_app: AppFactory,
) -> None:
    fake = FakeOrg.legacy()  # an older org: its groups take edge replicas
    assert fake.plans is not None
    # starter allows 3; the org uses 3 (sjc, iad, fra)
    fake.plans[0]["quotas"]["locations"] = 3
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        confirm = await add_location(pilot)
        warning = str(confirm.query_one("#confirm-warning", Static).render())
        assert "adding location ams makes 4 locations" in warning
        assert "the starter plan allows 3 (3 in use now)" in warning
        assert not fake.calls or not any(c.startswith(ADD) for c in fake.calls)
        confirm.query_one(Input).value = "ams"  # the operator may still go on
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert fake.calls.count(ADD + "ams") == 1


async def test_within_the_limit_no_warning(make_app: AppFactory) -> None:
    fake = FakeOrg.legacy()
    assert fake.plans is not None
    fake.plans[0]["quotas"]["locations"] = 4
    app = make_app(fake)
    async with app.run_test(size=(120, 36)) as pilot:
        confirm = await add_location(pilot)
        assert not confirm.query("#confirm-warning")
        await pilot.press("escape")
