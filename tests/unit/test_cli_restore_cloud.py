"""``tursotui restore`` against Turso Cloud, played by the fake org (no sqld): the plan's window is checked
before anything is asked, no recovery points are listed (the cloud has no such endpoint), and an unknown
plan leaves the time to the server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.fake_org import TOKEN, FakeOrg

import tursotui.platform
from tursotui.entry import main

RealClient = tursotui.platform.PlatformClient


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, FakeOrg]:
    """A cloud config for org acme whose Platform API is the fake org."""
    org = FakeOrg.acme()

    def client(token: str, *, organization: str | None = None, **_: Any) -> Any:
        transport = httpx.MockTransport(org.handler)
        return RealClient(token, organization=organization, transport=transport, max_retries=0)

    monkeypatch.setattr(tursotui.platform, "PlatformClient", client)
    monkeypatch.setenv("TURSO_API_TOKEN", TOKEN)
    config = tmp_path / "config.toml"
    config.write_text('[turso]\norganization = "acme"\n\n[tursotui]\ntarget = "cloud"\n')
    return config, org


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, out, err


def test_list_points_on_the_cloud_says_any_time_in_the_window(
    cloud: tuple[Path, FakeOrg], capsys: pytest.CaptureFixture[str]
) -> None:
    config, org = cloud
    org.subscription = "scaler_overages"
    code, out, _ = run(config, capsys, "restore", "xswarm-users", "--list-points")
    assert code == 0
    assert out.strip() == (
        "Turso Cloud keeps no listable points: any time within the plan's window "
        "(30 days, plan scaler)"
    )
    code, out, _ = run(config, capsys, "restore", "xswarm-users", "--list-points", "--json")
    data = json.loads(out)
    assert data["target"] == "cloud" and data["recovery_points"] == []
    assert data["window"]["retention_days"] == 30
    assert org.count("GET", "/local-recovery-points") == 0


def test_outside_the_plans_window_exits_2_before_anything_is_created(
    cloud: tuple[Path, FakeOrg], capsys: pytest.CaptureFixture[str]
) -> None:
    config, org = cloud
    code, out, err = run(
        config, capsys, "restore", "xswarm-users", "-t", "3 days ago", "--name", "r1", "--json"
    )
    assert code == 2
    assert "is older than the 24 h window (plan starter): the earliest is" in err
    assert json.loads(out)["exit_code"] == 2
    assert org.count("POST", "/databases") == 0


def test_the_cloud_plan_says_it_restores_to_the_exact_time(
    cloud: tuple[Path, FakeOrg], capsys: pytest.CaptureFixture[str]
) -> None:
    config, org = cloud
    argv = ["restore", "xswarm-users", "-t", "2h ago", "--name", "r1"]
    code, _, err = run(config, capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and "without --yes" in err  # after the checks
    code, _, err = run(config, capsys, *argv, "--yes")
    assert "window  24 h (plan starter)" in err
    assert "uses    Turso Cloud restores to this exact time (it lists no recovery points)" in err
    assert code == 1 and org.count("POST", "/databases") == 1  # the fake org creates nothing


def test_an_unknown_plan_leaves_the_time_to_the_server(
    cloud: tuple[Path, FakeOrg], capsys: pytest.CaptureFixture[str]
) -> None:
    config, org = cloud
    org.subscription = None  # /subscription answers 404: the organization's plan_id is used
    code, out, _ = run(config, capsys, "restore", "xswarm-users", "--list-points")
    assert code == 0 and "(24 h, plan starter)" in out
    org.fail["GET /v1/organizations/acme"] = (403, {"error": "forbidden"})  # and that fails too
    code, out, _ = run(config, capsys, "restore", "xswarm-users", "--list-points")
    assert code == 0
    assert "(unknown, plan unknown): Turso Cloud judges the time" in out
    argv = ["restore", "xswarm-users", "-t", "40 days ago", "--name", "r1", "--yes"]
    code, _, err = run(config, capsys, *argv)
    assert "window  unknown (plan unknown): Turso Cloud judges the time" in err
    assert code == 1 and org.count("POST", "/databases") == 1  # not refused here: sent
