"""Every button on the Now tab is a touch target a thumb can hit (44 x 44 CSS px, Apple's HIG and WCAG
2.5.5) on the small phones people use, in real headless Chromium in front of the real service."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import claim, needs_chromium, watch
from realkit import served

from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

MIN_TARGET = 44.0


@pytest.mark.parametrize("width, height", [(320, 640), (390, 844)])
def test_every_button_on_the_now_tab_is_a_thumb_sized_target(
    tmp_path: Path, browser: Browser, width: int, height: int
) -> None:
    """The playback buttons shared a row of six: 39 px wide on a 320-pixel phone, under the 44 px a
    thumb needs.  Each is now at least 44 x 44, with its label inside it and the row inside the card."""
    with served(tmp_path) as (service, server):
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, is_mobile=True, has_touch=True
        )
        try:
            page = context.new_page()
            page.set_default_timeout(30_000)
            problems = watch(page)
            claim(page, server.url, service.data_dir)
            page.click("nav >> text=Now")
            until(lambda: page.inner_text("#np-title") != "…", what="the track playing")
            buttons = page.locator("button:visible")
            assert buttons.count() >= 7, "the six playback buttons and Tell"
            card = page.locator("section.now").bounding_box()
            assert card is not None
            for i in range(buttons.count()):
                button = buttons.nth(i)
                name = button.inner_text().strip() or button.get_attribute("id")
                box = button.bounding_box()
                assert box is not None, name
                assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, (name, box)
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
                assert button.evaluate("b => b.scrollWidth <= b.clientWidth"), f"{name!r} overflows"
            for command in ("play", "pause", "replay", "next", "like", "dislike"):
                box = page.locator(f"#btn-{command}").bounding_box()
                assert box is not None
                assert card["x"] <= box["x"] and box["x"] + box["width"] <= card["x"] + card["width"], command
            controls = page.locator(".controls")
            assert controls.evaluate("row => row.scrollWidth <= row.clientWidth"), "the row overflows"
            assert problems == []
        finally:
            context.close()
