"""How much audio a WAV or AIFF file's header says it holds.

libsndfile counts a WAV's or AIFF's frames from the bytes actually there when the header states more
(an interrupted copy), so its frame count alone never shows the file is cut short; the header's own
size of the audio chunk does.  Only that chunk's place and stated size are read here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: a stated size at or above this is a placeholder, not a length: a WAV written to a pipe (ffmpeg)
#: leaves 0xFFFFFFFF; sox leaves a size near 2 GiB
_PLACEHOLDER = 0x7FFF0000

#: chunks walked before giving up (a real file has a handful before its audio)
_MAX_CHUNKS = 64


@dataclass(frozen=True)
class AudioChunk:
    """Where the audio data starts in the file and how many bytes of it the header states (None: no
    usable size, 0 or a placeholder; the audio runs to the end of the file)."""

    offset: int
    stated_bytes: int | None

    def stated_s(self, file_size: int, decoded_s: float) -> float:
        """The length the header states, from `decoded_s`, the length of the audio a file of
        `file_size` bytes holds (libsndfile's count); `decoded_s` itself when nothing is missing."""
        there = file_size - self.offset
        if self.stated_bytes is None or there >= self.stated_bytes or there <= 0:
            return decoded_s
        return decoded_s * self.stated_bytes / there


def audio_chunk(path: Path) -> AudioChunk | None:
    """The audio chunk of a RIFF WAV or an AIFF/AIFC file, None for any other file or one without an
    audio chunk before the file ends."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12:
                return None
            if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
                return _walk(f, b"data", "<I", 0)
            if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
                return _walk(f, b"SSND", ">I", 8)  # SSND's offset and block size come first
    except OSError:
        return None
    return None


def _walk(f: BinaryIO, wanted: bytes, size_format: str, skip: int) -> AudioChunk | None:
    pos = 12
    for _ in range(_MAX_CHUNKS):
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return None
        (size,) = struct.unpack(size_format, header[4:8])
        if header[:4] == wanted:
            stated = size - skip
            usable = 0 < size < _PLACEHOLDER and stated > 0
            return AudioChunk(pos + 8 + skip, stated if usable else None)
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    return None
