"""A deck's bookkeeping and its fade envelope (pure: no pygame, no clock, no events).

Why a module of its own: what a deck holds (the play being decoded, the chunk playing, the chunk
queued behind it) and how its envelope ramps are the arithmetic every crossfade rests on; kept apart
from the mixer calls (`player.mixer`) it can be read, and reasoned about, on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from moodspeaker.player.decode import Decoder
from moodspeaker.player.queue import QueueItem

RATE = 44100
CHUNK_S = 0.4  # 0.4-0.8 s stays queued in the mixer: slack for a busy CPU
#: SDL's output buffer (frames) the mixer is opened with: SDL_mixer mixes a chunk up to that far ahead
#: of the position heard, which a change written into its samples cannot reach any more.
MIX_AHEAD = 1024


@dataclass
class Play:
    """One play of one item: what the events and feedback report."""

    item: QueueItem
    from_s: float = 0.0  # where it was opened: unheard, it goes back to the queue at this position
    played_s: float = 0.0
    started: bool = False
    decoding_done: bool = False
    completed: bool = False
    skipped: bool = False


@dataclass
class Chunk:
    """A decoded piece of a play handed to the mixer (playing, or queued behind the playing one)."""

    play: Play
    offset_s: float
    dur_s: float
    #: Decoded once its deck's fade-out had begun (`Deck.fade_out`): heard, that fade is heard.
    fading: bool = False
    #: The pygame Sound holding its samples (a fade from where the ear is reaches into them).
    sound: Any = field(default=None, repr=False, compare=False)
    #: Its samples before the listener's volume (float, frames x 2): the Sound's are rewritten from
    #: them when the volume changes, so a change reaches the chunks already in the mixer.
    pre: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: The volume's gain each of its frames is written at (float, frames): a volume change ramps
    #: from the one SDL plays on from (`ChunkFeeder.set_volume`), a fade keeps it.
    gains: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass
class Deck:
    """One of the two decks: the play it decodes and the chunks its mixer channel holds."""

    index: int
    decoder: Decoder | None = None
    play: Play | None = None  # the play being decoded
    gain: float = 1.0  # loudness gain (linear) of the decoding item
    decoded_s: float = 0.0
    env: float = 1.0  # fade envelope value at the next sample
    env_step: float = 0.0  # per frame
    env_stop_at_zero: bool = False
    #: Frames decoded at `env` before a fade-out's ramp begins (`fade_out`'s `after_s`).
    env_hold: int = 0
    playing: Chunk | None = None
    queued: Chunk | None = None
    chunk_started: float = 0.0
    #: Opened by a crossfade, its first chunk held back until the other deck's fade-out is heard
    #: (`heard_fading`): started at once, it rose under the outgoing chunks already in the mixer.
    held: bool = False
    #: Frames of silence its first chunk starts with (`player.feeder.MIX_SLACK`): a track rising
    #: against a fade-out written in the other deck's samples past SDL's buffer and that slack.
    lead: int = 0

    def begin(
        self,
        decoder: Decoder,
        item: QueueItem,
        start_s: float,
        gain: float,
        fade_in_s: float,
        *,
        play: Play | None = None,
    ) -> None:
        """Decode `item` from `start_s`, fading in over `fade_in_s` (0: at full level at once), as a new
        play or as the continuation of `play` (a play the lost audio device interrupted)."""
        self.decoder, self.decoded_s = decoder, start_s
        self.play = play if play is not None else Play(item, from_s=start_s)
        self.gain = gain
        self.env = 0.0 if fade_in_s > 0 else 1.0
        self.env_step = 1.0 / (fade_in_s * RATE) if fade_in_s > 0 else 0.0
        self.env_stop_at_zero = self.held = False
        self.env_hold = self.lead = 0

    def in_gap(self) -> bool:
        """It has opened its next play, not heard yet, while a chunk of the play before it is out."""
        return (
            self.play is not None
            and not self.play.started
            and self.playing is not None
            and self.playing.play is not self.play
        )

    def heard_fading(self) -> bool:
        """Its fade-out has reached the ear (the chunk playing is one decoded fading), or nothing of
        it is left to hear.  The chunks queued ahead of the ear (0.4-0.8 s: `CHUNK_S`) were decoded
        before the fade began and play at their level first."""
        return self.playing is None or self.playing.fading

    def skipped(self, seconds: float) -> None:
        """Its decoder skipped `seconds` of the file past a damaged stretch (player.carryon): the
        position decoded moves on as much, as the audio does (the crossfade, the resume point)."""
        self.decoded_s += seconds

    def envelope(self, frames: int) -> np.ndarray:
        """The fade envelope for the next `frames` samples (advancing the deck's envelope): held at
        its level for the `env_hold` frames left, then ramping."""
        hold = min(self.env_hold, frames)
        ramp = frames - hold
        env = np.full(frames, self.env, dtype=np.float32)
        env[hold:] += self.env_step * np.arange(ramp, dtype=np.float32)
        np.clip(env, 0.0, 1.0, out=env)
        self.env_hold -= hold
        self.env = float(np.clip(self.env + self.env_step * ramp, 0.0, 1.0))
        return env

    def fade_out(self, seconds: float, after_s: float = 0.0) -> None:
        """Ramp down to silence over `seconds`, from `after_s` seconds of decoding on (at the level
        reached until then); decoding stops once the envelope reaches zero."""
        self.env_step = -max(self.env, 1e-3) / max(1.0, seconds * RATE)
        self.env_hold = max(0, round(after_s * RATE))
        self.env_stop_at_zero = True

    def plays(self) -> list[Play]:
        """Every play on the deck (the chunk playing, the chunk queued, the one decoding), once each."""
        plays: list[Play] = []
        for chunk in (self.playing, self.queued):
            if chunk is not None and chunk.play not in plays:
                plays.append(chunk.play)
        if self.play is not None and self.play not in plays:
            plays.append(self.play)
        return plays

    def reset(self) -> None:
        """Empty the deck (closing its decoder) at full level."""
        if self.decoder is not None:
            self.decoder.close()
        self.decoder, self.play, self.playing, self.queued = None, None, None, None
        self.env, self.env_step, self.env_stop_at_zero, self.held = 1.0, 0.0, False, False
        self.env_hold = self.lead = 0
