"""A speaker without its page prunes the page's mood history by the privacy retention.

The page keeps the mood readings (`<data_dir>/mood-history.sqlite3`) and pruned them by
`privacy.retention_days`, but only while it ran: a speaker run with `--no-web` (or `web.enabled =
false`) kept every reading stored before for good.  The service's own retention now prunes the file
while no page of its process keeps it, and leaves it to the page's when one does.  A real appliance
(real player on SDL's dummy driver, real recommender on SQLite; only the camera scripted) runs its
retention at start; the file is the page's real MoodHistory's; the test waits for the service's
`data_expired` signal.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.events import Event, MoodObserved, StateChanged
from moodspeaker_web.history import MoodHistory

pytestmark = pytest.mark.timeout(120)

DAY_S = 86400.0
OLD = "zz-old-reading"  # a mood name no other row has: found in the raw bytes only if kept


def _history(data: Path) -> MoodHistory:
    """The page's store with 300 readings 40 days old and one of now."""
    history = MoodHistory(data / "mood-history.sqlite3", min_spacing_s=0.0)
    now = time.time()
    for i in range(300):
        history.add(
            MoodObserved(
                ts=now - 40 * DAY_S + i, mood=OLD, confidence=0.9, valence=0.5, arousal=0.2, face=True
            )
        )
    history.add(MoodObserved(ts=now, mood="happy", confidence=0.9, valence=0.5, arousal=0.2, face=True))
    return history


def _run_retention_once(tmp_path: Path) -> None:
    """Start a real appliance without a page, wait for its retention run at start, stop it."""
    app, bus = build(tmp_path, Script(None))
    runs: list[Event] = []
    bus.subscribe(
        lambda e: runs.append(e) if isinstance(e, StateChanged) and e.key == "data_expired" else None
    )
    app.start()
    try:
        wait_for(lambda: runs, timeout=120.0, what="the service's retention run at start")
    finally:
        app.stop()


def test_without_the_page_the_service_prunes_the_mood_history(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _history(data).close()  # a page ran once; now the speaker runs without it
    _run_retention_once(tmp_path)
    files = {p.name: p.read_bytes() for p in data.iterdir() if p.name.startswith("mood-history")}
    left = {name: raw.count(OLD.encode()) for name, raw in files.items()}
    assert not any(left.values()), f"readings older than the retention still in the files: {left}"
    assert {n: oct(stat.S_IMODE((data / n).stat().st_mode)) for n in files} == dict.fromkeys(files, "0o600")
    history = MoodHistory(data / "mood-history.sqlite3")
    try:
        assert [s["mood"] for s in history.export()] == ["happy"]  # the newer reading is kept
    finally:
        history.close()


def test_with_the_page_in_the_process_the_page_prunes_its_own(tmp_path: Path) -> None:
    data = tmp_path / "data"
    history = _history(data)  # open: the page runs in this process (its own retention prunes it)
    try:
        _run_retention_once(tmp_path)
        assert history.count() == 301
    finally:
        history.close()
