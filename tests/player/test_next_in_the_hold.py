"""A Next while a crossfade's next track waits for the outgoing fade to be heard skips the track heard.

A crossfade opens the next track at once but holds it back until the outgoing track's fade, decoded
from then on, reaches the ear (`Deck.held`, test_crossfade_timing): until then the outgoing track is
the one heard and shown as current.  A Next then skips that track, and the held one plays (fading
in), as it would have a moment later; it is not skipped unheard.  The chunks are made 1 s long so the
hold (the chunks already in the mixer) lasts a second or two whatever the machine's speed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playerkit import Recorder, ends, started, tones

from moodspeaker.player import feeder
from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded, TrackStarted


def test_next_in_the_hold_skips_the_track_heard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    monkeypatch.setattr(feeder, "CHUNK_S", 1.0)
    a, b, c = tones(tmp_path, 4.0, 3.0, 3.0)
    player, rec = make_player(crossfade_s=2.0)
    player.set_queue([a, b, c])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "a")
    deadline = time.monotonic() + 30.0
    while not player._mixer.decks[player._mixer.active].held:
        assert time.monotonic() < deadline, "the crossfade never held its next track"
        time.sleep(0.005)
    current = player.status().current
    assert current is not None and current.track.id == "a", "the track heard is shown as current"
    player.next()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert ends(rec, "a") == [(True, False)], "the track heard is the one skipped"
    assert started(rec)[:2] == ["a", "b"]
    assert ends(rec, "b") == [(False, True)], "the held track plays, not skipped unheard"
