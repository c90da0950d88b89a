"""Settings' volume is the volume the speaker starts at: saving it leaves the volume playing now as it
is, yet the form called it "Volume (%)", so an owner who saved it expected the music to get louder.  It
is now "Start volume (%)" with a hint that says the Now tab's slider changes the volume playing now.
A fraction typed out of the old 0-1 habit ("0.5") is refused with what to type instead: it was saved
as 0.5 %, a speaker silent at its next start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from moodspeaker.config import Config, load
from moodspeaker_web import forms

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

REFUSED = ("400 ", "Failed to load resource: the server responded with a status of 400")


@needs_chromium
@pytest.mark.timeout(180)
def test_the_start_volume_says_what_it_is_and_refuses_a_fraction(tmp_path: Path, browser: Browser) -> None:
    changes: dict[str, Any] = {"player.volume": 0.3}
    with owner_phone(tmp_path, browser, path=None, **changes) as (service, _, page, problems):
        page.locator("#s-player").evaluate("e => { e.open = true; }")
        assert page.inner_text("label[for=f-player-volume]").strip() == "Start volume (%)"
        hint = page.inner_text("#f-player-volume-help")
        assert "starts at" in hint and "Now tab" in hint and "(0 to 100)" in hint, hint
        before = service.config_path.read_bytes()
        page.fill("#f-player-volume", "0.5")
        with page.expect_navigation():
            page.click("#save-player")
        error = page.locator("#f-player-volume-err").inner_text()
        assert error.startswith("Start volume is a percentage (from 0 to 100 %): type 50 for 50 %"), error
        assert service.config_path.read_bytes() == before
        page.fill("#f-player-volume", "50")
        page.click("#save-player")
        page.wait_for_url("**/settings?saved=player*")
        assert load(service.config_path).player.volume == pytest.approx(0.5)
        assert [p for p in problems if not p.startswith(REFUSED)] == []


@pytest.mark.parametrize(
    ("typed", "saved"),
    [("0.5", None), (".5", None), ("0.25", None), ("1.0", None), ("1", 0.01), ("0.5 %", 0.005), ("0.0", 0.0)],
)
def test_a_fraction_is_refused_unless_the_percent_sign_says_so(typed: str, saved: float | None) -> None:
    """0 < value <= 1 written with a decimal point reads as the old fraction; "1" is one per cent
    (the form shows whole percentages), and "0.5 %" says outright that half a per cent is meant."""
    changes, errors = forms.parse_section(Config(), "player", {"player.volume": [typed]})
    if saved is None:
        assert changes == {} and "is a percentage" in errors["player.volume"], errors
    else:
        assert errors == {} and changes["player.volume"] == pytest.approx(saved)
