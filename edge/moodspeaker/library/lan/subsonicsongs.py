"""What an OpenSubsonic listing says of a song, as the mirror keeps it (library.lan.subsonic).

Why a module of its own: the fingerprint of a song's file, its tags and its mirror row are what a
listing means, which the sync's protocol and cache handling only pass along.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.indexer import track_values

#: what a song's file is known by (Child fields of the OpenSubsonic API); never tags or play counts
_FILE_FIELDS = ("size", "suffix", "contentType", "bitRate", "duration", "bitDepth", "samplingRate",
                "channelCount", "created")  # fmt: skip
#: a stream answered with one of these is the server's error message, not audio (status 200 too)
NOT_AUDIO = ("text/", "application/json", "application/xml")


def song_version(song: Mapping[str, Any]) -> str:
    """The fingerprint of a listed song's file (library.lan.subsonic's doc): it changes when the
    file does."""
    said = [[k, song.get(k)] for k in _FILE_FIELDS]
    return hashlib.blake2b(json.dumps(said, default=str).encode("utf-8"), digest_size=6).hexdigest()


def song_tags(song: Mapping[str, Any]) -> dict[str, Any]:
    """What the mirror keeps of a listed song besides its analysis (Track's field names)."""
    rg = song.get("replayGain") if isinstance(song.get("replayGain"), dict) else {}
    gain = rg.get("trackGain") if isinstance(rg, dict) else None
    return {
        "title": str(song.get("title") or song["id"]),
        "artist": str(song.get("artist") or ""),
        "album": str(song.get("album") or ""),
        "duration_s": float(song.get("duration") or 0.0),
        "replaygain_db": float(gain) if isinstance(gain, int | float) else None,
    }


@dataclass
class SubsonicSync:
    listed: int = 0
    analysed: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    changed: int = 0  # of `analysed`: songs analysed again, their file changed on the server
    retagged: int = 0  # songs whose tags changed but not their file: analysis kept

    @property
    def updated(self) -> int:
        """Songs the mirror took anew (analysed, new or changed, or retagged): as SyncResult's."""
        return self.analysed + self.retagged


def mirror_row(
    track_id: str, location: str, song: Mapping[str, Any], features: Mapping[str, float], model: EmotionModel
) -> dict[str, Any]:
    """The mirror's row of an analysed song: its id and stream URL, tags and analysis."""
    values = track_values(features, model)
    return {
        "id": track_id,
        "location": location,
        **song_tags(song),
        **{
            k: values[k]
            for k in ("valence", "arousal", "energy", "tempo", "loudness_lufs", "mode", "brightness")
        },
        "extra": {k: float(features[k]) for k in ("key", "onset_rate", "pulse_clarity") if k in features},
    }
