"""The data export gives its times as ISO 8601 dates in UTC, which a person can read.

The export is for the listener to read ("everything this speaker keeps about its listeners"), and it
gave every time as seconds since 1970 (`1764972000.123`): the mood samples, the feedback, the profiles'
creation, the plays, the notes of the picks, the export's own time.  Nothing reads an export back (no
import), so the dates replace the numbers; files the export gives as they are on disk (a set-aside
state file's text here) stay byte for byte.  The real service with the page in front of it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from realkit import RealService
from webkit import AppPage

#: seconds since 1970 between 2001 and 2286: what a bare time in the export looks like
EPOCH_LIKE = (1e9, 1e10)


def numbers(value: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every number in `value` with where it is, leaving out the copies of files as on disk."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in {"saved_state", "calibration", "text"}:
                yield from numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from numbers(item, f"{path}[{i}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, float(value)


def when(text: str) -> datetime:
    """An ISO 8601 date in UTC (refused if it is anything else)."""
    assert isinstance(text, str) and text.endswith("Z"), text
    date = datetime.fromisoformat(text)
    assert date.utcoffset() is not None and date.utcoffset().total_seconds() == 0, text  # type: ignore[union-attr]
    return date


@pytest.mark.timeout(180)
def test_the_export_s_times_are_iso_dates_in_utc(real: tuple[RealService, AppPage]) -> None:
    service, page = real
    copy = service.data_dir / "state.json.corrupt-1764972000"
    copy.write_text('{"saved_at": 1764972000.5, "broken', encoding="utf-8")  # kept as it is on disk
    service.wait_for(lambda: service.appliance.state()["now_playing"], what="autoplay")
    assert page.post_json("/api/command", {"command": "like"}).status_code == 200
    service.wait_for(
        lambda: service.control.export_data()["tracks_started"] and page.ctx.history.count() > 0,
        what="a play and a mood sample recorded",
    )
    export = json.loads(page.client.get("/privacy/export").get_data())

    bare = [(path, n) for path, n in numbers(export) if EPOCH_LIKE[0] <= n <= EPOCH_LIKE[1]]
    assert bare == [], f"times given as bare numbers: {bare}"
    data = export["speaker_data"]
    dates = [
        when(export["exported_at"]),
        when(export["mood_history"][0]["ts"]),
        when(data["profiles"]["default"]["feedback"][-1]["ts"]),
        when(data["tracks_started"][0]["started_at"]),
        when(data["play_history"]["started"][0]["started_at"]),
        *(when(v) for v in data["picked_at"].values() if v is not None),
        when(data["set_aside_states"][0]["modified_at"]),
    ]
    now = datetime.fromtimestamp(time.time(), UTC)
    assert all(abs((now - d).total_seconds()) < 86400 for d in dates), [str(d) for d in dates]
    # a profile the configuration lists is made at 0 (so they sort first): not known, not 1970
    assert data["profiles"]["default"]["created"] is None
    assert data["set_aside_states"][0]["text"] == copy.read_text(encoding="utf-8")
