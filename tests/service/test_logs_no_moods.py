"""The speaker's INFO log (the journal) names no mood, confidence or pick explanation.

The journal is kept by journald, outside the retention (`privacy.retention_days`) and out of reach of
delete-everything, so what it holds about the listener is kept past both.  It used to log each track's
start with its explanation ("playing A - T (you look happy (97% sure) ...)") and each mood switch as
"mood is now sad: ...": a mood diary in the journal.  Now it logs artist and title, and that the mood
changed without saying to what.

Real parts: the running appliance (real player on SDL's dummy driver, real recommender on SQLite) over
tone tracks whose titles and artists name no mood; only the camera and classifier are scripted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import TRACKS, Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.events import Event, EventBus, TrackStarted
from tonetracks import tone_tracks

pytestmark = pytest.mark.timeout(120)

MOODS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@pytest.fixture
def app_events(tmp_path: Path) -> Iterator[tuple[Appliance, Script, list[Event]]]:
    cfg = config(tmp_path / "data")
    # Titles and artists that name no mood, so any mood word in the log came from a reading.
    songs = [(tid, f"Song {n}", f"Band {n}", v, a, f) for n, (tid, v, a, f) in enumerate(TRACKS)]
    tracks = tone_tracks(tmp_path, songs, duration_s=20.0, amplitude=0.2)
    script = Script("happy")
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    parts = Parts(
        lambda: ScriptSource(script),
        lambda: ScriptPipeline(script),
        Recommender.from_config(cfg, Catalogue(tracks)),
    )
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    app.start()
    try:
        yield app, script, events
    finally:
        app.stop()


def test_no_info_log_record_names_the_mood_or_the_explanation(
    app_events: tuple[Appliance, Script, list[Event]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app, script, events = app_events
    wait_for(lambda: app.state()["now_playing"] is not None, what="autoplay on the first mood")
    reasons = {app.state()["now_playing"]["reason"]}
    script.mood = "sad"
    wait_for(lambda: app.state()["mood"] == "sad", what="the sad mood")

    def sad_started() -> bool:
        return any(isinstance(e, TrackStarted) and e.track_id.startswith("sad") for e in events)

    wait_for(sad_started, what="the switch to a sad track")
    reasons |= {e.reason for e in events if isinstance(e, TrackStarted) and e.reason}
    assert all(reasons) and any("sad" in r for r in reasons)  # explanations quote the mood read
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("Song" in m for m in logged), "no track start logged at all"
    assert any("switching" in m for m in logged), "the switch was not logged"
    told = [
        m for m in logged if any(w in m.lower() for w in MOODS) or "sure" in m or any(r in m for r in reasons)
    ]
    assert not told, f"the log tells the mood: {told}"
