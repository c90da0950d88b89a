"""Where a file's audio lies, apart from its tags: what the index keys a track's analysis on.

A tag editor rewrites a file's tag blocks (and may move its audio), so a hash of the file's bytes said
"changed" and the track was analysed again, seconds of CPU on a Pi for a new title.  The audio itself
is untouched by such an edit, so the analysis is keyed on the audio payload:
- MP3, raw AAC and anything not recognised: the file without ID3v2 tags at the front and ID3v1/APEv2
  tags at the end;
- FLAC: the frames after the last metadata block (VORBIS_COMMENT, PICTURE and PADDING are blocks);
- Ogg Vorbis/Opus: the pages after the header packets (the comment is the second packet), with each
  page's sequence number and checksum left out: a comment that needs more pages renumbers every page
  after it;
- MP4/M4A: the `mdat` boxes (tags live in `moov`, which an editor may grow in front of `mdat`);
- WAV: the `data` chunk (tags are LIST/id3 chunks).
Why parse containers rather than hash decoded PCM: decoding a whole file costs about as much as the
analysis that is to be saved, and the container layouts are stable, documented formats; when parsing
fails the whole file is hashed as before, so the worst case is the old behaviour (an extra analysis).
Like the hash before it, the payload is sampled (its length, first and last 64 KiB), so a rescan of a
changed file reads 128 KiB, not the whole file from a NAS.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import struct
from typing import BinaryIO

from moodspeaker.library.adts import after_id3v2

log = logging.getLogger(__name__)

SAMPLE = 64 * 1024
#: less audio than this (bytes) means the layout was misread: the whole file is hashed instead
MIN_PAYLOAD = 64
#: marks a hash of the audio payload; hashes without it are whole-file hashes of an earlier version
SCHEME = "a1:"

Span = tuple[int, int]  # [start, end) in the file


def audio_hash(path: str, size: int) -> str:
    """The identity of a file's audio (see the module doc): equal for a tag-only edit."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        head = f.read(SAMPLE)
        ogg = _ogg_audio_start(f, head) if head[:4] == b"OggS" else None
        if ogg is not None and size - ogg >= MIN_PAYLOAD:
            h.update(b"ogg")
            _sample_ogg(f, h, ogg, size)
        else:
            for start, end in _spans(f, head, size):
                h.update(f"{end - start};".encode())
                f.seek(start)
                h.update(f.read(min(SAMPLE, end - start)))
                if end - start > 2 * SAMPLE:
                    f.seek(end - SAMPLE)
                    h.update(f.read(SAMPLE))
                elif end - start > SAMPLE:
                    h.update(f.read(end - start - SAMPLE))
    return SCHEME + h.hexdigest()


def _spans(f: BinaryIO, head: bytes, size: int) -> list[Span]:
    """The audio's byte ranges; the whole file when the layout is not understood or leaves no audio
    (a damaged header must not make different files look alike: an empty payload hashes the same)."""
    try:
        found = _layout(f, head, size)
    except (struct.error, ValueError) as exc:  # a header cut short or lying about its lengths
        log.debug("payload of a %d-byte file not understood: %s", size, exc)
        found = None
    if not found or any(end - start < MIN_PAYLOAD for start, end in found):
        return [(0, size)]
    return found


def _layout(f: BinaryIO, head: bytes, size: int) -> list[Span] | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _riff_data(f, size)
    if head[4:8] == b"ftyp":
        return _mp4_mdat(f, size)
    start = after_id3v2(f, size)
    f.seek(start)
    if f.read(4) == b"fLaC":
        start = _after_flac_metadata(f, start + 4, size)
    return [(start, _before_trailing_tags(f, start, size))]


def _after_flac_metadata(f: BinaryIO, offset: int, size: int) -> int:
    """Past the metadata blocks: each has a 4-byte header (last-block flag, type, 24-bit length)."""
    while offset + 4 <= size:
        f.seek(offset)
        header = f.read(4)
        offset += 4 + int.from_bytes(header[1:4], "big")
        if header[0] & 0x80:
            break
    return min(offset, size)


def _before_trailing_tags(f: BinaryIO, start: int, end: int) -> int:
    """The end of the audio before ID3v1 and APEv2 tags (in either order, as taggers write them)."""
    while end - start >= 32:
        if end - start >= 128:
            f.seek(end - 128)
            if f.read(3) == b"TAG":
                end -= 128
                continue
        f.seek(end - 32)
        footer = f.read(32)
        if footer[:8] == b"APETAGEX":
            tag_size, flags = struct.unpack("<I4xI", footer[12:24])
            end -= tag_size + (32 if flags & 0x80000000 else 0)
            continue
        break
    return max(end, start)


def _riff_data(f: BinaryIO, size: int) -> list[Span] | None:
    offset = 12
    while offset + 8 <= size:
        f.seek(offset)
        chunk, length = struct.unpack("<4sI", f.read(8))
        if chunk == b"data":
            return [(offset + 8, min(offset + 8 + length, size))]
        offset += 8 + length + (length & 1)
    return None


def _mp4_mdat(f: BinaryIO, size: int) -> list[Span] | None:
    spans: list[Span] = []
    offset = 0
    while offset + 8 <= size:
        f.seek(offset)
        length, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if length == 1:
            length, header = struct.unpack(">Q", f.read(8))[0], 16
        elif length == 0:
            length = size - offset
        if length < header:
            return None  # not a box: a damaged file is hashed whole
        if kind == b"mdat":
            spans.append((offset + header, min(offset + length, size)))
        offset += length
    return spans or None


#: header packets before the audio, by the first packet's signature
_OGG_HEADERS = {b"\x01vorbis": 3, b"OpusHead": 2, b"Speex   ": 2}


def _ogg_audio_start(f: BinaryIO, head: bytes) -> int | None:
    """Offset of the first page after the header packets of a single-stream Vorbis/Opus/Speex file;
    None for anything else (hashed as a plain file)."""
    wanted = next((n for sig, n in _OGG_HEADERS.items() if head[28:].startswith(sig)), None)
    if wanted is None:
        return None
    offset, packets, serial = 0, 0, head[14:18]
    while packets < wanted:
        f.seek(offset)
        header = f.read(27)
        if len(header) < 27 or header[:4] != b"OggS" or header[14:18] != serial:
            return None
        lacing = f.read(header[26])
        packets += sum(1 for v in lacing if v < 255)
        offset += 27 + len(lacing) + sum(lacing)
    # the headers end on a page boundary (both specs require it): more packets here means another layout
    return offset if packets == wanted else None


_CAPTURE = re.compile(b"OggS")


def _sample_ogg(f: BinaryIO, h: hashlib.blake2b, start: int, size: int) -> None:
    """Length, first and last 64 KiB of the audio pages, without page numbers and checksums (bytes
    18..25 of every page header; a capture pattern inside the audio is masked the same way each time,
    so the result does not depend on telling it from a real page)."""
    h.update(f"{size - start};".encode())
    f.seek(start)
    h.update(_masked(f.read(SAMPLE)))
    if size - start > 2 * SAMPLE:
        f.seek(size - SAMPLE)
        tail = f.read(SAMPLE)
        first = tail.find(b"OggS")  # from a page start: the bytes before it are the same each time
        h.update(_masked(tail[first:] if first >= 0 else tail))


def _masked(data: bytes) -> bytes:
    out = bytearray(data)
    for m in _CAPTURE.finditer(data):
        out[m.start() + 18 : m.start() + 26] = bytes(min(8, max(0, len(out) - m.start() - 18)))
    return bytes(out)


def legacy_hash(path: str | os.PathLike[str], size: int) -> str:
    """The whole-file hash of earlier versions (size, first and last 64 KiB): recognises a file indexed
    by them, so that their analyses are kept rather than all done again after an update.  "" when
    the file cannot be read (it matches no stored hash)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(str(size).encode())
    try:
        with open(path, "rb") as f:
            h.update(f.read(SAMPLE))
            if size > 2 * SAMPLE:
                f.seek(-SAMPLE, os.SEEK_END)
                h.update(f.read(SAMPLE))
    except OSError:
        return ""
    return h.hexdigest()


def same_audio(stored: str, digest: str, path: str, size: int) -> bool:
    """Whether a stored hash is of this audio (`digest`, the file's audio_hash): the same hash, or, in
    a database written by an earlier version, the same whole-file hash (a touch, a copy back)."""
    return stored == digest or (is_legacy(stored) and stored == legacy_hash(path, size))


def is_legacy(digest: str) -> bool:
    return bool(digest) and not digest.startswith(SCHEME)
