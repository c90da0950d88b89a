"""A skip the `next` command recorded itself is not recorded again when the player reports that play's
end; and the mark is for that play only.

A Next pressed as the audio device vanishes stands.  Before the fix the player dropped the skipped
play silently (its end never announced) and resumed it when the device came back: the listener's
Next was undone, and the command's mark on that play stayed behind.  Now the play a Next was fading
out has ended when the device goes (announced as skipped, which the mark swallows: one skip
recorded, as for any Next) and the next queued track plays when the device is back.  Real
appliance, real player, and a real lost device (pygame's mixer shut under the player, as
tests/player do).
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pygame
import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, StateChanged, TrackEnded, TrackStarted
from moodspeaker.service.skips import RecordedSkips

pytestmark = pytest.mark.timeout(240)


def feedback(app: Appliance, track_id: str) -> list[str]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        rows = db.execute("SELECT kind FROM feedback WHERE track_id = ? ORDER BY id", (track_id,))
        return [r[0] for r in rows]


@contextmanager
def playing_one_queued(tmp_path: Path) -> Iterator[tuple[Appliance, list[Event]]]:
    """A real appliance playing a track (past its first moment) with another queued, and the events
    of its bus; stopped on the way out."""
    app, bus = build(tmp_path, Script("happy"), track_s=20.0)
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    try:
        wait_for(lambda: (app.player.status().current is not None and app.player.status().position_s > 0.5
                          and len(app.player.status().queue) > 0),
                 what="a track playing, another queued")  # fmt: skip
        yield app, events
    finally:
        app.stop()


def test_a_next_lost_with_the_audio_device_stands(tmp_path: Path) -> None:
    with playing_one_queued(tmp_path) as (app, events):
        status = app.player.status()
        assert status.current is not None
        x, upcoming = status.current.track.id, status.queue[0].track.id
        gate, let_go = threading.Event(), []

        def busy() -> None:
            let_go.append(gate.wait(60))  # False: let go by the timeout, not by the test

        app.player._post(busy)  # the player thread is busy for a moment...
        app.player._post(pygame.mixer.quit)  # ...and the audio device vanishes under it
        app.next_track()  # the status still says x plays: the skip is recorded (and marked)
        assert feedback(app, x) == ["skip"]
        gate.set()  # the switch fails with the device: the skipped play is over all the same
        wait_for(lambda: started_since_lost(events), what="a track started once the device was back")
        assert let_go == [True], "the player thread went on before the Next was recorded"
        after = started_since_lost(events)
        assert after[0] == upcoming != x, (x, upcoming, after)  # the Next stands: x is not resumed
        ends = [e for e in events if isinstance(e, TrackEnded) and e.track_id == x]
        assert [(e.skipped, e.completed) for e in ends] == [(True, False)], ends  # announced, once
        wait_for(lambda: not app._feedback_pending(), what="the feedback written")
        assert feedback(app, x) == ["skip"]  # recorded once, by the command
        assert app._recorded_skips.pending() == []  # the mark went with that play's end


def test_a_next_while_the_audio_device_is_gone_is_recorded_once(tmp_path: Path) -> None:
    """The device went while x played and is still gone: the page shows x (it resumes with the device),
    the player is "stopped".  A Next then skips x as it would while playing: one skip recorded by the
    command, x's end announced as skipped (the mark swallows it), and the next queued track plays when
    the device is back.  Before the fix the command recorded nothing (the player was not "playing")."""
    with playing_one_queued(tmp_path) as (app, events):
        player = app.player
        gone = dataclasses.replace(player._cfg, audio_device="no-such-device")
        player._post(lambda: setattr(player, "_cfg", gone))  # the output is unplugged: retries fail
        player._post(pygame.mixer.quit)
        wait_for(lambda: player.status().audio == "lost", what="the audio device lost")
        status = player.status()
        assert status.current is not None and status.state == "stopped"
        x, upcoming = status.current.track.id, status.queue[0].track.id
        app.next_track()
        assert feedback(app, x) == ["skip"]  # written before the command returned
        assert status.waiting_for_audio  # what told the command that x would have been heard
        wait_for(lambda: any(isinstance(e, TrackEnded) and e.track_id == x for e in events),
                 what="x's end announced")  # fmt: skip
        back = dataclasses.replace(player._cfg, audio_device="")
        player._post(lambda: setattr(player, "_cfg", back))  # plugged back
        wait_for(lambda: started_since_lost(events), what="a track started once the device was back")
        assert started_since_lost(events)[0] == upcoming != x
        ends = [e for e in events if isinstance(e, TrackEnded) and e.track_id == x]
        assert [(e.skipped, e.completed) for e in ends] == [(True, False)], ends
        wait_for(lambda: not app._feedback_pending(), what="the feedback written")
        assert feedback(app, x) == ["skip"]  # once: the announced end added nothing
        assert app._recorded_skips.pending() == []


def started_since_lost(events: list[Event]) -> list[str]:
    """The tracks started since the audio device was lost (none while it is still gone)."""
    seen = list(events)  # the player thread appends as we read
    lost = [
        i
        for i, e in enumerate(seen)
        if isinstance(e, StateChanged) and e.key == "audio" and e.value == "lost"
    ]
    if not lost:
        return []
    return [e.track_id for e in seen[lost[0] :] if isinstance(e, TrackStarted)]


def test_a_mark_is_for_the_play_sounding_now() -> None:
    skips = RecordedSkips()
    skips.started("a")
    skips.mark("a")
    assert skips.ended("a")  # the play the command skipped: nothing more to record
    assert not skips.ended("a")  # a second report of an end records normally
    skips.mark("a")  # "a" ended a moment before the command read the status: nothing to mark
    assert skips.pending() == []


def test_a_play_whose_end_is_never_announced_leaves_no_stale_mark() -> None:
    skips = RecordedSkips()
    skips.started("a")
    skips.mark("a")  # ... and the play is dropped (the audio device vanished)
    skips.started("a")  # the same track plays again later (resumed, or queued again)
    assert skips.pending() == []
    assert not skips.ended("a")  # that play's end is recorded


def test_marks_are_bounded_by_the_plays_that_may_still_sound() -> None:
    skips = RecordedSkips(keep=4)
    for i in range(100):  # every skip lost with its play: no end is ever announced
        skips.started(f"t{i}")
        skips.mark(f"t{i}")
    assert skips.pending() == ["t96", "t97", "t98", "t99"]


def test_a_replay_of_the_playing_track_then_next() -> None:
    """Replay restarts the track playing: its second play starts before the first one's end is
    announced; Next during the second play marks that one."""
    skips = RecordedSkips()
    skips.started("a")
    skips.started("a")  # replayed
    assert not skips.ended("a")  # the first play, cut by the replay: recorded as such
    skips.mark("a")
    assert skips.ended("a")
