"""The chunk-level half of the decks: each deck's channel kept one chunk ahead, and what it plays followed.

Why a module of its own: `player.mixer` decides which item a deck opens and when a track changes;
this is what runs under those decisions at every tick, the same whatever the track: a chunk decoded,
normalised, enveloped (`Deck.envelope`) and queued on the deck's channel one ahead, a queued chunk
seen to start and a finished one accounted to its play (`PlayHistory`), a stalled or unplugged output
noticed, and the player's volume put into the samples (as the gain `player.volume` maps it to).
`DeckMixer` builds on it; everything here runs on the player thread.
"""

from __future__ import annotations

import time

import numpy as np
import pygame
import pygame.sndarray

from moodspeaker.player.deck import CHUNK_S, MIX_AHEAD, RATE, Chunk, Deck
from moodspeaker.player.declick import DECLICK_S, Channels
from moodspeaker.player.decode import DecodeError
from moodspeaker.player.device import DeviceWatch
from moodspeaker.player.history import PlayHistory
from moodspeaker.player.loudness import apply_gain, to_int16
from moodspeaker.player.queue import QueueItem
from moodspeaker.player.stall import StallWatch
from moodspeaker.player.volume import output_gain

#: Frames past SDL's output buffer (`MIX_AHEAD`) a change written into the samples starts at (46 ms),
#: and the silence a track rising against such a fade-out starts with (`Deck.lead`), so the two stay
#: lined up.  What SDL has mixed is worked out from the wall clock (`_unmixed`: the time a queued
#: chunk is seen to start), which SDL runs up to a thousand frames and more ahead of (a late tick on
#: a busy machine, SDL's disk driver): a 0.1 s fade written from there began on a step of up to 14 %
#: of the level, 5 % with a slack of one buffer.
MIX_SLACK = 2 * MIX_AHEAD
#: How many frames (~12 ms) a volume change ramps over from the gain heard to the new one.
VOLUME_RAMP = 512


class ChunkFeeder:
    """Two decks on two reserved mixer channels (`channels`), fed a chunk ahead at the output `volume`;
    what opens the next item on a deck is the subclass's (`start_next`)."""

    def __init__(self, history: PlayHistory, volume: float) -> None:
        self._history = history
        self.decks: list[Deck] = [Deck(0), Deck(1)]
        self.channels = Channels()  # one per deck, and spares `_stop(soft=True)` swaps a ramping one with
        self.active = 0
        self.volume = volume  # the listener's (0..1): what the status reports
        self.stall = StallWatch()  # a stalled output, not mistaken for a starved process
        self.device = DeviceWatch()  # an unplugged one: SDL keeps the chunks moving on, into nothing

    def start_next(self, deck: Deck, fade_in_s: float, item: QueueItem | None = None) -> bool:
        """Open the next item (or `item`) on `deck`, fading in over `fade_in_s`; True if started."""
        raise NotImplementedError

    @property
    def channel_volume(self) -> float:
        """The volume the deck channels play at: full.  The listener's volume is in the samples
        (`gain`); a channel's own volume only moves in a pause's ramp (`declick.VolumeRamp`), which
        every channel volume set starts from."""
        return 1.0

    @property
    def gain(self) -> float:
        """The amplitude the samples are scaled by: the listener's volume on the perceptual curve."""
        return output_gain(self.volume)

    def set_volume(self, volume: float, now: float) -> None:
        """Play at the listener's `volume` from monotonic time `now` on (the time playback has reached:
        frozen while paused).  The gain is in the samples: SDL_mixer's channel volume has 128 integer
        steps (`player.volume`).  The chunks already in the mixer (0.4-0.8 s) are rewritten from their
        samples before the volume (`Chunk.pre`), in the memory SDL_mixer plays from, past what SDL may
        have mixed already (`_unmixed`, ~46 ms): from the gain there to the new one over
        `VOLUME_RAMP` frames, then at the new one.  Put on one sample, a mute or a big move clicked
        and a slider drag stepped at every change.  A chunk of a channel ramping down to a stop
        (`declick`, 0.2 s) keeps the level it had."""
        self.volume = volume
        for deck in self.decks:
            out = [(chunk, left) for chunk, left in self._unmixed(deck, now) if left > 0]
            if not out:
                continue
            first, left0 = out[0]
            assert first.gains is not None
            start = float(first.gains[len(first.gains) - left0])  # the gain SDL plays on from
            length = max(1, min(VOLUME_RAMP, sum(left for _, left in out)))  # done within the chunks
            pos = 0
            for chunk, left in out:
                assert chunk.gains is not None
                k = pos + 1 + np.arange(left, dtype=np.float32)
                chunk.gains[-left:] = start + (self.gain - start) * np.minimum(1.0, k / length)
                self._write(chunk, left)
                pos += left

    def _write(self, chunk: Chunk, left: int, ramp: np.ndarray | None = None) -> None:
        """Rewrite the last `left` frames of `chunk`'s Sound from its samples before the volume,
        scaled by `ramp` (frames, kept in them: a fade) and the volume's gain at each frame."""
        pre, gains = chunk.pre, chunk.gains
        assert pre is not None and gains is not None and chunk.sound is not None
        start = len(pre) - left
        if ramp is not None:
            pre[start:] *= ramp
        samples = pygame.sndarray.samples(chunk.sound)
        samples[start:] = to_int16(pre[start:] * gains[start:, None])

    def follow(self, now: float, playing: bool) -> None:
        """Follow both channels: chunks that started, chunks that finished, a stalled or unplugged output."""
        self.stall.tick(now)
        if self.device.gone():
            raise pygame.error("audio device disconnected")
        for deck in self.decks:
            self._advance(deck, now, playing)

    def _advance(self, deck: Deck, now: float, playing: bool) -> None:
        """Follow the channel: a queued chunk that started, a chunk that finished, a stall."""
        ch = self.channels[deck.index]
        busy = bool(ch.get_busy())
        if deck.queued is not None and ch.get_queue() is None:
            self._chunk_done(deck, deck.playing)
            deck.playing, deck.queued = deck.queued, None
            deck.chunk_started = now
            if deck.playing is not None:
                self._history.began(deck.playing.play)
        if deck.playing is not None and not busy and deck.queued is None:
            self._chunk_done(deck, deck.playing)
            deck.playing = None
        if deck.playing is not None and playing and self.stall.stalled(deck.chunk_started, now):
            raise pygame.error("audio output stalled (device gone?)")

    def _chunk_done(self, deck: Deck, chunk: Chunk | None) -> None:
        if chunk is None:
            return
        play = chunk.play
        play.played_s += chunk.dur_s
        still_on_deck = (deck.queued is not None and deck.queued.play is play) or deck.play is play
        if play.decoding_done and not still_on_deck:
            self._history.ended(play)

    def feed(self, deck: Deck) -> None:
        """Keep one chunk queued behind the playing one (none while the deck is `held`)."""
        if deck.play is None or deck.decoder is None or deck.queued is not None or deck.held:
            return
        frames = int(RATE * CHUNK_S)
        if deck.env_hold > 0:  # up to where a crossfade's fade-out begins: the chunk after it is all fade
            frames = min(frames, deck.env_hold)
        try:
            block = deck.decoder.read(frames)
        except DecodeError as exc:
            self._decode_failed(deck, str(exc))
            return
        play = deck.play
        if len(block) == 0 and deck.decoded_s <= 0.0 and self._nothing_decoded(deck):
            track = play.item.track  # opened at its start, it ends before any audio: it has none
            self._decode_failed(deck, f"{track.title} ({track.location}): no audio in it")
            return
        if len(block) == 0:
            self._finish_decoding(deck, completed=True)
            if deck.index == self.active:
                self.start_next(deck, self._rise_s(deck))  # gapless continuation on the same deck
            return
        fading = deck.env_stop_at_zero and deck.env_hold < len(block)  # (some of it ramps)
        env = deck.envelope(len(block))
        samples = apply_gain(block, deck.gain) * env[:, None]
        if deck.playing is None and deck.lead > 0:  # its channel starts: silent up to the fade-out
            samples = np.concatenate((np.zeros((deck.lead, samples.shape[1]), np.float32), samples))
            deck.lead = 0
        sound = pygame.mixer.Sound(
            buffer=np.ascontiguousarray(to_int16(samples * np.float32(self.gain))).tobytes()
        )
        dur = len(block) / RATE
        gains = np.full(len(samples), self.gain, np.float32)
        chunk = Chunk(play, deck.decoded_s, dur, fading=fading, sound=sound, pre=samples, gains=gains)
        deck.decoded_s += chunk.dur_s
        ch = self.channels[deck.index]
        if deck.playing is None:
            ch.play(sound)
            ch.set_volume(self.channel_volume)
            deck.playing, deck.chunk_started = chunk, time.monotonic()
            self._history.began(chunk.play)
        else:
            ch.queue(sound)
            deck.queued = chunk
        if deck.env_stop_at_zero and deck.env <= 0.0:
            self._finish_decoding(deck, completed=play.completed)

    def fade_out_heard(self, deck: Deck, seconds: float, now: float) -> None:
        """Fade `deck` out over `seconds` from what is heard at monotonic time `now`.  `Deck.fade_out`
        alone fades what is decoded next, heard only after the chunks already in the mixer (0.4-0.8 s,
        at their level) while the next track rose at once: a loudness bump.  Those chunks are faded in
        their samples (SDL_mixer plays from that memory) from where the ear is on, and the decoding
        takes the fade on from where they end."""
        step = 1.0 / max(1.0, seconds * RATE)
        fade = 1.0  # the fade-out's gain at the next sample not faded yet
        for chunk, left in self._unmixed(deck, now):
            self._write(chunk, left, np.clip(fade - step * np.arange(left), 0.0, 1.0)[:, None])
            fade, chunk.fading = max(0.0, fade - step * left), True
        if deck.play is not None:  # else nothing is left to decode: the chunks in the mixer end
            deck.env *= fade
            deck.fade_out(fade * seconds)

    def fade_out_held(self, deck: Deck, seconds: float, now: float) -> float:
        """Bring a crossfade's fade-out of `deck` forward to what is heard at monotonic time `now`:
        a change while the next track is held (`Deck.held`).  Its fade-out so far is only decoded
        (the chunks marked fading, the decoder's envelope), behind chunks at full level; stopped
        with a short ramp, the level heard fell to silence while the next track rose from it over the
        whole fade.  The rest of the track now falls from the level heard (1) to silence over
        `seconds`, or its rest when shorter: the full-level chunks ramp down in their samples, the
        ones decoded fading are scaled from the crossfade's envelope to the new one, the decoding
        takes it on.  Returns the fade's length (seconds), the one the track after rises over."""
        out = self._unmixed(deck, now)
        at_decoder = sum(left for _, left in out)  # frames from the ear to what the decoder reads next
        step = deck.env_step
        undecoded = deck.env_hold + deck.env / -step if deck.play is not None and step < 0 else 0.0
        length = max(1.0, min(seconds * RATE, at_decoder + undecoded))
        pos = 0  # frames from the ear to the first sample of the chunk
        for chunk, left in out:
            k = pos + np.arange(left, dtype=np.float64)
            ramp = np.clip(1.0 - k / length, 0.0, 1.0)
            if chunk.fading:  # decoded with the crossfade's envelope: divide it out (never above 1)
                old = np.clip(deck.env + step * (k - at_decoder), 0.0, 1.0)
                ramp = np.where(old > 1e-6, np.minimum(1.0, ramp / np.maximum(old, 1e-6)), 0.0)
            self._write(chunk, left, ramp[:, None])
            chunk.fading, pos = True, pos + left
        if deck.play is not None:
            deck.env = max(0.0, 1.0 - at_decoder / length)
            deck.fade_out(max(0.0, length - at_decoder) / RATE)
        return length / RATE

    def _unmixed(self, deck: Deck, now: float) -> list[tuple[Chunk, int]]:
        """The chunks of `deck` in the mixer, each with how many of its last frames SDL_mixer has not
        mixed yet at monotonic time `now` (none when the device went): those past the position heard
        and SDL's output buffer (`MIX_AHEAD`), which it mixes ahead of the ear, and `MIX_SLACK`.  A
        fade written from the position heard on began with what SDL had mixed at full level: a Next
        with a 0.1 s fade started on a step of 10-20 %.  The next track, started now, is mixed from
        SDL's next buffer after `MIX_SLACK` of silence (`Deck.lead`): its rise begins with the
        fade-out, or as far off it as SDL is off the wall clock."""
        elapsed = int(max(0.0, now - deck.chunk_started) * RATE)
        skip = 0 if deck.playing is None else elapsed + MIX_AHEAD + MIX_SLACK
        out: list[tuple[Chunk, int]] = []
        for chunk in (deck.playing, deck.queued) if pygame.mixer.get_init() else ():
            if chunk is not None and chunk.sound is not None and chunk.pre is not None:
                out.append((chunk, max(0, len(chunk.pre) - skip)))
                skip = max(0, skip - len(chunk.pre))
        return out

    def _finish_decoding(self, deck: Deck, *, completed: bool) -> None:
        if deck.decoder is not None:
            deck.decoder.close()
        if deck.play is not None:
            deck.play.decoding_done = True
            deck.play.completed = completed
            play, deck.play, deck.decoder = deck.play, None, None
            if deck.playing is None and deck.queued is None:
                self._history.ended(play)
        deck.env_stop_at_zero = False

    def _nothing_decoded(self, deck: Deck) -> bool:
        """No audio of the deck's play was decoded since it was opened (none heard, none handed to
        the mixer): a read failing now is the file's failure to open (ffmpeg started on what
        libsndfile could not open fails at its first read), not damage met mid-track."""
        play = deck.play
        return (
            play is not None
            and not play.started
            and all(chunk is None or chunk.play is not play for chunk in (deck.playing, deck.queued))
        )

    def _decode_failed(self, deck: Deck, error: str) -> None:
        """The deck's play fails; one that failed before any of its audio was decoded counts as a
        track that could not be opened (`missing`: the service holds it back until its file changes),
        else it was played up to the damage (player.carryon gave up past it)."""
        play = deck.play
        assert play is not None
        self._history.failed(play.item, error, missing=self._nothing_decoded(deck))
        self._finish_decoding(deck, completed=False)
        if deck.index == self.active:
            self.start_next(deck, self._rise_s(deck))

    def _rise_s(self, deck: Deck) -> float:
        """How long the track opened on `deck` in place of one that ended or failed rises over: while
        the other deck still fades out (a crossfade, a Next), as long as that fade has left, and
        `DECLICK_S` at least; else 0 (the gapless change).  Opened at its level, a track that took over
        from one failing in its crossfade's rise came in on the fading one: a swell of ~5 dB."""
        other = self.decks[1 - deck.index]
        out = self._unmixed(other, time.monotonic())
        fading = [left for chunk, left in out if chunk.fading]
        step = other.env_step
        if not fading and not (other.play is not None and step < 0):
            return 0.0
        undecoded = other.env_hold + other.env / -step if other.play is not None and step < 0 else 0.0
        return max(DECLICK_S, (sum(left for _, left in out) + undecoded) / RATE)
