"""Logging out is confirmed, in real headless Chromium in front of the real service.

"Log out" landed on the login page with nothing said: the same page a visitor gets whose login ran
out, or who was never logged in, so a person handing the phone over could not tell the log-out had
worked.  The login page now says so, once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_the_login_page_says_you_are_logged_out(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser) as (_, server, page, problems):
        with page.expect_navigation():
            page.click("button:has-text('Log out')")
        assert page.url.endswith("/login")
        said = page.locator("main .flash[role=status]")
        assert said.inner_text() == "You are logged out."
        assert said.is_visible()
        page.reload()  # said once, not again at every visit
        assert page.locator("main .flash").count() == 0
        page.goto(server.url + "settings")  # and the page is closed to this browser indeed
        assert "/login" in page.url
        assert problems == []
