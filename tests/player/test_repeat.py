"""A repeat of the track playing, queued on purpose (`QueueItem.again`), follows it without a stop.

The recommender plans the track playing again when it is the only one it may offer (a one-track
library).  Before, the player left the track playing out of every new queue (a guard against plans
made from a stale status), so the queue ran dry at its end: the music stopped, and started again only
once a refill planned the track after it had ended.  Now a repeat is kept and plays on at once; any
other copy of the track playing is still left out; and a Next on the track drops its repeat (the
listener moved on from it).  Real player on SDL's dummy driver; the commands are posted on the player
thread as the first play's start is announced (playerkit.playing's `then`), so they all apply together
while it is still the one playing, however busy the machine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from playerkit import Recorder, end_events, playing, started, tone

from moodspeaker.player.engine import Player
from moodspeaker.service.events import Event, StateChanged, TrackEnded, TrackStarted

pytestmark = pytest.mark.timeout(180)


def starts(rec: Recorder, track_id: str) -> list[int]:
    """Where in the recorded events `track_id` started."""
    return [i for i, e in enumerate(rec.events) if isinstance(e, TrackStarted) and e.track_id == track_id]


def stopped(e: Event) -> bool:
    return isinstance(e, StateChanged) and e.key == "playing" and e.value is False


def test_a_repeat_queued_while_the_track_plays_follows_it_without_a_stop(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    x = tone(tmp_path, "x", 440, 1.0)
    _, rec = playing(make_player, [x], then=lambda p: p.set_queue([dataclasses.replace(x, again=True)]))
    rec.wait(lambda e: len(starts(rec, "x")) == 2)
    first, second = starts(rec, "x")
    between = rec.events[first:second]
    assert not [e for e in between if stopped(e)], between  # the music never stopped
    ends = [e for e in between if isinstance(e, TrackEnded)]
    assert [(e.track_id, e.completed) for e in ends] == [("x", True)], between  # the first play ended
    rec.wait(lambda e: len([e for e in rec.events if isinstance(e, TrackEnded)]) == 2)
    rec.wait(stopped)  # then the queue is empty: nothing more


def test_a_copy_of_the_track_playing_that_is_no_repeat_is_left_out(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """A plan made from a status read just before the track started still cannot queue it again."""
    x, y = tone(tmp_path, "x", 440, 1.0), tone(tmp_path, "y", 550, 0.6)
    _, rec = playing(make_player, [x], then=lambda p: p.set_queue([x, y]))
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "y")
    assert started(rec) == ["x", "y"]


def test_a_next_on_a_track_on_repeat_moves_on(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    x, y = tone(tmp_path, "x", 440, 3.0), tone(tmp_path, "y", 550, 0.6)

    def repeat_then_next(player: Player) -> None:  # posted together: they run in the same turn
        player.set_queue([dataclasses.replace(x, again=True), y])
        player.next(fade_s=0.0)

    _, rec = playing(make_player, [x], then=repeat_then_next)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "y")
    assert started(rec) == ["x", "y"]
    assert [e.skipped for e in end_events(rec, "x")] == [True]
