""" "play happy songs" typed into the Tell box plays, and plays for a happy mood, in real headless
Chromium in front of the real service (realkit: real player and recommender; the camera scripted to a
sad face).

Before, the Tell parser (moodspeaker_web.tell) took the mood word only after "I'm", "feeling"…, so
"play happy songs" became Play alone: the speaker played on for the sad face it saw.  Now music of a
mood asked for is told as the mood (`correct_mood`) and played; tests/web/test_tell.py has the words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium, said
from realkit import owner_phone

from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_play_happy_songs_plays_for_a_happy_mood(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, mood="sad") as (service, _, page, problems):
        until(lambda: page.inner_text("#mood-word").lower() == "sad", what="the page showing the sad mood")
        page.click("#btn-pause")
        service.wait_for(lambda: not service.appliance.state()["playing"], what="paused")

        page.fill("#tell-text", "play happy songs")
        page.click("#tell button")
        reply = said(page, "#tell-reply", "Understood")
        assert "treats your mood as happy" in reply and reply.endswith("playing."), reply
        state = service.appliance.state()
        assert (state["mood"], state["playing"]) == ("happy", True), state
        until(lambda: page.inner_text("#mood-word").lower() == "happy", what="the page showing the told mood")
        assert page.get_attribute("#btn-play", "aria-pressed") == "true"
        assert problems == []
