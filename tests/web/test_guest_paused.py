"""The guest view says Paused over a paused track.

It said "Now playing" over the track while the speaker was paused, and the guest view has no Play
button whose state could tell; the owner's Now card said the same.  Both now head the card "Paused"
while a track is paused, and "Now playing" again once it plays.  Real service, headless Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import claim, needs_chromium, open_guest_view, said, watched_phone
from realkit import served

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_a_paused_track_is_headed_paused(tmp_path: Path, browser: Browser) -> None:
    guest_view: dict[str, Any] = {"web.guest_view": True}
    with served(tmp_path, **guest_view) as (service, server):
        with watched_phone(browser) as (owner, _):
            claim(owner, server.url, service.data_dir)
        with watched_phone(browser) as (page, problems):
            service.control.execute("play", source="test")
            open_guest_view(page, server.url)
            said(page, "#np-label", "Now playing")
            service.control.execute("pause", source="test")
            said(page, "#np-label", "Paused")
            assert page.inner_text("#np-title") not in ("…", "Nothing playing")  # the track stays shown
            service.control.execute("play", source="test")
            said(page, "#np-label", "Now playing")
            assert problems == []
