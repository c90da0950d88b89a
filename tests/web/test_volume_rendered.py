"""The Now tab's volume slider is the speaker's volume from the start: the page was rendered with the
slider at 60 %, which the script corrected only once its first state read answered, and never with
JavaScript off, where the slider's "Set" button then sent 60 % back as a volume change (the start
volume is 0.85 since 85debbd, and the volume is whatever the speaker plays at).  The page now renders
the speaker's volume (views.slider_volume), or the volume it starts at when the speaker does not
answer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import needs_chromium, phone_page
from realkit import RealService, owner_phone
from webkit import PASSWORD, Page

from moodspeaker.config.schema import PlayerConfig
from moodspeaker_web.views import slider_volume
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser tests skip without it)
    from playwright.sync_api import Browser, Route

#: Neither the old page's 60 % nor the start volume: only the speaker's own volume shows it.
PLAYING = 0.35


def volume_asked(state: dict[str, Any]) -> float:
    """The volume the speaker plays at, or will once its busy player has applied it."""
    volume: float = state.get("pending", {}).get("volume", state["volume"])
    return volume


def turned_to(service: RealService, volume: float) -> None:
    service.control.execute("set_volume", {"volume": volume})
    service.wait_for(lambda: service.appliance.state()["volume"] == pytest.approx(volume), what="the volume")


@needs_chromium
@pytest.mark.timeout(180)
def test_with_scripting_off_the_slider_is_the_speakers_volume_and_set_keeps_it(
    tmp_path: Path, browser: Browser
) -> None:
    with owner_phone(tmp_path, browser, path=None) as (service, server, _, problems):
        turned_to(service, PLAYING)
        context, page = phone_page(browser, scripts=False)
        try:
            page.goto(server.url + "login")  # the owner again, on a phone without scripts
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            assert page.get_attribute("body", "data-page") == "status"
            assert page.get_attribute("#volume", "value") == "35"
            assert page.input_value("#volume") == "35" and page.inner_text("#volume-out") == "35%"
            with page.expect_navigation():
                page.click("form.volume button[type=submit]")  # the noscript Set, the slider untouched
            assert volume_asked(service.appliance.state()) == pytest.approx(PLAYING)  # not 0.6
            assert page.input_value("#volume") == "35"
        finally:
            context.close()
        assert problems == []


@needs_chromium
@pytest.mark.timeout(180)
def test_the_slider_shows_the_speakers_volume_before_the_first_state_read(
    tmp_path: Path, browser: Browser
) -> None:
    with owner_phone(tmp_path, browser, path=None) as (service, server, page, problems):
        turned_to(service, PLAYING)
        page.goto("about:blank")  # the Settings tab's own state reads are not held below
        held: list[Route] = []
        let_go: list[bool] = []

        def hold(route: Route) -> None:  # the state reads go unanswered until let go below
            if let_go:
                route.continue_()
            else:
                held.append(route)

        page.route("**/api/state*", hold)
        page.goto(server.url)
        until(lambda: held, what="the page's first state read")
        assert page.input_value("#volume") == "35" and page.inner_text("#volume-out") == "35%"  # no 60 first
        let_go.append(True)
        for route in held:
            route.continue_()
        until(lambda: page.inner_text("#np-title") != "…", what="the state shown")
        assert page.input_value("#volume") == "35" and page.inner_text("#volume-out") == "35%"
        assert problems == []


def test_a_speaker_not_answering_shows_the_volume_it_starts_at(
    owner: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No state to read: the slider stands at the running config's start volume, not at 60."""

    def not_answering() -> dict[str, Any]:
        raise ConnectionError("the speaker is restarting")

    monkeypatch.setattr(owner.speaker, "state", not_answering)
    html = owner.client.get("/").get_data(as_text=True)
    start = round(owner.ctx.config.player.volume * 100)
    assert f'value="{start}"' in html and f">{start}%</output>" in html, html


@pytest.mark.parametrize(
    ("state", "percent"),
    [
        ({"volume": 0.35}, 35),
        ({"volume": 0.37}, 35),  # the slider's step, as the browser puts the script's 37
        ({"volume": 0.375}, 40),  # 38 (a half rounded up, as Math.round), then the nearer step
        ({"volume": 0.0}, 0),
        ({"volume": 1.0}, 100),
        ({"unavailable": "the speaker is not answering"}, round(PlayerConfig().volume * 100)),
        ({"volume": None}, round(PlayerConfig().volume * 100)),
    ],
)
def test_the_slider_stands_where_the_script_puts_it(state: dict[str, Any], percent: int) -> None:
    assert slider_volume(state, PlayerConfig().volume) == percent
