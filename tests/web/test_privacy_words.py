"""The Privacy tab says all that the speaker keeps, deletes after the retention period and deletes
on "Delete everything".

It listed the mood history, feedback, profiles and calibrations only, though the speaker also keeps
which tracks played when (its play history, the tracks it could not play, why each was picked and
for which mood, when a mood changed the music), its downloaded copies of library-server tracks with
when each was last played, and health's recent problems (naming a file it could not open); the export,
the retention and delete-everything cover them all (README, Phone page).  A person deciding whether
to keep the camera on read a shorter list than the truth.  Real service, headless Chromium on a phone.
"""

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


def test_the_privacy_tab_names_what_played_downloads_and_problems(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, path="/privacy") as (_, _, page, problems):
        stored = page.locator("#what-h ~ ul").inner_text()
        for kept in ("What played", "tracks started and when", "why each track was picked"):
            assert kept in stored, stored
        assert "Downloaded tracks" in stored and "last played" in stored, stored
        assert "Recent problems" in stored, stored
        retention = page.inner_text("#retention")
        assert "what played" in retention and "downloaded tracks" in retention, retention
        label = page.inner_text("label[for=confirm-delete]")
        assert "what played" in label and "downloaded tracks" in label, label
        page.fill("#confirm-delete", "delete")
        with page.expect_navigation():
            page.click("#delete-everything")
        said = page.inner_text("main .flash")
        assert "what played" in said and "downloaded tracks" in said, said
        assert problems == []
