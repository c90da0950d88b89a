"""After a save refused because a field was changed elsewhere, the way to the settings as they are now
must load them, not send the refused form again.

The refusal said "Reload the page", but the page shown is the answer to a POST: a phone's reload sends
the form again (after a "resubmit?" prompt) and gets the same refusal, never the new value; and its
address, /settings/<section>, opened again later (a restored tab) answered 405 "That is not something
this page accepts".  Now the refusal has a "Reload the settings" link to /settings with the section open,
and the address shows the settings.  Real service, real `moodspeaker config set`, headless Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from moodspeaker.cli import main
from moodspeaker.config import load

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(240)]

#: What the browser reports for the refusal the test makes on purpose (a 400 answer).
REFUSED = ("400 ", "Failed to load resource: the server responded with a status of 400")


def test_a_refused_clash_offers_a_reload_that_shows_the_value_set_elsewhere(
    tmp_path: Path, browser: Browser
) -> None:
    with owner_phone(tmp_path, browser, path=None) as (service, server, page, problems):
        path = service.config_path
        page.locator("#s-library").evaluate("e => { e.open = true; }")
        page.locator("#s-library details.advanced:not(#left-out)").evaluate("e => { e.open = true; }")
        assert main(["-c", str(path), "config", "set", "library.min_track_s=12"]) == 0  # over SSH
        page.fill("#f-library-min-track-s", "20")
        with page.expect_navigation():
            page.click("#save-library")
        assert load(path).library.min_track_s == 12.0  # refused: nothing saved
        alert = page.locator("#s-library [role=alert]").first.inner_text()
        assert "save again to replace" in alert, alert  # the other way out, said where it is seen

        with page.expect_navigation():
            page.click("#reload-library")
        assert "/settings?open=library" in page.url, page.url
        assert page.locator("#s-library").evaluate("e => e.open")  # the section the person was in
        page.locator("#s-library details.advanced:not(#left-out)").evaluate("e => { e.open = true; }")
        assert page.input_value("#f-library-min-track-s") == "12.0"  # the value set elsewhere
        assert page.locator("#s-library [role=alert]").count() == 0

        page.goto(f"{server.url}/settings/library")  # the refusal's address, opened again
        assert "/settings?open=library" in page.url, page.url
        assert page.locator("#s-library").evaluate("e => e.open")
        page.goto(f"{server.url}/settings/password")
        assert page.locator("#s-password").evaluate("e => e.open")
        page.goto(f"{server.url}/settings/nonsense")
        assert page.url.endswith("/settings"), page.url
        assert [p for p in problems if not p.startswith(REFUSED)] == []
