"""No view is wider than a small phone: a word too long for its card (a URL in a setting's help, a
path in a command) made the page wider than the screen, so the phone zoomed the whole page out or it
scrolled sideways.  Settings' Music library help quotes
"(subsonic+http://user:password@host:4533)", 315 px in a 264 px card: a 320-pixel phone laid the page
out 343 px wide.  Real service, every view with every section open, headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import claim, narrow, needs_chromium
from realkit import setup_phone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

WIDTH = 320


def test_no_view_is_wider_than_a_320_pixel_phone(tmp_path: Path, browser: Browser) -> None:
    with setup_phone(tmp_path, browser, viewport=narrow(WIDTH)) as (service, server, page, problems):
        wide = {"setup": page.evaluate("document.documentElement.scrollWidth")}
        claim(page, server.url, service.data_dir)
        for view in ("", "settings", "privacy", "health"):
            page.goto(f"{server.url}/{view}")
            for details in page.query_selector_all("details"):
                details.evaluate("e => { e.open = true; }")
            wide[view or "now"] = page.evaluate("document.documentElement.scrollWidth")
        assert {view: width for view, width in wide.items() if width > WIDTH} == {}
        assert problems == []
