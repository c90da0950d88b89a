"""The Tell box empties once the speaker understood what was typed, in real headless Chromium in front of
the real service (realkit): also when there was nothing to do ("never mind", "don't stop the music":
"Understood: ... nothing to do."), while words it refused or did not understand stay for the listener to
fix ("volume 150", "blorp").

Before, app.js emptied the box only when a command had been done and left an understood message with
nothing to do in it, as if it still had to be sent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium, said
from realkit import owner_phone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def tell(page: Page, text: str, start: str) -> tuple[str, str]:
    """Type `text` into the Tell box and send it: the reply (once it starts with `start`, the one before
    cleared first) and what the box holds then."""
    page.evaluate("document.getElementById('tell-reply').textContent = ''")
    page.fill("#tell-text", text)
    page.click("#tell button")
    reply = said(page, "#tell-reply", start)
    return reply, page.input_value("#tell-text")


def test_the_box_empties_when_understood_and_keeps_what_was_refused(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser) as (_, _, page, problems):
        assert tell(page, "never mind", "Understood") == ("Understood: nothing to do.", "")
        reply, left = tell(page, "don't stop the music", "Understood")
        assert reply.endswith("nothing to do."), reply
        assert left == ""
        reply, left = tell(page, "louder", "Understood")  # done: emptied, as before
        assert left == "", reply
        reply, left = tell(page, "volume 150", "Sorry")  # refused: kept, to be fixed
        assert left == "volume 150", reply
        reply, left = tell(page, "blorp", "Sorry")  # not understood: kept
        assert left == "blorp", reply
        assert problems == []
