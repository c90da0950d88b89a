"""The Privacy tab's capture interval and retention read as English for every value.

Why: it said "Every 1 second(s) the speaker takes one picture" (and "after 1 days", "Every 0
second(s)" for camera.interval_s = 0, which captures as fast as the pipeline allows).  The page app
with its own settings, logged in as the owner.
"""

from __future__ import annotations

import re

import pytest
from webkit import Page

from moodspeaker.config.load import with_changes


def _said(owner: Page, interval: float, days: int) -> str:
    ctx = owner.ctx
    ctx.config = with_changes(ctx.config, {"camera.interval_s": interval, "privacy.retention_days": days})
    html = owner.client.get("/privacy").get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(
    ("interval", "days", "capture", "kept"),
    [
        (1.0, 1, "Every second the speaker takes one picture", "after 1 day "),
        (2.0, 30, "Every 2 seconds the speaker takes one picture", "after 30 days "),
        (0.5, 2, "Every 0.5 seconds the speaker takes one picture", "after 2 days "),
        (0.0, 30, "As often as it can, the speaker takes one picture", "after 30 days "),
    ],
)
def test_interval_and_retention_words(
    owner: Page, interval: float, days: int, capture: str, kept: str
) -> None:
    said = _said(owner, interval, days)
    assert capture in said, said
    assert kept in said, said
    assert "(s)" not in said and "1 days" not in said, said
