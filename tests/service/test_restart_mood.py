"""After a restart, a restored track picked for the mood the camera reads first keeps playing.

Why: the first reading after a start is a change of mood (from unknown), and a change re-plans and
cuts the track playing when the best new pick is far from it (`policy.clashes`).  The new plan leaves
out the track playing and the ones heard just now, so in a library whose other tracks for that mood
have just played the best new pick can be far away: the restored track, picked for that very mood,
was cut about a second after the first reading ("clashes; switching").  The conductor now knows the
mood each pick was made for, the saved state keeps it across the restart, and a track picked for the
mood read is not cut.  A real power cut and restart: the player on SDL's dummy driver, the real
recommender on SQLite, the same library and data folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from servicekit import Script, build, power_cut, wait_for

from moodspeaker.service.events import Event, MoodChanged, MoodObserved, TrackEnded

pytestmark = pytest.mark.timeout(180)


def _saved_current(state_file: Path) -> str | None:
    if not state_file.exists():
        return None
    current = json.loads(state_file.read_text())["current"]
    return current["track"]["id"] if current else None


def test_a_restored_track_that_suits_the_first_reading_keeps_playing(tmp_path: Path) -> None:
    # Before: happy1 plays to its end, happy2 follows; only calm and the sad tracks are left unheard.
    app, _bus = build(tmp_path, Script("happy"), track_s=12.0)
    app.start()
    state_file = tmp_path / "data" / "state.json"
    wait_for(lambda: len(app.started_tracks) >= 2, what="the second track")
    second = app.started_tracks[1][1]
    wait_for(lambda: _saved_current(state_file) == second, what="the second track saved")
    assert {app.started_tracks[0][1], second} == {"happy1", "happy2"}
    # a power cut: nothing is shut down cleanly; only what is on disk survives
    with power_cut(app):
        again, bus = build(tmp_path, Script("happy"), track_s=12.0)  # the same face after the reboot
        events: list[Event] = []
        bus.subscribe(events.append)
        again.start()
        try:
            assert again.conductor.picked_for(second) == "happy"  # restored with the mood it suits
            wait_for(lambda: any(isinstance(e, MoodChanged) for e in events), what="the first reading")
            changed = next(i for i, e in enumerate(events) if isinstance(e, MoodChanged))
            # the reading after it: the re-plan of the first one (on the same thread) is done
            wait_for(
                lambda: any(isinstance(e, MoodObserved) for e in events[changed + 1 :]), what="a reading"
            )
            assert again.player.wait_idle(30), "the player never ran the re-plan"
            assert list(again.conductor.flips) == []  # nothing was switched for the "new" mood
            wait_for(
                lambda: any(isinstance(e, TrackEnded) and e.track_id == second for e in events),
                what="the restored track's end",
            )
            ended = next(
                i for i, e in enumerate(events) if isinstance(e, TrackEnded) and e.track_id == second
            )
            assert changed < ended, (
                "the first reading came after the restored track had ended: nothing tested"
            )
            end = events[ended]
            assert isinstance(end, TrackEnded) and end.completed  # played to its end, not cut
        finally:
            again.stop()
