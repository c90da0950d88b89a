"""A Next in the short gap of a gapless change skips the track heard, not the one opened after it.

With no crossfade the next track b is opened on the same deck as soon as a is decoded to its end,
while a's last chunk (0.4-0.8 s) still plays: the status shows a as current and b at the head of
the queue.  A Next then is the listener skipping a.  Before the fix a faded Next faded the whole
deck out: b's first moments were heard faintly and b was announced as skipped (recorded as a skip of
b, a track the listener never chose to skip), then c played; a was announced completed and skipped.
Now a is cut and announced as skipped (not completed: the listener moved on before its end), and b
plays from its start as the next track.  The same rule for the other deck: a track a crossfade or an
earlier switch is fading out ends as was decided then (completed, cut), not as skipped by a Next on
the track heard over it; and a track shown as current before its first chunk is out is the one a
Next skips.

Real player on SDL's dummy driver.  The gap is caught by a probe posted to the player thread every
loop turn (armed before Play: `press_when`): seeing a heard and b opened, it presses Next, which the
player runs in its next turn, before any chunk moves on.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from playerkit import SR, Recorder, ends, item, playing, started, tone, tones

from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import TrackEnded, TrackStarted
from polling import until

pytestmark = pytest.mark.timeout(180)


def in_the_gap(player: Player, heard: str) -> bool:
    """`heard` is the track the status shows while the next one is opened on the deck already."""
    current = player._mixer.now_playing(player._now())
    return (
        current is not None and current[0].track.id == heard and player._opened_next(current[0]) is not None
    )


def crossfading(player: Player, out: str, heard: str) -> bool:
    """`out` is fading out on one deck while `heard` is heard on the other (the status shows it)."""
    mixer = player._mixer
    fading, active = mixer.decks[1 - mixer.active].playing, mixer.decks[mixer.active].playing
    return (
        fading is not None
        and fading.play.item.track.id == out
        and active is not None
        and active.play.item.track.id == heard
    )


def press_when(
    player: Player,
    rec: Recorder,
    ready: Callable[[], bool],
    before_end_of: str,
    press: Callable[[], None],
    *,
    start: Callable[[], None],
) -> None:
    """Run `press` (a command posting to the player) on the player thread once `ready()` holds there,
    which must happen before `before_end_of` ends.  The probe runs after each of the player's ticks
    (what it posts runs first thing in the next turn, before any chunk moves on); posted from this
    thread, as before, a loaded machine could keep the probes away from the player for the whole gap
    (0.4-0.8 s) and miss the moment.  The probe is armed before `start` (Play) runs: armed after it,
    a loaded machine could keep this thread away while the player ran past the moment (a track opened
    in place of a failed one is unheard for one tick only), and no probe saw it."""
    hit = threading.Event()
    tick = player._tick

    def tick_then_probe() -> None:
        tick()
        if not hit.is_set() and ready():
            hit.set()
            press()

    setattr(player, "_tick", tick_then_probe)  # noqa: B010 (mypy: a method cannot be assigned to)
    try:
        start()
        until(
            lambda: hit.is_set() or ends(rec, before_end_of), 60, f"the moment or the end of {before_end_of}"
        )
    finally:
        delattr(player, "_tick")  # the class's own again
    assert hit.is_set(), f"{before_end_of} ended before the moment was caught"


def press_in_the_gap(player: Player, rec: Recorder, heard: str, press: Callable[[], None]) -> None:
    """Press Play, then run `press` on the player thread in the gap after `heard`."""
    press_when(player, rec, lambda: in_the_gap(player, heard), heard, press, start=player.play)


def queued(
    make_player: Callable[..., tuple[Player, Recorder]], queue: list[QueueItem], **settings: Any
) -> tuple[Player, Recorder]:
    """A new player (the conftest's `make_player`, with `settings`) given `queue`, not playing yet:
    Play is `press_when`'s `start`, once its probe is armed."""
    player, rec = make_player(**settings)
    player.set_queue(queue)
    return player, rec


@pytest.mark.parametrize("fade_s", [0.0, 0.5])
def test_next_in_the_gap_skips_the_track_heard(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]], fade_s: float
) -> None:
    player, rec = queued(make_player, tones(tmp_path, 1.5, 1.2, 0.6))
    press_in_the_gap(player, rec, "a", lambda: player.next(fade_s=fade_s))
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    assert ends(rec, "a") == [(True, False)]  # skipped by the listener's Next
    assert ends(rec, "b") == [(False, True)]  # not skipped: played whole as the next track
    assert started(rec) == ["a", "b", "c"]


def test_a_switch_in_the_gap_keeps_the_track_opened_next(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """A switch to a track that fits a new mood, in the gap: x plays, and b (opened, never heard)
    is still next after it, not faded out and lost."""
    x = tone(tmp_path, "x", 330, 0.6)
    player, rec = queued(make_player, tones(tmp_path, 1.5, 1.2, 0.6))
    press_in_the_gap(player, rec, "a", lambda: player.switch_to(x, fade_s=0.5))
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    assert started(rec) == ["a", "x", "b", "c"]
    assert ends(rec, "b") == [(False, True)]


def test_next_during_a_crossfade_leaves_the_track_fading_out_completed(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """A crossfade has begun (a fading out, completed; b heard, the track shown): a Next skips b, and
    a still ends completed.  Before the fix the Next cut a as skipped: a skip of a the listener never
    gave (recorded as such by the service: its mark was on b)."""
    # b is 3.0 s long: its own crossfade comes 2 s later
    player, rec = queued(make_player, tones(tmp_path, 2.5, 3.0, 0.6), crossfade_s=1.0)
    press_when(
        player,
        rec,
        lambda: crossfading(player, "a", "b"),
        "a",
        lambda: player.next(fade_s=0.5),
        start=player.play,
    )
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")  # faded out...
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")  # ...under c
    assert ends(rec, "a") == [(False, True)]
    assert ends(rec, "b") == [(True, False)]
    assert started(rec) == ["a", "b", "c"]


def test_next_while_a_switch_fades_a_track_out_skips_only_the_track_heard(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """A switch to x (a new mood) fades a out over a long fade, x is heard at once; a Next then skips
    x, and a ends as the switch decided: cut, not skipped."""
    x = tone(tmp_path, "x", 330, 3.0)
    player, rec = playing(make_player, tones(tmp_path, 4.0, 0.6))
    player.switch_to(x, fade_s=30.0)
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "x")
    player.next(fade_s=0.0)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    assert ends(rec, "a") == [(False, False)]
    assert ends(rec, "x") == [(True, False)]
    assert started(rec) == ["a", "x", "b"]


@pytest.mark.parametrize("fade_s", [0.0, 0.5])
def test_next_in_the_gap_before_a_repeat_moves_on(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]], fade_s: float
) -> None:
    """x is on repeat (the only track allowed, `QueueItem.again`): its repeat is what the deck opened
    in the gap.  A Next on x moves on from it, as a Next on a track on repeat does at any other
    moment: the repeat goes, y plays; x is not heard again."""
    x, y = tone(tmp_path, "x", 440, 1.5), tone(tmp_path, "y", 550, 0.6)
    player, rec = queued(make_player, [x])
    rec.on(
        lambda e: isinstance(e, TrackStarted) and e.track_id == "x",
        lambda: player.set_queue([dataclasses.replace(x, again=True), y]),  # (posted in x's start)
    )
    press_in_the_gap(player, rec, "x", lambda: player.next(fade_s=fade_s))
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "y")
    assert started(rec) == ["x", "y"]
    assert ends(rec, "x") == [(True, False)]


def test_next_on_a_track_shown_before_its_first_chunk_is_out_skips_it(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """The first track cannot be decoded (NaN samples from the start), so the deck opens z in its
    place; for a tick z is shown as current (`now_playing`) with no chunk of it out yet.  A Next then
    skips z, the track the listener saw (the service records that skip): w plays, z does not.  Before
    the fix z, never heard, went back to the head of the queue and played at once.  That tick can
    come right after Play: the probe is armed before Play is pressed (armed after, as it once was, a
    loaded machine kept the test thread away past it, z already heard)."""
    nan = np.full((SR, 2), np.nan, np.float32)
    bad = tmp_path / "bad.wav"
    sf.write(str(bad), nan, SR, subtype="FLOAT")
    z, w = tone(tmp_path, "z", 550, 0.6), tone(tmp_path, "w", 660, 0.6)
    player, rec = make_player()
    player.set_queue([item(bad, "bad"), z, w])

    def z_shown_unheard() -> bool:
        deck = player._mixer.decks[player._mixer.active]
        shown = player._mixer.now_playing(player._now())
        return deck.playing is None and shown is not None and shown[0] is z

    press_when(player, rec, z_shown_unheard, "z", lambda: player.next(fade_s=0.5), start=player.play)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "w")
    assert started(rec) == ["w"]
    assert [f["track_id"] for f in player.status().failures] == ["bad"]
