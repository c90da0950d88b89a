"""What a button did, said in the page's own words and where it covers no control: real headless
Chromium on a 360 x 740 phone in front of the real service.

The bar said the command's name ("Done: like", "Done: set strategy") and sat at the foot of the
screen, right over the Play ... Not this buttons whenever the Now card was at the screen's foot (as
it is on a 360 x 740 phone opened at the top): the next press hit the message's place.  It now says
"Liked", "Strategy: Match my mood" (the labels the page shows), and goes to the top of the screen,
under the tabs, when the foot would cover a control on screen.

The page's timers run on Playwright's fake clock, so the message stays while it is measured."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import claim, needs_chromium, watch
from realkit import served

from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser, FloatRect, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

WIDTH, HEIGHT = 360, 740
CONTROLS = [f"#btn-{c}" for c in ("play", "pause", "replay", "next", "like", "dislike")] + ["#volume"]


def box(page: Page, selector: str) -> FloatRect:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found


def overlap(a: FloatRect, b: FloatRect) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


SHOWN = "e => [e.textContent, e.classList.contains('shown')]"


def said(page: Page, words: str) -> FloatRect:
    """The message's box once it says `words`, shown and wholly on screen."""
    until(lambda: page.eval_on_selector("#live", SHOWN) == [words, True], what=f"{words!r} said")
    toast = box(page, "#live")
    assert float(page.eval_on_selector("#live", "e => getComputedStyle(e).opacity")) > 0.5
    assert toast["y"] >= 0 and toast["y"] + toast["height"] <= HEIGHT, toast
    return toast


def scroll_controls_to(page: Page, where: str) -> None:
    """Scroll the page so the Now card's buttons and slider are at the screen's foot or just under the
    tabs (nothing is scrolled when they are clicked then: they are on screen)."""
    top, bottom = box(page, "#btn-play")["y"], box(page, "#volume")["y"] + box(page, "#volume")["height"]
    header = box(page, "header.top")
    y = page.evaluate("window.scrollY")
    target = y + bottom - (HEIGHT - 4) if where == "foot" else y + top - (header["y"] + header["height"] + 4)
    page.evaluate("y => window.scrollTo(0, y)", target)


def test_the_message_is_in_plain_words_and_covers_no_control(tmp_path: Path, browser: Browser) -> None:
    with served(tmp_path) as (service, server):
        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            problems = watch(page)
            page.clock.install()
            claim(page, server.url, service.data_dir)
            page.goto(server.url)
            until(lambda: page.inner_text("#np-title") not in ("…", "Nothing playing"), what="a track shown")
            for where in ("page top", "foot", "top"):
                if where != "page top":
                    scroll_controls_to(page, where)
                page.click("#btn-like")
                toast = said(page, "Liked")
                covered = [c for c in CONTROLS if overlap(toast, box(page, c))]
                assert covered == [], f"with the controls at the {where}, the message covers {covered}"
                page.clock.run_for(10_000)  # the message goes: the next one is a new one
                until(lambda: page.eval_on_selector("#live", SHOWN) == ["Liked", False], what="it gone")
            page.select_option("#strategy", "uplift")
            said(page, "Strategy: Lift gently")
            page.select_option("#profile", "Sam")
            said(page, "Listener: Sam")
            page.click("#btn-pause")
            said(page, "Paused")
            assert problems == []
        finally:
            context.close()
