"""Real headless Chromium for the tests that drive a page in a browser: Debian's /usr/bin/chromium
through Playwright's Python API (never `playwright install`: no downloads), with the flags that keep it
off the network (no component or sync calls) and quiet in a container.  The page tests' kit is
tests/web/browserkit.py; tests outside tests/web (the demo's page) launch it from here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Playwright is optional at run time (the browser tests skip without it)
    from playwright.sync_api import Browser, Playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright: Playwright) -> Browser:
    """Chromium launched headless from a running `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
