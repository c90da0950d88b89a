"""The player does not take a starved process for a stalled audio output.

Why: a chunk out on a channel that has not moved on for about 3.4 s means the device stopped pulling
audio; the player then drops the output and reopens it, which the listener hears as a cut and a
resume.  But on a Pi under load or across a host suspend the whole process stands still for seconds,
SDL's audio thread with it: the chunk did not move on because nothing ran.  The first tick after the
pause took that for a dead device.  A tick that comes long after the one before now means the player
was starved: the stall counts from it.  A device that really stopped, the player ticking on time,
still trips within the bound.  Real mixer on SDL's dummy driver, its channel paused to stand for a
device that stopped pulling; the ticks' times are the test's: no sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest
from playerkit import tone

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.deck import Deck
from moodspeaker.player.fetch import Prefetcher
from moodspeaker.player.history import PlayHistory
from moodspeaker.player.mixer import DeckMixer
from moodspeaker.player.queue import PlayQueue

BOUND_S = 3.4  # six chunk lengths and a second of slack


@pytest.fixture
def frozen(tmp_path: Path) -> Iterator[tuple[DeckMixer, Deck]]:
    """A mixer whose first deck has a chunk out on a channel that does not move on."""
    mixer = DeckMixer(PlayQueue(), Prefetcher(), PlayHistory(lambda _e: None, None), PlayerConfig, 0.5)
    mixer.open("")
    # written after the mixer opened: SDL's pause takes no effect in the first millisecond of its clock
    mixer.resume = (tone(tmp_path, "a", 440, 30.0), 0.0)
    deck = mixer.decks[0]
    try:
        assert mixer.start_next(deck, 0.0)
        for _ in range(100):
            mixer.feed(deck)  # the chunk goes out ...
            mixer.channels[0].pause()  # ... and the output stops pulling audio
            mixer.follow(deck.chunk_started, True)
            if deck.playing is not None:
                break  # else a busy machine played the whole chunk before the pause: again
        assert deck.playing is not None, "no chunk stayed out on the paused channel"
        yield mixer, deck
    finally:
        mixer.shutdown()


def follows(mixer: DeckMixer, start: float, seconds: float, every: float = 0.5) -> float:
    """Follow the channels on time (every `every` s, playing) from `start` for `seconds`; the last
    tick's time."""
    now = start
    for _ in range(round(seconds / every)):
        now += every
        mixer.follow(now, True)
    return now


def test_a_chunk_frozen_while_the_process_was_starved_is_no_stall(frozen: tuple[DeckMixer, Deck]) -> None:
    mixer, deck = frozen
    now = follows(mixer, deck.chunk_started, 3.0)  # watched 3 s without moving on: under the bound
    now += 5.0  # then the process stood still for 5 s (swap, a suspend): the next tick is late
    mixer.follow(now, True)  # was: "audio output stalled (device gone?)"
    resumed = now
    # the output stays stopped for real now, the player ticking on time (slow ticks on a busy machine
    # count too): that trips at the bound
    follows(mixer, resumed, 3.0, every=0.75)
    mixer.follow(resumed + BOUND_S - 0.01, True)
    with pytest.raises(pygame.error, match="stalled"):  # counted from the late tick, not before it
        mixer.follow(resumed + BOUND_S + 0.01, True)
