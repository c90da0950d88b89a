"""The page's own port is fine to save, another program's is refused under the field, on a phone.

The real page server in front of the real service, real headless Chromium.  The page listens on
127.0.0.1 and the file's web.host is 0.0.0.0, so opening the page's port again for the check would
fail as "in use" by the page itself: the port a request came in on (the server's own) is fine
(commands.webport.page_listen_problem); the refusal of another program's port is on screen under the
field, and Settings keeps saying what waits for a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import PHONE, claim, needs_chromium, phone_page, watch
from realkit import served

from moodspeaker.config import load
from moodspeaker.system.listen import listening_socket

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

#: What the browser reports for the refusal the test makes on purpose (a 400 answer).
REFUSED = ("400 ", "Failed to load resource: the server responded with a status of 400")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_the_page_port_on_a_phone(tmp_path: Path, browser: Browser) -> None:
    with served(tmp_path, live=True) as (service, server), listening_socket("127.0.0.1", 0) as other:
        context, page = phone_page(browser)
        problems = watch(page)
        try:
            claim(page, server.url, service.data_dir)
            page.click("#s-web > summary")
            page.fill("#f-web-port", str(server.port))
            with page.expect_navigation():
                page.click("#save-web")
            notes = [e.inner_text() for e in page.locator(".flash").all()]
            assert notes == ["This page: saved. Port takes effect when the speaker restarts."]
            assert page.locator("#restart-waiting").inner_text() == "Waiting for a restart: Port (This page)."
            assert load(service.config_path).web.port == server.port

            taken = other.getsockname()[1]  # the section stays open after its save
            page.fill("#f-web-port", str(taken))
            with page.expect_navigation():
                page.click("#save-web")
            error = page.locator("#f-web-port-err")
            assert error.inner_text().startswith(f"Port {taken} is already in use by another program")
            box = error.bounding_box()
            assert box is not None and 0 <= box["y"] <= PHONE["height"] - box["height"], box
            assert load(service.config_path).web.port == server.port
            assert [p for p in problems if not p.startswith(REFUSED)] == []
        finally:
            context.close()
