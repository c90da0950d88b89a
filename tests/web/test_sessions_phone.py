"""Logging out as phones do it, in real headless Chromium in front of the real service: a session
cookie copied into another browser stops working when its phone logs out, and "Log out everywhere"
(Settings, password section) sends every other phone back to the login page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import claim, needs_chromium, phone_page, watch
from realkit import served
from webkit import PASSWORD

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def log_in(page: Page, url: str) -> None:
    page.goto(url + "login")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button:has-text('Log in')")
    assert "/login" not in page.url


def test_a_copied_cookie_is_refused_after_its_phone_logs_out(tmp_path: Path, browser: Browser) -> None:
    with served(tmp_path) as (service, server):
        context, page = phone_page(browser)
        thief, stolen = phone_page(browser)
        problems = watch(page)
        try:
            claim(page, server.url, service.data_dir)
            (cookie,) = [c for c in context.cookies() if c["name"].startswith("moodspeaker_session_")]
            # the session cookie, copied into another browser
            thief.add_cookies([{"name": cookie["name"], "value": cookie["value"], "url": server.url}])
            stolen.goto(server.url + "settings")
            assert stolen.url.endswith("/settings")  # the copy works while the session lives
            with page.expect_navigation():
                page.click("button:has-text('Log out')")
            assert page.url.endswith("/login")
            stolen.goto(server.url + "settings")
            assert "/login" in stolen.url
            assert problems == []
        finally:
            thief.close()
            context.close()


def test_log_out_everywhere_sends_the_other_phones_to_the_login(tmp_path: Path, browser: Browser) -> None:
    with served(tmp_path) as (service, server):
        context, page = phone_page(browser)
        other_context, other = phone_page(browser)
        problems = watch(page)
        try:
            claim(page, server.url, service.data_dir)
            log_in(other, server.url)  # on the Now tab, which polls the speaker
            page.click("#s-password summary")
            with page.expect_navigation():
                page.click("#logout-everywhere")
            assert page.url.endswith("/login")
            assert "Logged out everywhere" in page.inner_text("main")
            # its next poll is refused and the page goes to the login (to come back to the Now tab)
            other.wait_for_url(lambda url: "/login?next=" in url)
            other.goto(server.url + "settings")
            assert "/login" in other.url
            log_in(page, server.url)  # the password still works
            assert problems == []
        finally:
            other_context.close()
            context.close()
