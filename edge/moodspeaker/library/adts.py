"""The exact length of a raw AAC (ADTS) stream, by counting its frames.

An ADTS stream has no header stating its length; mutagen estimates one from the bit rate of the first
frames, and a song that starts quietly (tiny frames) came out many times too long (a 60 s file read
as 898 s): its excerpts were sought past the end and it failed as "cut short", or a short file was
indexed with a length it does not have.  Every ADTS frame holds 1024 samples per channel per raw data
block at the sample rate its header states (for HE-AAC, the core rate, which gives the same length),
so the frames are counted: a walk over 7-byte headers, about a millisecond per minute of audio.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import BinaryIO

log = logging.getLogger(__name__)

#: sampling_frequency_index -> Hz (ISO/IEC 14496-3, 1.6.3.4); 13..15 are reserved
SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
SAMPLES_PER_BLOCK = 1024
_READ = 1 << 20


def id3v2_size(head: bytes) -> int:
    """Length of the ID3v2 tag starting `head` (header, body and footer), 0 when there is none."""
    if len(head) < 10 or head[:3] != b"ID3" or head[3] == 0xFF or any(b & 0x80 for b in head[6:10]):
        return 0
    body = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + body + (10 if head[5] & 0x10 else 0)


def after_id3v2(f: BinaryIO, size: int) -> int:
    """Where the audio of the open file (`size` bytes) starts: after any ID3v2 tags at the front (some
    taggers write several); at most `size`, for a tag cut short."""
    offset = 0
    while offset < size:
        f.seek(offset)
        length = id3v2_size(f.read(10))
        if not length:
            break
        offset += length
    return min(offset, size)


def _parse(header: bytes) -> tuple[int, int, int, int] | None:
    """(frame length, sample rate index, channel config, raw data blocks) of a valid ADTS header."""
    if len(header) < 7 or header[0] != 0xFF or header[1] & 0xF6 != 0xF0:  # sync, layer 0
        return None
    rate = (header[2] >> 2) & 0x0F
    if rate >= len(SAMPLE_RATES):
        return None
    channels = ((header[2] & 1) << 2) | (header[3] >> 6)
    length = ((header[3] & 3) << 11) | (header[4] << 3) | (header[5] >> 5)
    if length < (7 if header[1] & 1 else 9):
        return None
    return length, rate, channels, (header[6] & 3) + 1


@dataclass(frozen=True)
class AdtsInfo:
    duration_s: float
    sample_rate: int
    channels: int  # 1..2 for the decoder's output (0 in the header: "in the stream"; taken as 2)


def is_adts(path: str | os.PathLike[str]) -> bool:
    """Whether the file is an ADTS stream (after any ID3v2 tags): mutagen takes an ID3-tagged one for
    an MP3 and fails on it ("can't sync to MPEG frame"), losing its tags and its length.  Two frames
    of the same stream in a row are asked for, so junk after an MP3's tag is not taken for one."""
    try:
        with open(path, "rb") as f:
            start = after_id3v2(f, os.fstat(f.fileno()).st_size)
            f.seek(start)
            first = _parse(f.read(7))
            if first is None:
                return False
            f.seek(start + first[0])
            second = _parse(f.read(7))
    except OSError:
        return False
    return second is not None and second[1:3] == first[1:3]


def adts_frames(path: str | os.PathLike[str]) -> tuple[int, int, int] | None:
    """(samples per channel, sample rate, channel config) of the whole frames of an ADTS file; None
    if it is not one.

    The walk stops at the first thing that is not a frame like the first one (an ID3v1 or APE tag at
    the end, garbage) and at a last frame cut short (an interrupted copy), which is not counted.
    """
    samples = 0
    first: tuple[int, int] | None = None
    with open(path, "rb") as f:
        start = after_id3v2(f, os.fstat(f.fileno()).st_size)
        f.seek(start)
        buf = f.read(_READ)
        base = start  # file offset of buf[0]
        pos = 0  # offset in buf
        while True:
            if pos + 9 > len(buf):  # refill: keep the unread tail (a header may straddle the reads)
                more = f.read(_READ)
                buf, base, pos = buf[pos:] + more, base + pos, 0
            parsed = _parse(buf[pos : pos + 7])
            if parsed is None:
                break
            length, rate, channels, blocks = parsed
            if first is None:
                first = (rate, channels)
            elif (rate, channels) != first:
                break  # not a frame of this stream: a false sync inside a tag or garbage
            if pos + length > len(buf):
                more = f.read(max(_READ, length))
                buf, base, pos = buf[pos:] + more, base + pos, 0
                if length > len(buf):
                    log.debug("%s: last ADTS frame cut short at byte %d", path, base)
                    break
            samples += blocks * SAMPLES_PER_BLOCK
            pos += length
    if first is None:
        return None
    return samples, SAMPLE_RATES[first[0]], first[1]


def adts_info(path: str | os.PathLike[str]) -> AdtsInfo | None:
    """Length, rate and channels of an ADTS (raw .aac) file, counted frame by frame; None if it is
    not one (or holds no whole frame)."""
    try:
        counted = adts_frames(path)
    except OSError as exc:
        log.debug("%s: cannot count ADTS frames: %s", path, exc)
        return None
    if counted is None or counted[0] == 0:
        return None
    samples, rate, channels = counted
    return AdtsInfo(samples / rate, rate, min(channels, 2) or 2)


def adts_duration(path: str | os.PathLike[str]) -> float | None:
    """Seconds of audio in an ADTS file (see `adts_info`); None if it is not one."""
    info = adts_info(path)
    return None if info is None else info.duration_s
