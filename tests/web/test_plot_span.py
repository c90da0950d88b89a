"""The mood chart spans the readings there are while there is less than an hour of them: on a fixed
hour, the first minutes after setup sat in the chart's rightmost few percent and the rest was empty.
With ten minutes of history the lines cross most of the chart, and the caption and the summary say
"the last 10 minutes".  Real service with readings in its real mood history file, headless Chromium
on a phone."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from moodspeaker.service import mood_history
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

BOX = "e => { const r = e.getBoundingClientRect(); return [r.left, r.width]; }"


def write_history(data_dir: Path, minutes: int) -> None:
    """A reading every 10 s over the last `minutes`, in the history file the page reads."""
    now = time.time()
    rows = [
        (now - s, "sad" if s > 300 else "happy", 0.8, -0.5 if s > 300 else 0.5, 0.1, 1)
        for s in range(minutes * 60, 0, -10)
    ]
    with closing(sqlite3.connect(data_dir / mood_history.FILE_NAME, timeout=10)) as db, db:
        db.executemany("INSERT INTO mood VALUES (?, ?, ?, ?, ?, ?)", rows)


def test_ten_minutes_of_readings_fill_the_chart(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, path=None) as (service, server, page, problems):
        write_history(service.data_dir, 10)
        page.goto(server.url)
        until(lambda: page.locator("#plot path").count() == 2, what="the chart's lines")
        chart_left, chart_width = page.eval_on_selector("#plot", BOX)
        for line in page.locator("#plot path").all():
            left, width = line.evaluate(BOX)
            assert width > 0.85 * chart_width, (left, width, chart_width)  # was a 6th of it
            assert left - chart_left < 0.1 * chart_width, (left, chart_left, chart_width)
        caption = page.inner_text("#plot-cap")
        assert caption.startswith("Last 10 minutes: valence"), caption
        summary = page.eval_on_selector("#plot", 'e => e.getAttribute("aria-label")')
        assert summary.startswith("Mood over the last 10 minutes, most recently "), summary
        assert problems == []


def test_a_minute_of_readings_spans_five_minutes(tmp_path: Path, browser: Browser) -> None:
    """Not stretched to the first seconds: at least five minutes, the readings at the right."""
    with owner_phone(tmp_path, browser, path=None) as (service, server, page, _):
        write_history(service.data_dir, 1)
        page.goto(server.url)
        until(lambda: page.locator("#plot path").count() == 2, what="the chart's lines")
        until(lambda: page.inner_text("#plot-cap").startswith("Last 5 minutes:"), what="the caption")
        chart_left, chart_width = page.eval_on_selector("#plot", BOX)
        left, width = page.locator("#plot path").first.evaluate(BOX)
        assert left - chart_left > 0.7 * chart_width, (left, chart_left, chart_width)
        assert width < 0.3 * chart_width, (width, chart_width)
