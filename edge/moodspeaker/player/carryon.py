"""A decoder that fades out where its source breaks, and carries on past a damaged stretch.

Why a module of its own: the decoders (player.decode) read one source each; what to do when a read
fails half-way (ramp down instead of a click, reopen the file past the damage, give up) is about
the play, whatever decoder reads it.

A file damaged in the middle (garbage bytes over a stretch of an MP3: libmpg123 gives up resyncing
and libsndfile's read fails) ended the track there and the player skipped to the next one, where
ffmpeg, mpg123 and MPD play on.  Now the file is reopened `SKIP_S` past the position reached (by
`reopen`: ffmpeg when installed, which resyncs on its own, else libsndfile seeking there) and the
audio goes on after a short gap, ramped down before it and up after it; the seconds skipped are
told (`on_skip`) to the mixer, whose position counts the audio read (else it stayed behind the audio
by the skip: the crossfade came too late or never, and the resume point and the page lagged).  A
file that keeps failing (`CARRY_ON_TRIES` reopenings in all, or damage up to its end) ends as before,
with the error of the read that failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from moodspeaker.player.stream import DamagedDataError, DecodeError, Decoder

log = logging.getLogger(__name__)

#: the ramp down over the last audio before a decoding failure (a step to silence is a click), and
#: the ramp up over the first audio after the damage a play carried on past
FADE_ON_FAILURE_S = 0.02
#: how far past the position reached a damaged file is reopened (doubled at each further try there)
SKIP_S = 1.0
#: reopenings of one play's file before a damaged file is given up
CARRY_ON_TRIES = 3

#: a decoder of the same file from a position in seconds (raises DecodeError when it cannot open)
Reopen = Callable[[float], Decoder]


class FadeOnFailure:
    """A decoder that reads one block ahead, so that when the source breaks (a USB disk pulled out, a
    file cut short) the last block heard ramps down to silence instead of stopping on a step, which
    the speaker turns into a loud click; the failure is raised at the read after that block.  A read
    of fewer frames than the block ahead holds gives its head (exactly as many as asked for: a
    crossfade's fade-out put off to a frame, `DeckMixer._maybe_crossfade`).

    With `reopen`, a read failing on damaged data (`DamagedDataError`) after the first block is carried
    on past: see the module's doc.  `start_s`: where the play was opened (the position reached is
    counted from there); `name`: the file, for the warning."""

    def __init__(
        self,
        inner: Decoder,
        rate: int,
        on_close: Callable[[], None] | None = None,
        *,
        reopen: Reopen | None = None,
        start_s: float = 0.0,
        name: str = "",
        on_skip: Callable[[float], None] | None = None,
    ) -> None:
        """`on_close`: what to let go once the decoder is closed (a held file's hold).  `on_skip`: told
        the seconds of the file skipped past a damaged stretch, at the read after the last block before
        it (the block after it starts that much further on), for whoever counts the position reached
        from the audio read (the mixer's `decoded_s`)."""
        self._inner = inner
        self._on_close = on_close
        self._rate = rate
        self.duration_s = inner.duration_s
        self._ahead: np.ndarray | None = None
        self._failure: DecodeError | None = None
        self._reopen = reopen
        self._name = name
        self._base_s = start_s  # where the decoder reading now was opened
        self._frames = 0  # frames it gave so far (the block ahead included)
        self._tries = 0
        self._on_skip = on_skip
        self._skipped_s = 0.0  # skipped past the damage, not told yet

    def read(self, frames: int) -> np.ndarray:
        if self._skipped_s > 0 and self._on_skip is not None:
            self._on_skip(self._skipped_s)
        self._skipped_s = 0.0
        if self._ahead is None:
            self._ahead = self._next(frames)  # the first block: a failure here is raised as is
        if self._failure is not None:
            raise self._failure
        block = self._ahead
        if len(block) == 0:
            return block
        if len(block) > frames:  # fewer asked for than the block read ahead holds: its head, the rest
            self._ahead = block[frames:]  # stays ahead (a crossfade's fade-out put off to a frame)
            return block[:frames]
        try:
            self._ahead = self._next(frames)
        except DecodeError as exc:
            block = _ramp(block, self._ramp_frames(len(block)), down=True)
            try:
                after = self._carry_on(exc, frames) if isinstance(exc, DamagedDataError) else None
            except DecodeError as stop:  # aborted (a hang) past the damage: that is the failure
                after, exc = None, stop
            if after is None:
                self._failure, self._ahead = exc, np.zeros((0, 2), np.float32)
            else:
                self._ahead = _ramp(after, self._ramp_frames(len(after)), down=False)
        return block

    def _next(self, frames: int) -> np.ndarray:
        block = self._inner.read(frames)
        self._frames += len(block)
        return block

    def _ramp_frames(self, available: int) -> int:
        return min(available, max(1, int(FADE_ON_FAILURE_S * self._rate)))

    def _carry_on(self, damage: DecodeError, frames: int) -> np.ndarray | None:
        """The first block past the damage, read from the file reopened further on (the decoder
        reading from now on); None when there is none (the play then fails with `damage`).  Raises
        the DecodeError of an abort (a hang) of the decoder past the damage."""
        if self._reopen is None:
            return None
        reached = self._base_s + self._frames / self._rate
        skip = SKIP_S
        while self._tries < CARRY_ON_TRIES:
            self._tries += 1
            at = reached + skip
            skip *= 2
            if self.duration_s > 0 and at >= self.duration_s:
                log.debug("%s: damaged up to its end (from %.1f s)", self._name, reached)
                return None
            try:
                decoder = self._reopen(at)
            except DecodeError as exc:
                log.debug("%s: cannot reopen at %.1f s past the damage (%s)", self._name, at, exc)
                continue
            self._inner.close()
            self._inner, self._base_s, self._frames = decoder, at, 0  # an abort now ends this one
            self._skipped_s = at - reached  # the further tries included
            try:
                first = self._next(frames)
            except DamagedDataError as exc:
                log.debug("%s: still damaged at %.1f s (%s)", self._name, at, exc)
                continue
            if len(first) == 0:  # further on has none either
                log.debug("%s: no audio at %.1f s past the damage", self._name, at)
                return None
            log.warning(
                "%s: damaged data at %.1f s (%s); skipped to %.1f s and played on",
                self._name,
                reached,
                damage,
                at,
            )
            return first
        return None

    def abort(self, reason: str) -> bool:
        return self._inner.abort(reason)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            if self._on_close is not None:
                self._on_close()


def _ramp(block: np.ndarray, n: int, *, down: bool) -> np.ndarray:
    """`block` with its last `n` frames ramped down to silence (`down`), else its first `n` up."""
    out = block.copy()
    if down:
        out[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)[:, None]
    else:
        out[:n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
    return out
