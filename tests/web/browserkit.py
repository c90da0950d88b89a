"""Real headless Chromium for the page tests: Debian's /usr/bin/chromium driven through Playwright's
Python API (never `playwright install`: no downloads), with the flags that keep it off the network and
quiet in a container (tests/chromiumkit.py).  The `browser` fixture in conftest.py launches it; tests
say `@needs_chromium`.
`watch` and `claim` are the start most page tests share: record what the browser reports as wrong, then
take the new speaker over at first boot (`watched_phone`: a phone's page, watched, closed at the end)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from webkit import PASSWORD, setup_code

from chromiumkit import CHROMIUM
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser tests skip without it)
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

#: A phone's screen, the size people use the page at.
PHONE: ViewportSize = {"width": 390, "height": 844}
#: Screenshots for people to look at (git-ignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


def narrow(width: int) -> ViewportSize:
    """A small phone's screen, `width` pixels wide (320: the narrowest phones in use), 640 high."""
    return {"width": width, "height": 640}


def phone_page(
    browser: Browser, viewport: ViewportSize = PHONE, *, scripts: bool = True
) -> tuple[BrowserContext, Page]:
    """A new browser context the size of a phone (`viewport`; touch, mobile) and its page, with a
    generous default timeout because CI machines are busy; without `scripts`, JavaScript is off in it
    (the page's forms and noscript parts alone)."""
    context = browser.new_context(
        viewport=viewport, device_scale_factor=1, is_mobile=True, has_touch=True, java_script_enabled=scripts
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


@contextmanager
def watched_phone(
    browser: Browser, viewport: ViewportSize = PHONE, *, clock: bool = False
) -> Iterator[tuple[Page, list[str]]]:
    """A phone_page (of `viewport`) and what the browser reports as wrong on it (watch, recording from
    the start); its context closed on the way out.  With `clock`, the page's timers run on
    Playwright's fake clock (installed before any page loads), moved on by the test."""
    context, page = phone_page(browser, viewport)
    try:
        problems = watch(page)
        if clock:
            page.clock.install()
        yield page, problems
    finally:
        context.close()


def watch(page: Page) -> list[str]:
    """Start recording what the browser reports as wrong on `page` (console errors, script errors and
    answers of 400 or more) into the returned list, which fills while the test runs: a test asserts it
    is empty at the end, so a Content-Security-Policy violation or a broken script fails it."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return problems


def claim(page: Page, url: str, data_dir: Path) -> None:
    """First boot from the browser: open a new speaker's page at `url` (it sends the visitor to /setup),
    enter the setup code the speaker wrote into `data_dir`, choose webkit.PASSWORD and land on /settings."""
    page.goto(url)
    page.wait_for_url("**/setup")
    page.fill("#code", setup_code(data_dir))
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("text=Make it mine")
    page.wait_for_url("**/settings")


def said(page: Page, selector: str, start: str) -> str:
    """The text at `selector`, once it starts with `start` (case-insensitive)."""

    def text() -> str | None:
        now = page.inner_text(selector)
        return now if now.lower().startswith(start.lower()) else None

    return until(text, what=f"{start!r} at {selector}")


def track_shown(page: Page) -> None:
    """Wait until `page` (the status page or the guest view) shows a track playing."""
    until(lambda: page.inner_text("#np-title") not in ("…", "Nothing playing"), what="a track shown")


def open_guest_view(page: Page, url: str) -> None:
    """Open the page at `url` as a visitor who is not the owner, with the guest view on: the guest view,
    once it shows a track playing."""
    page.goto(url)
    assert page.get_attribute("body", "data-page") == "guest"
    track_shown(page)


def not_refused(problems: list[str]) -> list[str]:
    """What the browser reported as wrong (watch) besides its polls refused while the page's server was
    stopped."""
    return [p for p in problems if "ERR_CONNECTION_REFUSED" not in p and "Failed to load" not in p]
