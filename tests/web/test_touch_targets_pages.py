"""Every button, link, field and section header of every view of the page is a touch target a thumb can
hit (44 x 44 CSS px, Apple's HIG and WCAG 2.5.5) on a 320-pixel phone, in real headless Chromium in front
of the real service.  test_touch_targets covered the Now tab's buttons; the speaker's name at the top
(a link home, 28 px tall on every view), the guest view's "Owner? Log in" (16 px) and the "Skip to
content" link (39 px when focused) were smaller."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import claim, needs_chromium, watch
from realkit import served

from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, BrowserContext, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(240)]

WIDTH, HEIGHT = 320, 640
MIN_TARGET = 44

#: What a thumb taps: links, buttons, section headers, fields (a checkbox is tapped through its label).
TARGETS = "a, button, summary, select, textarea, label.check, input:not([type=hidden]):not([type=checkbox])"

#: Each target on screen (all <details> opened first), as "what: width x height", when smaller than
#: MIN_TARGET either way or sticking out of the screen's width.
SMALL = """([targets, min, width]) => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const small = [];
  for (const e of document.querySelectorAll(targets)) {
    const r = e.getBoundingClientRect();
    if (!e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
    if (e.classList.contains('skip') && document.activeElement !== e) continue;  // off screen until focused
    if (r.width < min || r.height < min || r.left < 0 || r.right > width) {
      const name = (e.innerText || e.getAttribute('aria-label') || e.id || e.name || '').trim().slice(0, 40);
      const size = `${r.width.toFixed(0)} x ${r.height.toFixed(0)}`;
      small.push(`${e.tagName.toLowerCase()} ${JSON.stringify(name)}: ${size}`);
    }
  }
  return small;
}"""


def small_targets(page: Page) -> list[str]:
    found: list[str] = page.evaluate(SMALL, [TARGETS, MIN_TARGET, WIDTH])
    return found


def phone(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def test_every_target_of_every_view_is_thumb_sized_on_a_320_pixel_phone(
    tmp_path: Path, browser: Browser
) -> None:
    changes: dict[str, Any] = {"web.guest_view": True}
    with served(tmp_path, **changes) as (service, server):
        owner, page = phone(browser)
        guest, visitor = phone(browser)
        try:
            problems = watch(page)
            small: dict[str, list[str]] = {}
            page.goto(server.url + "/setup")
            small["setup"] = small_targets(page)
            page.focus("a.skip")  # what a keyboard's first Tab on a page without autofocus reaches
            small["setup, skip link focused"] = small_targets(page)
            claim(page, server.url, service.data_dir)
            page.click("nav >> text=Now")
            until(lambda: page.inner_text("#np-title") != "…", what="the track playing")
            small["now"] = small_targets(page)
            for view in ("Settings", "Privacy", "Health"):
                page.click(f"nav >> text={view}")
                page.wait_for_selector(f"nav a[aria-current=page]:has-text('{view}')")
                page.wait_for_load_state("load")  # its stylesheet too: measured before it, all is small
                small[view.lower()] = small_targets(page)
            missing = page.goto(server.url + "/no-such-page")
            assert missing is not None and missing.status == 404
            small["error page"] = small_targets(page)
            visitor.goto(server.url + "/")
            visitor.wait_for_selector("text=Owner? Log in")
            small["guest view"] = small_targets(visitor)
            visitor.click("text=Owner? Log in")
            visitor.wait_for_url("**/login")
            small["login"] = small_targets(visitor)
            assert {view: found for view, found in small.items() if found} == {}
            assert [p for p in problems if "no-such-page" not in p and "404 (NOT FOUND)" not in p] == []
        finally:
            owner.close()
            guest.close()
