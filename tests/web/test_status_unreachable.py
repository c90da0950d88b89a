"""The status page while the speaker's page service is stopped, in real headless Chromium in front of
the real service: the page was served, then its server stops (as when the speaker is restarted or
unplugged) and starts again on the same port.

Before, a press said the browser's own words ("Not done: Failed to fetch", "Failed to fetch" under
Tell), the mood, the track and a pressed Play stayed as if live, and the volume slider kept a value
the speaker never applied.  Now a lost speaker is said in plain words, the live cards are dimmed and
marked busy while it lasts, and the slider goes back to the volume the speaker has once it answers.

The page's timers run on Playwright's fake clock, moved on by the test."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium, not_refused, said, track_shown
from realkit import owner_phone, serve_page

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

#: The Now view's cards that show the speaker's live state
LIVE_CARDS = ("#mood-h", "#now-h", "#choose-h", "#queue-h")
CARD = """h => {
  const card = h.closest("section");
  return [card.getAttribute("aria-busy"), Number(getComputedStyle(card).opacity)];
}"""


def cards(page: Page) -> list[tuple[str | None, float]]:
    """Each live card's aria-busy and opacity."""
    return [page.eval_on_selector(heading, CARD) for heading in LIVE_CARDS]


def test_a_stopped_speaker_is_said_and_its_stale_state_dimmed(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, clock=True) as (service, server, page, problems):
        track_shown(page)
        confirmed = page.input_value("#volume")
        assert all(busy != "true" and opacity == 1 for busy, opacity in cards(page)), cards(page)

        server.stop()
        page.clock.run_for(2_500)
        said(page, "#live", "Cannot reach the speaker")
        dimmed = cards(page)
        assert all(busy == "true" and opacity < 0.8 for busy, opacity in dimmed), dimmed

        page.click("#btn-next")
        assert said(page, "#live", "Not done") == "Not done: cannot reach the speaker"

        page.fill("#tell-text", "louder")
        page.click("#tell button")
        said(page, "#tell-reply", "Cannot reach the speaker")

        page.focus("#volume")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        said(page, "#live", "Not done: cannot reach")
        assert page.input_value("#volume") != confirmed

        again = serve_page(service, port=server.port)
        try:
            page.clock.run_for(2_500)
            said(page, "#live", "The speaker answers again.")
            assert page.evaluate("document.activeElement.id") == "volume"  # still held, yet put back
            assert page.input_value("#volume") == confirmed
            assert page.inner_text("#volume-out") == confirmed + "%"
            live = cards(page)
            assert all(busy != "true" and opacity == 1 for busy, opacity in live), live
        finally:
            again.stop()
        assert not_refused(problems) == []
