"""The mood chart as a screen reader gets it, in real headless Chromium in front of the real service.

The chart's <svg> was labelled by its caption (aria-labelledby), which wins over the aria-label app.js
writes with every reading ("Mood over the last 5 minutes, most recently happy"): that live summary never
reached the accessibility tree, and a screen reader heard only the static caption.  The summary is now
the chart's name and the caption its description (both say the chart's span: a new speaker's few
readings span its least, 5 minutes, test_plot_span)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from axkit import ax_node
from browserkit import needs_chromium
from realkit import owner_phone

from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


def test_the_chart_says_the_latest_mood_and_keeps_its_caption(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser) as (_, _, page, problems):
        label = 'e => e.getAttribute("aria-label")'
        until(lambda: page.eval_on_selector("#plot", label).endswith("happy"), what="the chart's summary")
        node = ax_node(page, "#plot")
        assert node["role"] == "image", node
        assert node["name"] == "Mood over the last 5 minutes, most recently happy", node
        assert node["description"].startswith("Last 5 minutes: valence (unhappy ↔ happy)"), node
        assert "the strip below shows the mood" in node["description"], node
        snapshot = page.locator("#plot").aria_snapshot()
        assert 'img "Mood over the last 5 minutes, most recently happy"' in snapshot, snapshot
        assert problems == []
