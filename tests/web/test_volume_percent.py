"""The volume is a percentage on every tab: Settings showed the start volume as 0-1 ("0.3") while the
Now tab showed "30%", so an owner typed 30 in Settings and was refused, or read 0.3 as almost silent.
Settings now shows and takes a percentage and saves the schema's 0-1."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from moodspeaker.config import load
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def open_audio(page: Page) -> None:
    page.goto(page.url.split("/settings")[0] + "/settings")
    page.locator("#s-player").evaluate("e => { e.open = true; }")


def test_the_start_volume_is_a_percentage_in_settings_as_on_the_now_tab(
    tmp_path: Path, browser: Browser
) -> None:
    """45 % saved in Settings is 0.45 in the config file, and the speaker started from that file says
    45% on the Now tab."""
    first: dict[str, Any] = {"player.volume": 0.3}
    with owner_phone(tmp_path / "first", browser, path=None, **first) as (service, _, page, problems):
        open_audio(page)
        field = page.locator("#f-player-volume")
        assert field.input_value() == "30"
        assert page.inner_text("label[for=f-player-volume]").strip() == "Start volume (%)"
        assert "(0 to 100)" in page.inner_text("#f-player-volume-help")
        field.fill("45")
        page.click("#save-player")
        page.wait_for_url("**/settings?saved=player*")
        assert load(service.config_path).player.volume == pytest.approx(0.45)
        open_audio(page)
        assert page.locator("#f-player-volume").input_value() == "45"
        assert problems == []
        saved = load(service.config_path).player.volume
    restart: dict[str, Any] = {"player.volume": saved}  # the speaker started again from the saved file
    with owner_phone(tmp_path / "restarted", browser, path=None, **restart) as (_, _, page, problems):
        page.click("nav >> text=Now")
        until(lambda: page.inner_text("#volume-out") == "45%", what="the Now tab's volume")
        assert problems == []


def test_a_volume_over_100_percent_is_refused_in_percent(tmp_path: Path, browser: Browser) -> None:
    """150 is refused in the page's own unit, naming the setting, and nothing is saved."""
    with owner_phone(tmp_path, browser, path=None) as (service, _, page, problems):
        before = service.config_path.read_bytes()
        open_audio(page)
        page.fill("#f-player-volume", "150")
        page.click("#save-player")
        error = page.locator("#f-player-volume-err")
        error.wait_for()
        assert error.inner_text() == "Start volume must be a number from 0 to 100 %, not 150."
        assert page.locator("#f-player-volume").input_value() == "150"
        assert service.config_path.read_bytes() == before
        refusal = ("400 ", "Failed to load resource: the server responded with a status of 400")
        assert [p for p in problems if not p.startswith(refusal)] == []  # the refusal is a 400
