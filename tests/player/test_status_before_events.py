"""The player's status shows a change before the player announces it.

A `StateChanged` ("playing", "audio") tells listeners that something changed; a listener that reacts
by reading the state (the MQTT bridge publishes the state topics from `state()`, which reads
`Player.status()`) must read the new value.  The player announced first and published its status
only at the end of the step, so a read in between (on the event's own thread, or the bridge's worker
reading at once) got the value from before the change and published it.

Real player on SDL's dummy driver; a subscriber reads `status()` inside each event's callback (on the
player thread, synchronously: the bus fans out in the publishing thread), so the moment is always the
one between the announcement and anything the player does after it.  The output is lost and regained
with test_next_while_lost's unplug/plug_back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playerkit import Recorder, audio_back, tone, tones
from test_next_while_lost import plug_back, unplug

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.engine import Player, PlayerStatus
from moodspeaker.service.events import Event, EventBus, StateChanged, TrackEnded, TrackStarted

pytestmark = pytest.mark.timeout(180)

Seen = list[tuple[Event, PlayerStatus]]


@pytest.fixture
def spied() -> Iterator[tuple[Player, Recorder, Seen]]:
    """A started player, its events' recorder, and each event with the status read in its callback
    (subscribed before the player starts, so its first opening of the output is in too)."""
    bus = EventBus()
    player = Player(PlayerConfig(crossfade_s=0.0), bus.publish, retry_s=0.3)
    seen: Seen = []

    def read_status(event: Event) -> None:
        seen.append((event, player.status()))

    bus.subscribe(read_status)  # before the recorder: an event the recorder has is in `seen` already
    rec = Recorder(bus)
    player.start()
    try:
        yield player, rec, seen
    finally:
        player.close()


def changes(seen: Seen) -> list[tuple[StateChanged, PlayerStatus]]:
    return [(e, status) for e, status in seen if isinstance(e, StateChanged)]


def tracked(seen: Seen) -> list[tuple[TrackStarted | TrackEnded, PlayerStatus]]:
    return [(e, status) for e, status in seen if isinstance(e, TrackStarted | TrackEnded)]


def said(seen: Seen, key: str) -> list[object]:
    return [event.value for event, _status in changes(seen) if event.key == key]


def playing(events: list[Event]) -> list[Event]:
    return [e for e in events if isinstance(e, StateChanged) and e.key == "playing"]


def disagreeing(seen: Seen) -> list[tuple[str, object, str, str]]:
    """The announcements the status read in their callback did not show yet: (key, value, state,
    audio) of each."""
    wrong: list[tuple[str, object, str, str]] = []
    for event, status in changes(seen):
        shown: object = status.state == "playing" if event.key == "playing" else status.audio
        if event.key in ("playing", "audio") and shown != event.value:
            wrong.append((event.key, event.value, status.state, status.audio))
    return wrong


def do(player: Player, command: Callable[[], None]) -> None:
    command()
    assert player.wait_idle(30)  # its announcements are made (on the player thread) before this returns


def test_play_pause_stop_and_running_out_are_shown_before_they_are_announced(
    tmp_path: Path, spied: tuple[Player, Recorder, Seen]
) -> None:
    player, rec, seen = spied
    assert player.wait_idle(30)
    player.set_queue([tone(tmp_path, "a", 440, 4.0)])
    for command in (player.play, player.pause, player.play, player.stop, player.play, player.stop):
        do(player, command)
    player.set_queue([tone(tmp_path, "b", 550, 0.4)])  # a short one, heard to the end: the queue runs out
    do(player, player.next)  # b now (from stopped: queued first, started by the Play)
    do(player, player.play)
    rec.wait_until(lambda events: len(playing(events)) == 8)  # b heard to its end
    assert said(seen, "playing") == [True, False, True, False, True, False, True, False]
    assert disagreeing(seen) == []


def test_a_lost_and_regained_output_is_shown_before_it_is_announced(
    tmp_path: Path, spied: tuple[Player, Recorder, Seen]
) -> None:
    """Lost while playing (the status: lost, stopped, waiting for the output), back (ok), and the
    play resuming by itself (playing): each shown in the status its announcement's callback reads."""
    player, rec, seen = spied
    player.set_queue(tones(tmp_path, 4.0))
    do(player, player.play)
    unplug(player, rec)
    [(_lost, status)] = [(e, s) for e, s in changes(seen) if e.key == "audio" and e.value == "lost"]
    assert status.waiting_for_audio and status.current is not None and status.current.track.id == "a"
    plug_back(player)
    audio_back(rec)
    rec.wait_until(lambda events: len(playing(events)) == 2)  # the resume
    assert player.wait_idle(30)
    assert said(seen, "audio")[-2:] == ["lost", "ok"]
    assert said(seen, "playing") == [True, True]
    assert disagreeing(seen) == []


def test_a_track_started_is_shown_before_it_is_announced(
    tmp_path: Path, spied: tuple[Player, Recorder, Seen]
) -> None:
    """A TrackStarted's callback reads the started track as current, an ended one's reads it no more:
    for tracks following each other gaplessly (the next one starts within the tick the last one
    ends in) and for a Next.  The status read on the MQTT bridge's refresh after a TrackStarted gave
    `now_playing` the track before, kept until the next event (the end of the new track)."""
    player, rec, seen = spied
    player.set_queue(tones(tmp_path, 0.6, 0.6, 4.0))
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "c")
    player.next()  # c skipped: the queue is empty, so nothing plays after it
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    assert player.wait_idle(30)
    shown = [(e.kind, e.track_id, s.current.track.id if s.current else None) for e, s in tracked(seen)]
    assert shown == [
        ("track_started", "a", "a"),
        ("track_ended", "a", "b"),
        ("track_started", "b", "b"),
        ("track_ended", "b", "c"),
        ("track_started", "c", "c"),
        ("track_ended", "c", None),
    ]
