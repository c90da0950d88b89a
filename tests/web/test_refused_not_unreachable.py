"""A speaker that answers but refuses the page's poll is not "out of reach", in real headless Chromium
in front of the real service.

Before, the guest view and the status page said "Cannot reach the speaker; trying again…" for every
failed poll: the guest view kept the last track dimmed under it forever after the owner turned the
guest view off (/api/guest answers 403), and the owner's status page said it while its ended login
(401) sent it to a bare login page that did not say why.  Now the guest view says the guest view is
off and shows no track, and the status page goes to the login page, which says the login has ended
and leads back to the page after logging in.

The guest's page runs on Playwright's fake clock, moved on by the test."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from browserkit import claim, needs_chromium, open_guest_view, phone_page, said, watch, watched_phone
from realkit import served
from test_guest_unreachable import POLL_MS, card
from test_sessions_phone import log_in
from webkit import PASSWORD

from moodspeaker_web.guard import LOGIN_ENDED
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

#: Every text the page's message bar (#live) shows, kept in the tab's sessionStorage as it is set (at
#: once, so also what a page says in the moment before it goes to another one).
HEARD = """() => {
  const listen = () => {
    const bar = document.getElementById("live"); if (!bar) return;
    const changes = { childList: true, characterData: true, subtree: true };
    new MutationObserver(() => {
      const heard = JSON.parse(sessionStorage.getItem("heard") || "[]");
      sessionStorage.setItem("heard", JSON.stringify([...heard, bar.textContent]));
    }).observe(bar, changes);
  };
  document.addEventListener("DOMContentLoaded", listen);
}"""


def hear(page: Page) -> None:
    """From now on, keep what `page`'s message bar says, across the pages of its site (heard)."""
    page.add_init_script(f"({HEARD})()")


def heard(page: Page) -> list[str]:
    """What `page`'s message bar has said since `hear`."""
    said: list[str] = page.evaluate("JSON.parse(sessionStorage.getItem('heard') || '[]')")
    return said


def test_the_guest_view_turned_off_is_said_not_unreachable(tmp_path: Path, browser: Browser) -> None:
    guest_view: dict[str, Any] = {"web.guest_view": True}
    with served(tmp_path, **guest_view) as (service, server), watched_phone(browser) as (owner, _):
        claim(owner, server.url, service.data_dir)  # on Settings
        with watched_phone(browser, clock=True) as (guest, problems):
            hear(guest)
            open_guest_view(guest, server.url)

            owner.click("#s-web > summary")  # the owner turns the guest view off
            owner.uncheck("#f-web-guest-view")
            with owner.expect_navigation():
                owner.click("#save-web")
            guest.clock.run_for(POLL_MS)
            said(guest, "#np-title", "The guest view is off")
            assert guest.inner_text("#np-artist") == ""
            busy, opacity = card(guest)
            assert busy != "true" and opacity == 1  # what it says is live, not the last state dimmed
            guest.clock.run_for(POLL_MS)  # and it stays so
            assert guest.inner_text("#np-title").startswith("The guest view is off")
            assert not [text for text in heard(guest) if text.startswith("Cannot reach")]

            owner.check("#f-web-guest-view")  # on again: the page shows what plays
            with owner.expect_navigation():
                owner.click("#save-web")
            guest.clock.run_for(POLL_MS)
            until(
                lambda: (
                    guest.inner_text("#np-title") not in ("…", "Nothing playing", "The guest view is off.")
                )
            )
            assert [p for p in problems if "403" not in p] == []


def test_an_ended_login_goes_to_the_login_page_which_says_so(tmp_path: Path, browser: Browser) -> None:
    with served(tmp_path) as (service, server), watched_phone(browser) as (owner, _):
        claim(owner, server.url, service.data_dir)
        context, phone = phone_page(browser)
        hear(phone)
        problems = watch(phone)
        try:
            log_in(phone, server.url)  # the Now tab, which polls the speaker
            assert phone.get_attribute("body", "data-page") == "status"

            owner.click("#s-password summary")  # the phone's login ends
            with owner.expect_navigation():
                owner.click("#logout-everywhere")

            phone.wait_for_url(lambda url: "/login" in url)  # its next poll is refused
            assert not [text for text in heard(phone) if text.startswith("Cannot reach")]
            ended = phone.locator("main .flash[role=status]")
            assert ended.inner_text() == LOGIN_ENDED
            address = urlsplit(phone.url)
            assert (address.path, parse_qs(address.query)) == ("/login", {"next": ["/"]})
            phone.fill("#password", "wrong password")  # said once
            with phone.expect_navigation():
                phone.click("button:has-text('Log in')")
            assert phone.locator("main .flash[role=status]").count() == 0
            phone.fill("#password", PASSWORD)
            with phone.expect_navigation():
                phone.click("button:has-text('Log in')")
            assert phone.url == server.url  # back at the page it was on
            assert [p for p in problems if "401" not in p] == []
        finally:
            context.close()
