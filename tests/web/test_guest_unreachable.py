"""The guest view (the read-only "Now playing" page for a household member who is not the owner) while
the speaker does not answer, in real headless Chromium in front of the real service.

Before, the guest view kept showing the last track as if live when the page's server stopped (the
speaker restarting, out of Wi-Fi: its poll's failure was swallowed) or the service stopped answering
(/api/guest dropped the state's `unavailable`), while the owner's status page said it could not reach
the speaker.  Now the guest view says so in the same words and dims its card, and says when the
speaker answers again (the status page's code, app.js's answered/trouble).

The page's timers run on Playwright's fake clock, moved on by the test."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import claim, needs_chromium, not_refused, open_guest_view, said, watched_phone
from realkit import serve_page, served

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

#: The guest view's one card: its aria-busy and opacity.
CARD = """() => {
  const card = document.querySelector("section.now");
  return [card.getAttribute("aria-busy"), Number(getComputedStyle(card).opacity)];
}"""
#: Past one poll of the guest view (every 3 s).
POLL_MS = 3_500


def card(page: Page) -> tuple[str | None, float]:
    busy, opacity = page.evaluate(CARD)
    return busy, opacity


def test_the_guest_view_says_when_the_speaker_cannot_be_reached(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    guest_view: dict[str, Any] = {"web.guest_view": True}
    with served(tmp_path, **guest_view) as (service, server):
        with watched_phone(browser) as (owner, _):
            claim(owner, server.url, service.data_dir)  # a speaker not set up yet shows its setup to all
        with watched_phone(browser, clock=True) as (page, problems):
            open_guest_view(page, server.url)
            busy, opacity = card(page)
            assert busy != "true" and opacity == 1

            server.stop()
            page.clock.run_for(POLL_MS)
            said(page, "#live", "Cannot reach the speaker")
            busy, opacity = card(page)
            assert busy == "true" and opacity < 0.8

            again = serve_page(service, port=server.port)
            try:
                page.clock.run_for(POLL_MS)
                said(page, "#live", "The speaker answers again.")
                busy, opacity = card(page)
                assert busy != "true" and opacity == 1

                # the page's server answers but the speaker behind it does not (its state fails)
                def broken() -> dict[str, Any]:
                    raise RuntimeError("player thread died")

                monkeypatch.setattr(service.control, "state", broken)
                page.clock.run_for(POLL_MS)
                said(page, "#live", "The speaker is not answering")
                assert card(page)[0] == "true"
                monkeypatch.undo()
                page.clock.run_for(POLL_MS)
                said(page, "#live", "The speaker answers again.")
                assert card(page)[0] != "true"
            finally:
                again.stop()
            assert not_refused(problems) == []
