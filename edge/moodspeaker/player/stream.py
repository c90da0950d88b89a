"""What every decoder is (`Decoder`) and how it fails (`DecodeError`, `DamagedDataError`).

Why a module of its own: the decoders (player.decode) and what wraps them (player.carryon: the
ramp down on a failure, the carry-on past damaged data) both need these, and neither imports the
other's internals.  `player.decode` re-exports them: import them from there.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class DecodeError(RuntimeError):
    """The audio could not be decoded; the message names the source and the reason."""


class DamagedDataError(DecodeError):
    """A read failed on the data itself (a damaged stretch of the file, samples that are not finite,
    ffmpeg exiting with an error), not on an abort: what follows the damage may still be readable
    (`player.carryon` tries)."""


class Decoder(Protocol):
    """A stream of float32 stereo blocks (frames x 2, -1..1) at the rate it was opened with."""

    duration_s: float

    def read(self, frames: int) -> np.ndarray:
        """Up to `frames` frames; an empty array means the end. Raises DecodeError."""
        ...

    def close(self) -> None: ...

    def abort(self, reason: str) -> bool:
        """From another thread: end a read blocked in this decoder, which then raises DecodeError
        saying `reason`.  False when it cannot be ended (in-process decoding)."""
        ...
