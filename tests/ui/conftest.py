"""UI fixtures: a fake org over MockTransport, a fixed clock, fixed latencies, no cursor blink."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.fake_org import TOKEN, FakeOrg

from tursotui.platform import PlatformClient
from tursotui.ui.app import TursoApp
from tursotui.ui.dialogs.confirm import ConfirmLocationScreen
from tursotui.ui.services import Services, banner_text

from .helpers import AppFactory, fixed_clock, fixed_probe


@pytest.fixture(autouse=True)
def _deterministic_ui(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ConfirmLocationScreen, "CURSOR_BLINK", False)
    # A temp directory of its own: leftovers of killed runs elsewhere on the machine (removed and
    # named by imports and backups) never show up in a screen.
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # A truecolor terminal, whatever runs the tests: the "auto" theme is then textual-dark, as the
    # snapshots show (tests/ui/test_app.py checks the 16-colour choice itself).
    monkeypatch.setenv("COLORTERM", "truecolor")


@pytest.fixture
def fake() -> FakeOrg:
    return FakeOrg.acme()


@pytest.fixture
def make_app(tmp_path: Path) -> AppFactory:
    def build(org: FakeOrg, **overrides: Any) -> TursoApp:
        target = "local" if org.local else "cloud"
        platform = PlatformClient(
            TOKEN,
            organization=org.slug,
            transport=httpx.MockTransport(org.handler),
            max_retries=0,
        )
        fields: dict[str, Any] = {
            "platform": platform,
            "target": target,
            "banner": banner_text(target, org.slug),
            "data_dir": tmp_path / "data",
            "database_name": "xswarm-users",
            "refresh_interval": 3600.0,
            "clock": fixed_clock,
            "latency_probe": fixed_probe,
            "secrets": (TOKEN,),
        }
        first = overrides.pop("first", None)
        fields.update(overrides)
        app = TursoApp(Services(**fields), first)
        app.animation_level = (
            "none"  # no tab underline or scroll animations: fast and deterministic
        )
        return app

    return build
