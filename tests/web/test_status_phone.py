"""The status page's answers to a person on a phone, in real headless Chromium in front of the real
service: what a button did, and a lost connection, must show on the screen the person is looking at.

The page's timers (polling, the message's fading) run on Playwright's fake clock, moved on by the
tests, so nothing here depends on how fast the machine is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import PHONE, claim, needs_chromium, watch
from realkit import owner_phone, served

from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


@pytest.fixture
def status(tmp_path: Path, browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """The owner's phone on the status page, scrolled to the top, with a track playing."""
    with owner_phone(tmp_path, browser, clock=True) as (_, _, page, problems):
        until(
            lambda: page.inner_text("#np-reason").startswith("Why, when picked:"),
            what="a track with its reason",
        )
        yield page, problems


def on_screen(page: Page, selector: str) -> bool:
    """Shown (not transparent) and wholly inside the phone's screen."""
    box = page.locator(selector).bounding_box()
    opacity = page.eval_on_selector(selector, "e => getComputedStyle(e).opacity")
    return (
        box is not None
        and float(opacity) > 0.5
        and box["y"] >= 0
        and box["y"] + box["height"] <= PHONE["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= PHONE["width"]
    )


def test_what_a_button_did_is_said_on_screen(status: tuple[Page, list[str]]) -> None:
    """ "Done: like" was written at the very end of a long page, out of sight below the queue: a Like
    (which changes nothing else on screen) looked like a button that does nothing.  It now shows at the
    foot of the screen and goes after a few seconds."""
    page, problems = status
    page.click("#btn-like")
    until(lambda: page.inner_text("#live") == "Liked", what="the page to say it was done")
    assert on_screen(page, "#live"), page.locator("#live").bounding_box()
    page.clock.run_for(10_000)
    assert not on_screen(page, "#live"), "the message of a done command stays"
    assert problems == []


def test_a_lost_connection_is_said_until_it_is_back(status: tuple[Page, list[str]]) -> None:
    """ "Cannot reach the speaker" stayed on the page after the speaker answered again, until a reload."""
    page, problems = status
    page.route("**/api/state", lambda route: route.abort())
    page.clock.run_for(2_500)
    until(lambda: page.inner_text("#live").startswith("Cannot reach the speaker"), what="the lost connection")
    page.clock.run_for(10_000)
    assert on_screen(page, "#live"), "a lost connection is said for as long as it lasts"
    page.unroute("**/api/state")
    page.clock.run_for(2_500)
    until(lambda: not page.inner_text("#live").startswith("Cannot reach"), what="the message to go")
    page.clock.run_for(10_000)
    assert not on_screen(page, "#live")
    assert [p for p in problems if "/api/state" not in p and "ERR_FAILED" not in p] == []


def test_the_mood_line_is_written_as_a_sentence(status: tuple[Page, list[str]]) -> None:
    """The mood word is capitalised for show, but only its first letter: with the camera off the line
    read "Camera Off" (and "Not Sure Yet" without a reading)."""
    page, problems = status
    until(lambda: page.inner_text("#mood-word") == "Happy", what="the mood read")
    page.goto(page.url.rstrip("/") + "/privacy")
    page.click("#camera-switch")
    page.wait_for_selector("#camera-switch[aria-checked=false]")
    page.click("nav >> text=Now")
    until(lambda: page.inner_text("#mood-word") == "Camera off", what="the camera-off line")
    assert problems == []


def test_the_reason_says_it_is_from_when_the_track_was_picked(status: tuple[Page, list[str]]) -> None:
    """A track's reason is written when it is picked, mostly as the mood changes, while the filter is
    least sure of the new mood: "you look angry (18% sure)" sat under a live "49%" and the two figures
    read as a contradiction.  The reason now says it is from the pick, in a label set apart from it
    (upright in the italic line), and so do the queue's reasons (shown on hover)."""
    page, problems = status
    text = page.inner_text("#np-reason")
    mood = r"(you look \w+ \(\d+% sure\)|not sure of your mood yet|no face seen( yet)?)"
    assert re.match(rf"Why, when picked: {mood}; ", text), text
    assert page.inner_text("#np-reason .when") == "Why, when picked:"
    styles = page.eval_on_selector(
        "#np-reason .when",
        "e => [getComputedStyle(e).fontStyle, getComputedStyle(e.parentElement).fontStyle]",
    )
    assert styles == ["normal", "italic"]
    until(lambda: page.locator("#queue li[title]").count() > 0, what="the queue with its reasons")
    titles = page.eval_on_selector_all("#queue li[title]", "items => items.map(li => li.title)")
    assert titles and all(re.match(rf"Why, when picked: {mood}; ", t) for t in titles), titles
    assert problems == []


def test_the_mood_plot_is_not_stretched_on_a_wide_screen(tmp_path: Path, browser: Browser) -> None:
    """The plot was drawn 360 units wide and stretched to the card: on a desktop its "now" dots were
    flat ellipses and its +1/-1 labels wide.  It is drawn at the width it is shown."""
    with served(tmp_path) as (service, server):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            problems = watch(page)
            claim(page, server.url, service.data_dir)
            page.goto(server.url)
            dots = page.locator("#plot circle")
            until(lambda: dots.count() > 0, what="the plot's 'now' dots")
            box = dots.first.bounding_box()
            assert box is not None and box["width"] == pytest.approx(box["height"], rel=0.1), box
            assert problems == []
        finally:
            context.close()


def test_the_tabs_fit_a_small_phone(tmp_path: Path, browser: Browser) -> None:
    """On a 320-pixel phone the tab names overflowed their equal shares and ran together
    ("SettingsPrivacy")."""
    with served(tmp_path) as (service, server):
        context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
        try:
            page = context.new_page()
            problems = watch(page)
            claim(page, server.url, service.data_dir)
            tabs = page.locator("nav.tabs a")
            boxes = []
            for i in range(tabs.count()):
                tab = tabs.nth(i)
                name = tab.inner_text()
                assert tab.evaluate("a => a.scrollWidth <= a.clientWidth"), f"{name!r} overflows its tab"
                box = tab.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, name
                boxes.append(box)
            for left, right in pairwise(boxes):
                assert left["x"] + left["width"] <= right["x"] + 0.5, "two tabs overlap"
            assert problems == []
        finally:
            context.close()


def test_an_empty_list_on_the_health_tab_says_none(tmp_path: Path, browser: Browser) -> None:
    """A health figure that is an empty list (no failed tracks) showed as a blank cell, as if missing."""
    with owner_phone(tmp_path, browser, path=None) as (_, _, page, problems):
        page.click("nav >> text=Health")
        row = page.locator("tr", has=page.locator("th", has_text="failed tracks"))
        assert row.locator("td").inner_text().strip() == "none"
        assert problems == []
