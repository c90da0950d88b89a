"""Tags of an audio file (mutagen): title, artist, album, duration and ReplayGain (track gain and peak).

Missing or unreadable tags are not an error: the title falls back to the file name and the
analysis decides whether the audio itself is usable.  A tag given several times (two ARTIST values)
keeps them all, joined with "; "; each of title, artist and album is cut to MAX_TAG_CHARS.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mutagen
import soundfile as sf
from mutagen.easyid3 import EasyID3
from mutagen.easymp4 import EasyMP4Tags

from moodspeaker.library.adts import adts_info, is_adts
from moodspeaker.library.index import Tags
from moodspeaker.library.pcmheader import audio_chunk

log = logging.getLogger(__name__)

_GAIN = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*(?:dB)?\s*$", re.IGNORECASE)


def parse_gain(value: str) -> float | None:
    """'-6.48 dB' -> -6.48; anything unparsable -> None."""
    m = _GAIN.match(value)
    return float(m.group(1)) if m else None


#: the longest a title, artist or album is kept (characters): a damaged or prankish tag of 200,000
#: characters went whole into the index, the page, /api/state and MQTT (Home Assistant cuts at 255)
MAX_TAG_CHARS = 512
#: between the values of a tag given several times (two ARTIST values): as beets and Picard show them
TAG_SEPARATOR = "; "


#: the largest ReplayGain track peak taken from a tag: a peak is the largest sample (1 = full scale); a
#: lossy file's or a true peak may pass 1 a little, a tag of 38043 is a scanner's bug (mp3gain's raw
#: sample value) and would keep every boost away
PEAK_MAX = 2.0
#: the key under which ReplayGain written as an ID3 TXXX frame (MP3, raw AAC) or an MP4 freeform atom
#: (`----:com.apple.iTunes:...`, M4A) is read: mutagen's easy tags, which the tags are read through,
#: show neither (`_register`).  Vorbis comments and APE tags show them under their own names.
_EXTRA = "moodspeaker:"


def _register(name: str) -> None:
    """Make the ReplayGain tag `name` (lower case) readable through mutagen's easy MP3 and MP4 tags as
    `_EXTRA + name`: the TXXX frame or freeform atom of that name in any case (taggers write
    REPLAYGAIN_TRACK_PEAK and replaygain_track_peak alike).  Read only."""

    def from_id3(id3: Any, key: str) -> list[str]:
        for frame in id3.getall("TXXX"):
            if str(frame.desc).lower() == name:
                return [str(text) for text in frame.text]
        raise KeyError(key)

    def from_mp4(mp4: Any, key: str) -> list[str]:
        atom = f"----:com.apple.itunes:{name}"
        for found, values in mp4.items():
            if found.lower() == atom:
                return [_as_text(bytes(v)) for v in values]
        raise KeyError(key)

    EasyID3.RegisterKey(_EXTRA + name, from_id3)  # type: ignore[no-untyped-call]  # (mutagen: untyped)
    EasyMP4Tags.RegisterKey(_EXTRA + name, from_mp4)  # type: ignore[no-untyped-call]  # (the same)


for _name in ("replaygain_track_gain", "replaygain_track_peak"):
    _register(_name)


def _values(value: Any) -> list[Any]:
    """A tag's values: easy tags and Vorbis comments give a list, a plain ID3 frame (WAV) its `text`."""
    text = getattr(value, "text", None)
    if isinstance(text, list):
        return text
    return list(value) if isinstance(value, list | tuple) else [value]


def _as_text(value: Any) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()


def capped(text: str) -> str:
    """`text` cut to MAX_TAG_CHARS characters, the last one "…" when it was cut."""
    return text if len(text) <= MAX_TAG_CHARS else text[: MAX_TAG_CHARS - 1].rstrip() + "…"


def _lookup(tags: Mapping[str, Any] | None, keys: tuple[str, ...]) -> list[str]:
    """The non-empty values of the first of `keys` the tags have."""
    if not tags:
        return []
    for key in keys:
        try:
            value = tags.get(key)
        except (ValueError, KeyError):
            continue
        if value is None:
            continue
        texts: list[str] = []
        size = 0
        for item in _values(value):
            text = _as_text(item)
            if text and text not in texts:
                texts.append(text)
                size += len(text) + len(TAG_SEPARATOR)
                if size > MAX_TAG_CHARS:  # the rest would be cut off anyway
                    break
        if texts:
            return texts
    return []


def _first(tags: Mapping[str, Any] | None, *keys: str) -> str:
    """The first value of the first of `keys` the tags have (a gain: one number)."""
    texts = _lookup(tags, keys)
    return capped(texts[0]) if texts else ""


def _joined(tags: Mapping[str, Any] | None, *keys: str) -> str:
    """All values of the first of `keys` the tags have, joined ("Alice; Bob"), cut to MAX_TAG_CHARS."""
    return capped(TAG_SEPARATOR.join(_lookup(tags, keys)))


def replaygain_from(tags: Mapping[str, Any] | None) -> float | None:
    """Track gain in dB from ReplayGain tags, or from Opus R128_TRACK_GAIN (Q7.8, -23 LUFS reference)."""
    text = _first(
        tags,
        "replaygain_track_gain",
        "REPLAYGAIN_TRACK_GAIN",
        _EXTRA + "replaygain_track_gain",
        "----:com.apple.iTunes:replaygain_track_gain",
        "TXXX:replaygain_track_gain",
        "TXXX:REPLAYGAIN_TRACK_GAIN",
    )
    if text:
        return parse_gain(text)
    r128 = _first(tags, "r128_track_gain", "R128_TRACK_GAIN")
    if r128:
        try:
            return int(r128) / 256.0 + 5.0  # ReplayGain's reference is 5 dB louder than EBU R128's
        except ValueError:
            return None
    return None


#: where a ReplayGain track peak is read, in this order (`peak_from`)
_PEAK_KEYS = (
    "replaygain_track_peak",  # Vorbis comments, APE tags; an MP3's RVA2 frame (mutagen's easy ID3)
    _EXTRA + "replaygain_track_peak",  # an MP3's TXXX frame, an M4A's freeform atom
    "TXXX:REPLAYGAIN_TRACK_PEAK",  # a WAV's or AIFF's plain ID3 chunk
    "TXXX:replaygain_track_peak",
)


def peak_from(path: Path, tags: Mapping[str, Any] | None) -> float | None:
    """The track's sample peak from its ReplayGain tag (REPLAYGAIN_TRACK_PEAK, 1 = full scale), None
    when it has none.  Each place it may be written is read in turn (`_PEAK_KEYS`) until one holds a
    peak: an MP3's RVA2 frame that records no peak (mutagen's easy ID3 says "0.000000": mp3gain's, Quod
    Libet's) hid the TXXX frame beside it.  When none holds one, a tag that is no peak (not a number,
    not above 0, above PEAK_MAX; not that RVA2 zero, which says only that no peak was recorded) is
    logged with the file and left out: the analysis measures the peak then."""
    rejected = ""
    for key in _PEAK_KEYS:
        text = _first(tags, key)
        if not text:
            continue
        peak = _a_peak(text)
        if peak is not None:
            return peak
        unrecorded = key == _PEAK_KEYS[0] and _easy_id3(tags) and _a_number(text) == 0
        rejected = rejected or ("" if unrecorded else text)
    if rejected:
        log.warning(
            "%s: its ReplayGain track peak %r is not a peak (a number above 0, at most %g): left out, "
            "the analysis measures it",
            path,
            rejected[:40],
            PEAK_MAX,
        )
    return None


def _easy_id3(tags: object) -> bool:
    """Whether `tags` are mutagen's easy ID3 (an MP3's, a raw AAC's), whose `replaygain_track_peak` is
    an RVA2 frame's (typed `object`: mutagen's tag classes are no Mapping to mypy)."""
    return isinstance(tags, EasyID3)


def _a_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _a_peak(text: str) -> float | None:
    """`text` as a peak: a finite number above 0, at most PEAK_MAX; else None."""
    peak = _a_number(text)
    return peak if math.isfinite(peak) and 0 < peak <= PEAK_MAX else None


def _by_content(path: Path) -> Any:
    """The file's tags, its type told by its content alone: mutagen trusts a name's suffix first, and
    an MP3 named .flac (a household's renamed download) failed as "not a valid FLAC file", so its
    title became the file name.  None when the content is not recognised either."""
    try:
        with path.open("rb", buffering=0) as raw:
            raw.name = ""  # no name: the suffix cannot mislead mutagen
            return mutagen.File(raw, easy=True)
    except Exception as exc:  # mutagen raises many types for damaged headers
        log.debug("%s: not recognised by content either: %s", path, exc)
        return None


def _adts_tags(path: Path) -> Tags:
    """A raw AAC file: its length counted frame by frame (mutagen's is an estimate from the first
    frames' bit rate, 898 s for a 60 s song that starts quietly) and its ID3 tags, if any (mutagen
    takes an ID3-tagged ADTS file for a broken MP3)."""
    info = adts_info(path)
    try:
        tags: Any = EasyID3(str(path))  # type: ignore[no-untyped-call]
    except Exception as exc:  # no ID3 tag (the usual case), or a damaged one
        log.debug("%s: no ID3 tags: %s", path, exc)
        tags = None
    return _tags(path, tags, info.duration_s if info is not None else 0.0)


def _tags(path: Path, tags: Mapping[str, Any] | None, duration_s: float) -> Tags:
    """Tags from a file's tag mapping (None: it has none) and its length: one place for the names
    each field is read under and for the title's fallback, the file name."""
    return Tags(
        # WAV files carry a plain ID3 chunk (no "easy" names): its frame ids come second
        title=_joined(tags, "title", "TIT2") or capped(path.stem),
        artist=_joined(tags, "artist", "albumartist", "TPE1", "TPE2"),
        album=_joined(tags, "album", "TALB"),
        duration_s=duration_s,
        replaygain_db=replaygain_from(tags),
        peak=peak_from(path, tags),
    )


def read_tags(path: str | Path) -> Tags:
    p = Path(path)
    fallback = Tags(title=capped(p.stem))
    if is_adts(p):
        return _adts_tags(p)
    try:
        f = mutagen.File(str(p), easy=True)
    except Exception as exc:  # mutagen raises many types for damaged headers
        f = _by_content(p)
        if f is None:
            log.debug("%s: tags unreadable: %s", p, exc)
            return fallback
    if f is None:
        return fallback
    tags = f.tags if f.tags is not None else None
    return _tags(p, tags, _length(p, float(getattr(getattr(f, "info", None), "length", 0.0) or 0.0)))


def _length(path: Path, stated_s: float) -> float:
    """`stated_s`, mutagen's length from the header, unless the header states none: a WAV written to a
    pipe (ffmpeg) leaves a placeholder size there, which mutagen took for 13.5 hours of audio; then
    the length of the audio in the file (libsndfile's count)."""
    chunk = audio_chunk(path)
    if chunk is None or chunk.stated_bytes is not None:
        return stated_s
    try:
        return float(sf.info(str(path)).duration)
    except (OSError, RuntimeError) as exc:  # unreadable: the analysis says why
        log.debug("%s: length unknown: %s", path, exc)
        return 0.0
