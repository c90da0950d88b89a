"""A Next names the track it was pressed on (`Player.next`'s `on`): once that track has ended on its
own, the Next skips nothing.

The service reads the status, records the skip of the track shown, then posts the Next; the track
could end on its own in between.  Applied all the same, the Next skipped the track after it, which
the listener never chose to skip (tests/service/test_next_after_its_end for the service's side).
Real player on SDL's dummy driver; each Next is posted on the player thread as b's start is
announced, so it runs in the player's next turn while b is the track shown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playerkit import Recorder, ends, started, tones

from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded, TrackStarted

pytestmark = pytest.mark.timeout(180)


def next_as_b_starts(
    make_player: Callable[..., tuple[Player, Recorder]], tmp_path: Path, on: str
) -> tuple[Player, Recorder]:
    """Play a, b, c; as b starts, a Next pressed on `on` is posted; returned once c has ended."""
    player, rec = make_player()
    rec.on(
        lambda e: isinstance(e, TrackStarted) and e.track_id == "b",
        lambda: player.next(fade_s=0.0, on=on),
    )
    player.set_queue(tones(tmp_path, 0.6, 1.2, 0.6))
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    return player, rec


def test_a_next_on_a_track_that_has_ended_skips_nothing(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    _, rec = next_as_b_starts(make_player, tmp_path, "a")
    assert ends(rec, "a") == [(False, True)]  # a ended on its own, completed
    assert ends(rec, "b") == [(False, True)]  # b not skipped: the Next was for a
    assert started(rec) == ["a", "b", "c"]


def test_a_next_on_the_track_shown_skips_it(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    _, rec = next_as_b_starts(make_player, tmp_path, "b")
    assert ends(rec, "b") == [(True, False)]
    assert started(rec) == ["a", "b", "c"]
