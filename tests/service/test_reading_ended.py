"""The end of a reading is published as its end (MoodObserved `ended`), not as a reading of no face.

Why: "delete everything" with the camera on published the reading's end as a live reading (mood unknown,
confidence, valence and arousal 0, no face): MQTT's StateFeed could only show it as the listener gone
(Home Assistant's Listener present off) and the page's history plotted a point at zero nobody read.  And a
frame source that ran out (a replay without camera.replay_loop) left its last mood live for good, where a
camera giving no frames fades it to unknown.  Now it fades the same way and then the reading ends.  The
real Appliance (player on SDL's dummy driver, recommender, mood filter) and the page's real mood history
on its bus; only the camera and the classifier are scripted (a happy face in every frame).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from servicekit import Script, camera_appliance, running, wait_for

from moodspeaker.service import mood_history
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, MoodChanged, MoodObserved
from moodspeaker_web.history import HistoryRecorder, MoodHistory

pytestmark = pytest.mark.timeout(120)

FRAMES = 40  # 4 s of frames at the kit's 0.1 s interval: enough to read the happy face


class Replay:
    """A replay of FRAMES frames, then none: a source without `state` whose read gives None has ended,
    as vision.sources' ReplaySource without camera.replay_loop."""

    def __init__(self) -> None:
        self.left = FRAMES

    def read(self) -> np.ndarray | None:
        if self.left <= 0:
            return None
        self.left -= 1
        return np.zeros((48, 64, 3), np.uint8)

    def close(self) -> None:
        pass


def _observed(events: list[Event]) -> list[MoodObserved]:
    return [e for e in list(events) if isinstance(e, MoodObserved)]


def _ends(events: list[Event]) -> list[MoodObserved]:
    return [e for e in _observed(events) if e.ended]


@contextmanager
def _replaying(tmp_path: Path) -> Iterator[tuple[Appliance, list[Event], HistoryRecorder]]:
    app = camera_appliance(tmp_path, Replay, **{"mood.no_face_timeout_s": 1.0, "player.autoplay": False})
    events: list[Event] = []
    app.bus.subscribe(events.append)
    recorder = HistoryRecorder(MoodHistory(tmp_path / mood_history.FILE_NAME, min_spacing_s=0.0), app.bus)
    app.start()
    try:
        yield app, events, recorder
    finally:
        app.stop()
        recorder.stop()
        recorder.history.close()


def _play_out(app: Appliance, events: list[Event], ends: int) -> None:
    """The replay read happy, ran out, its mood faded and its reading ended (the `ends`-th end), then
    the camera is switched off, whose end is published as an end too."""
    wait_for(lambda: app.state()["mood"] == "happy", what="the happy face read")
    wait_for(lambda: len(_ends(events)) == ends, what="the end of the replay's reading")
    end = _ends(events)[-1]
    assert (end.mood, end.camera, end.face) == ("unknown", True, False)
    before = [e for e in events[: events.index(end)] if isinstance(e, (MoodObserved, MoodChanged))]
    faded = before[-1]  # the fade (no face, as a camera giving no frames) came first
    assert isinstance(faded, MoodChanged) and (faded.mood, faded.previous) == ("unknown", "happy")
    assert app.state()["mood"] == "unknown" and app.health.state_of("camera") == "ended"
    app.set_camera(False)
    assert len(_ends(events)) == ends + 1 and not _ends(events)[-1].camera


def test_a_replay_that_ran_out_fades_and_ends_the_reading(tmp_path: Path) -> None:
    with _replaying(tmp_path) as (app, events, recorder):
        _play_out(app, events, 1)
        app.set_camera(True)  # switched off and on, the replay plays afresh and ends again
        _play_out(app, events, 3)
        recorder.flush()
        plotted = {row["ts"] for row in recorder.history.since(0.0)}
    assert plotted, "the readings are in the page's history"
    assert not plotted & {e.ts for e in _ends(events)}  # no point at zero for a reading's end


def test_delete_everything_with_the_camera_on_publishes_the_end_not_a_face_gone(tmp_path: Path) -> None:
    with running(tmp_path, Script("happy")) as (app, _control, events):
        wait_for(lambda: app.state()["mood"] == "happy", what="the happy face read")
        seen = len(events)
        app.delete_data()  # the face stays in view
        wait_for(lambda: any(e.face for e in _observed(events[seen:])), what="the face read again")
        after = _observed(events[seen:])
    ends = [(e.mood, e.camera) for e in after if e.ended]
    assert ends == [("unknown", True)]
    assert all(e.face or e.ended for e in after), [(e.face, e.ended) for e in after]  # no "no face"
