"""A Next or a switch while a crossfade holds its next track keeps the level summed near a track's.

A crossfade holds the next track back until the outgoing track's fade, decoded from then on, is
heard (`Deck.held`, test_crossfade_timing).  A Next in that hold stopped the track heard with the
short stop ramp and started the next one from silence, fading in over the whole crossfade: the level
fell to a tenth of a track's and took the crossfade to come back.  Now the track heard fades from
its level as the next one rises, as a Next outside the hold does.  The chunks are made 1 s long so
the hold lasts a second or two whatever the machine's speed: at its start both chunks in the mixer
are at full level; later the one queued was decoded with the crossfade's fade.  The bytes are what
SDL's disk driver wrote; two tones at one level."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import speaker, to_disk, tone_levels
from playerkit import Recorder, item, write_tone

from moodspeaker.player import feeder
from moodspeaker.player.deck import Deck
from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded, TrackStarted

LEVEL = 0.3  # both tones' amplitude


def _at_once(_outgoing: Deck) -> bool:
    return True


def _fading_queued(outgoing: Deck) -> bool:
    return outgoing.queued is not None and outgoing.queued.fading


@pytest.mark.parametrize("when", [_at_once, _fading_queued], ids=["hold-start", "fading-chunk-queued"])
@pytest.mark.parametrize("command", ["next", "switch"])
def test_a_change_in_the_hold_keeps_the_level(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_player: Callable[..., tuple[Player, Recorder]],
    when: Callable[[Deck], bool],
    command: str,
) -> None:
    out = to_disk(tmp_path, monkeypatch)
    monkeypatch.setattr(feeder, "CHUNK_S", 1.0)
    a = write_tone(tmp_path / "a.wav", 440, 4.0, amp=LEVEL)
    b = write_tone(tmp_path / "b.wav", 880, 4.0, amp=LEVEL)
    c = write_tone(tmp_path / "c.wav", 660, 6.0, amp=LEVEL)  # its own crossfade comes after a is over
    player, rec = make_player(crossfade_s=2.0, volume=1.0, target_lufs=-16.0)
    player.set_queue([item(a, "a"), item(b, "b")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "a")
    mixer = player._mixer
    deadline = time.monotonic() + 30.0
    while not (mixer.decks[mixer.active].held and when(mixer.decks[1 - mixer.active])):
        assert time.monotonic() < deadline, "the crossfade never held its next track"
        time.sleep(0.002)
    if command == "next":
        player.next()
    else:  # a mood switch: a track not queued starts, the held one goes back to the queue
        player.switch_to(item(c, "c"), fade_s=2.0)
    incoming = "b" if command == "next" else "c"
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == incoming)
    player.close()
    la, lb, lc = tone_levels(speaker(out), (440, 880, 660))
    lin = lb if command == "next" else lc
    first, last = np.flatnonzero(la > 0.05)[0] + 1, np.flatnonzero(lin > 0.05)[-1] - 1  # whole windows
    total = (la + lb + lc)[first:last]
    worst = int(np.argmin(total))
    assert total[worst] >= 0.7 * LEVEL, (
        f"around the {command} the two tracks summed to {total[worst] / LEVEL:.2f} of a track's level "
        f"(a: {la[first + worst] / LEVEL:.2f}, {incoming}: {lin[first + worst] / LEVEL:.2f})"
    )
    assert total.max() < 1.12 * LEVEL, (
        f"the two tracks summed to {total.max() / LEVEL:.2f} of a track's level"
    )


def test_a_short_next_in_the_hold_rises_as_fast_as_the_track_falls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """A Next with a 0.1 s fade in the hold: the next track rose over at least 0.2 s (`START_FADE_S`)
    while the track heard fell over 0.1 s, and the level summed fell to half a track's.  Two tones
    measured each over 10 ms (whole cycles of both): the time each spends between a tenth and nine
    tenths of its level, the fall's and the rise's, which where SDL is off the wall clock moves
    against each other but does not stretch."""
    out = to_disk(tmp_path, monkeypatch)
    monkeypatch.setattr(feeder, "CHUNK_S", 1.0)
    a = write_tone(tmp_path / "a.wav", 500, 6.0, amp=LEVEL)
    b = write_tone(tmp_path / "b.wav", 1000, 3.0, amp=LEVEL)
    player, rec = make_player(crossfade_s=2.0, volume=1.0, target_lufs=-16.0)
    player.set_queue([item(a, "a"), item(b, "b")])
    player.play()
    mixer = player._mixer
    deadline = time.monotonic() + 30.0
    while not mixer.decks[mixer.active].held:
        assert time.monotonic() < deadline, "the crossfade never held its next track"
        time.sleep(0.002)
    player.next(fade_s=0.1)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    player.close()
    la, lb = tone_levels(speaker(out), (500, 1000), win=441) / LEVEL
    start = np.flatnonzero(la > 0.9)[0]  # (a's start, and b's end, are not this change)
    fall = int(np.sum((la[start:] > 0.1) & (la[start:] < 0.9)))
    rise = int(np.sum(lb[: np.flatnonzero(lb > 0.9)[0]] > 0.1))
    assert abs(rise - fall) <= 3, (
        f"the track heard fell over {fall} windows of 10 ms, the next rose over {rise}"
    )
