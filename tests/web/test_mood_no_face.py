"""With no face in view the Now view says the mood shown is held from before.

"No face in view right now." sat under "Neutral, 52%": two answers to one question (is there a mood?).
The speaker holds the last mood it read while nobody is in view, and the note now says so: "No face in
view: holding happy."  Real service (realkit, the camera scripted to a face, then none), headless
Chromium on a phone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(240)]


def test_no_face_says_the_mood_is_held(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, mood="happy") as (service, _, page, problems):
        service.camera.mood = None  # the face leaves
        service.wait_for(lambda: service.appliance.state().get("face") is False, what="no face in view")
        note = until(
            lambda: (text := page.inner_text("#mood-note")).startswith("No face") and text,
            what="the no-face note",
        )
        assert note == "No face in view: holding happy.", note
        assert page.inner_text("#mood-word").lower() == "happy"  # the mood it holds, as the note says
        assert problems == []
