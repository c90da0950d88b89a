"""The ffmpeg command that decodes a file to PCM, for the player (player.decode) and the analysis
(library.audio) alike, and the reading of what it writes.

Why one place: the two built their own command lines, and ffmpeg's downmix (`-ac 2`) is not the
project's.  ffmpeg's matrix is not normalised (a 5.1 file's left and centre at 0.5 came out at 0.85,
`library.downmix` gives 0.35: 7.7 dB apart) and it plays mono at -3 dB on each side where libsndfile's
path plays it at full level on both; so a damaged 5.1 file reopened with ffmpeg by the player's
carry-on got 7.7 dB louder.  Now ffmpeg keeps the file's own channels and says how many there are (a
float WAV header on its output, `read_wav_header`); the caller makes stereo of them as it does of
libsndfile's (`downmix_matrix`), in ffmpeg's channel order, which is WAV's.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path


class PcmHeaderError(ValueError):
    """ffmpeg's output does not start with the WAV header `pcm_command` asks for (it failed first)."""


def pcm_command(
    binary: str, path: Path, rate: int, *, start_s: float = 0.0, length_s: float = 0.0
) -> list[str]:
    """ffmpeg decoding `path` from `start_s` (for `length_s`, 0: to its end) to 32-bit float WAV on
    its stdout at `rate`, the file's channels as they are.  `-max_error_rate 1`: a long damaged stretch
    decoded past (ffmpeg resyncs) is no failure; by default, more than 2/3 of the frames bad made it
    exit with status 69 after all the audio."""
    cmd = [binary, "-nostdin", "-v", "error", "-max_error_rate", "1"]
    if start_s > 0:
        cmd += ["-ss", f"{start_s:.3f}"]
    if length_s > 0:
        cmd += ["-t", f"{length_s:.3f}"]
    cmd += ["-i", str(path), "-vn", "-map_metadata", "-1", "-fflags", "+bitexact"]
    return [*cmd, "-c:a", "pcm_f32le", "-ar", str(rate), "-f", "wav", "pipe:1"]


def read_wav_header(read: Callable[[int], bytes]) -> int:
    """The channels of the WAV `pcm_command` writes, its header read through `read` (up to the
    samples, which follow).  Raises PcmHeaderError when the output ends before them or is no WAV."""

    def exactly(n: int) -> bytes:
        data = read(n)
        if len(data) < n:
            raise PcmHeaderError("ffmpeg's output ended before its audio")
        return data

    head = exactly(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise PcmHeaderError(f"ffmpeg's output is not WAV (it starts {head[:4]!r})")
    channels = 0
    while True:
        chunk, size = struct.unpack("<4sI", exactly(8))
        if chunk == b"data":
            break
        body = exactly(size + (size & 1))
        if chunk == b"fmt " and size >= 4:
            channels = struct.unpack_from("<H", body, 2)[0]
    if channels < 1:
        raise PcmHeaderError("ffmpeg's output states no channels")
    return channels
