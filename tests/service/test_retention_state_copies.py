"""The service's retention deletes the set-aside copies of unreadable state files once older than its
cut-off.

A state.json that cannot be read at start is kept beside it as `state.json.corrupt-<time>`: it holds
the queue's explanations ("you look sad (80% sure)") and the moods the tracks were picked for, as
state.json does.  Delete-everything deletes those copies (7fd8492), but the retention kept them for
good.  A real appliance (real player on SDL's dummy driver, real recommender on SQLite; only the camera
scripted), with no page, runs its retention at start; the test waits for its `data_expired` signal.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.events import Event, StateChanged

pytestmark = pytest.mark.timeout(120)

DAY_S = 86400.0
QUOTE = '{"version": 1, "current": {"reason": "you look sad (80% sure); calm, slow", "track": {"id": "x"'


def test_the_retention_deletes_set_aside_state_copies_older_than_its_cut_off(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    now = time.time()
    old = data / "state.json.corrupt-20261001-101010"
    new = data / "state.json.corrupt-20261204-101010"
    for path, age_days in ((old, 40), (new, 2)):
        path.write_text(QUOTE)
        os.utime(path, (now - age_days * DAY_S, now - age_days * DAY_S))
    app, bus = build(tmp_path, Script(None))
    runs: list[Event] = []
    bus.subscribe(
        lambda e: runs.append(e) if isinstance(e, StateChanged) and e.key == "data_expired" else None
    )
    app.start()  # the appliance alone: no page, nobody calls delete_data
    try:
        wait_for(lambda: runs, timeout=120.0, what="the service's retention run at start")
        assert not old.exists(), "a copy older than the 30 days' retention is kept"
        assert new.read_text() == QUOTE  # newer than the cut-off: kept for now
    finally:
        app.stop()
