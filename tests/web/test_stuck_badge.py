"""The Health tab shows a stuck player as an alarm, in real headless Chromium in front of the real service.

Why: the player's watcher reports a player thread it cannot free as component `player` in state
`stuck` (player.hang; the service is about to be restarted by systemd).  The page gave every state
a badge `badge-<state>`, but the style sheet had no `badge-stuck`: the worst state a part can be in
showed in the grey of an unknown one.  It is now filled in the danger colour, with white text that
stays readable (WCAG AA, 4.5:1) in the light and the dark scheme.  The hang is real (an `ffmpeg` on
PATH that never writes, whose helper holds its output open: hungkit); the test ticks the watcher.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import claim, needs_chromium, phone_page, watch
from contrast import AA, contrast
from realkit import RealService, served

from hungkit import HANGS_FOR_GOOD, HungFfmpeg, not_audio
from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(240)]

#: The colours the page's script reads of an element: (background, text).
COLOURS = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"


def stick_the_player(service: RealService, tmp_path: Path, ffmpeg: HungFfmpeg) -> None:
    """Play a track whose decoder hangs for good; tick the watcher until it gives the thread up."""
    app = service.appliance
    watch = app.player.watch
    watch.stop()  # the test ticks it
    hostile = Track(
        id="hostile", location=str(not_audio(tmp_path / "hostile.m4a")), title="Hostile", artist="X"
    )
    hung = QueueItem(hostile, "test")
    status = app.player.status
    until(lambda: status().state == "playing" and status().current, what="the music to play")
    app.player.switch_to(hung)
    until(
        lambda: (call := watch.doing()) is not None and call.item is hung and call.decoder is not None,
        what="the player thread to read the hung decoder",
    )
    until(lambda: ffmpeg.started(2), what="the fake ffmpeg's helper to leave its group")
    now, tripped = time.monotonic(), 0
    while tripped < 2:  # a kill to no avail, then the thread is given up on
        now += 0.5
        tripped += watch.watchdog.check(now)
    assert app.health_snapshot()["components"]["player"]["state"] == "stuck"


def probe(page: Page, html: str) -> list[str]:
    """The colours of an element made from `html` on the current page (then removed)."""
    colours: list[str] = page.evaluate(
        "html => { const t = document.createElement('template'); t.innerHTML = html;"
        " const e = document.querySelector('main').appendChild(t.content.firstElementChild);"
        " const s = getComputedStyle(e), c = [s.backgroundColor, s.color]; e.remove(); return c; }",
        html,
    )
    return colours


def test_a_stuck_player_shows_a_danger_badge_readable_in_both_schemes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, browser: Browser
) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS_FOR_GOOD)
    try:
        with served(tmp_path) as (service, server):
            stick_the_player(service, tmp_path, ffmpeg)
            context, page = phone_page(browser)
            try:
                problems = watch(page)
                claim(page, server.url, service.data_dir)
                page.click("nav >> text=Health")
                badge = page.locator("tr", has=page.locator("th", has_text="player")).locator(".badge")
                assert badge.inner_text() == "stuck"
                assert badge.get_attribute("class") == "badge badge-stuck"
                for scheme in ("light", "dark"):
                    page.emulate_media(color_scheme=scheme)
                    background, text = badge.evaluate(COLOURS)
                    unstyled = probe(page, '<span class="badge badge-nosuchstate">?</span>')
                    assert [background, text] != unstyled, f"{scheme}: the badge has no style of its own"
                    danger = probe(page, '<button class="danger">x</button>')
                    assert background == danger[0], f"{scheme}: not in the danger colour"
                    assert contrast(text, background) >= AA, f"{scheme}: {text} on {background}"
                assert problems == []
            finally:
                context.close()
    finally:
        ffmpeg.kill_all()
