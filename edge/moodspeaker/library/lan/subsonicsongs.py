"""What an OpenSubsonic listing says of a song, as the mirror keeps it (library.lan.subsonic).

Why a module of its own: the fingerprint of a song's file, its tags and its mirror row are what a
listing means, which the sync's protocol and cache handling only pass along; so is what the mirror
keeps of the files it was given (the fingerprints analysed, the refusals) and what is to be analysed
anew of a listing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from moodspeaker.library.batch import a_peak, peak_of
from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.tags import PEAK_MAX, capped
from moodspeaker.library.track_columns import track_values

#: what a song's file is known by (Child fields of the OpenSubsonic API); never tags or play counts
_FILE_FIELDS = ("size", "suffix", "contentType", "bitRate", "duration", "bitDepth", "samplingRate",
                "channelCount", "created")  # fmt: skip
#: a stream answered with one of these is the server's error message, not audio (status 200 too)
NOT_AUDIO = ("text/", "application/json", "application/xml")
#: meta key: {song id: the fingerprint (song_version) it was last analysed or failed from}, JSON
VERSIONS = "subsonic_versions"
#: meta key of mirrors made before fingerprints: the song ids analysed or failed, a JSON list
_SEEN = "subsonic_seen"
#: meta key: {song id: the cache bound (bytes) its file, as its fingerprint in VERSIONS says, was
#: refused at for being larger (library.lan.subsonic's doc)}, JSON
REFUSED = "subsonic_refused"
#: kind of the mirror's problem noting a song refused for its size
TOO_LARGE = "too large"
#: kind of the mirror's problem noting a song whose download for its analysis failed (by the sync:
#: no play asked for it, so it is no listening history, unlike mirror.STREAM's notes)
UNFETCHED = "download"

log = logging.getLogger(__name__)


def song_version(song: Mapping[str, Any]) -> str:
    """The fingerprint of a listed song's file (library.lan.subsonic's doc): it changes when the
    file does."""
    said = [[k, song.get(k)] for k in _FILE_FIELDS]
    return hashlib.blake2b(json.dumps(said, default=str).encode("utf-8"), digest_size=6).hexdigest()


def song_tags(song: Mapping[str, Any], server: str = "") -> dict[str, Any]:
    """What the mirror keeps of a listed song besides its analysis (Track's field names).  `peak` is
    the listing's ReplayGain track peak (`song_peak`; `server` names where a malformed one was listed)."""
    rg = song.get("replayGain") if isinstance(song.get("replayGain"), dict) else {}
    gain = rg.get("trackGain") if isinstance(rg, dict) else None
    return {
        # cut as a file's own tags are (library.tags): a server's listing can carry any length
        "title": capped(str(song.get("title") or song["id"])),
        "artist": capped(str(song.get("artist") or "")),
        "album": capped(str(song.get("album") or "")),
        "duration_s": float(song.get("duration") or 0.0),
        "replaygain_db": float(gain) if isinstance(gain, int | float) else None,
        "peak": song_peak(song, server),
    }


def song_peak(song: Mapping[str, Any], server: str = "") -> float | None:
    """The song's ReplayGain track peak as its listing gives it (OpenSubsonic `replayGain.trackPeak`,
    1 = full scale), taken before the analysis's measure of the download's excerpts, as a local file's
    tag is (library.tags.peak_from).  None when not given, or given as a server's placeholder for no
    ReplayGain at all (a gain of 0 with a peak of 1).  One that is no peak (not a number, not above 0,
    above PEAK_MAX) is left out, and logged when `server` names where it was listed."""
    rg = song.get("replayGain")
    if not isinstance(rg, dict) or rg.get("trackPeak") is None:
        return None
    peak = rg["trackPeak"]
    if peak == 1 and rg.get("trackGain") == 0:  # the placeholder
        return None
    if a_peak(peak) is not None and peak <= PEAK_MAX:
        return float(peak)
    if server:
        log.warning("%s: song %s is listed with a ReplayGain track peak that is no peak (%r): left out, "
                    "the analysis measures it", server, song.get("id"), str(peak)[:40])  # fmt: skip
    return None


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
    track_id: str,
    location: str,
    song: Mapping[str, Any],
    features: Mapping[str, float],
    model: EmotionModel,
    *,
    server: str = "",
) -> dict[str, Any]:
    """The mirror's row of an analysed song: its id and stream URL, tags and analysis (`server`: where
    it is listed, named by a warning of a malformed peak)."""
    values = track_values(features, model)
    tags = song_tags(song, server)
    return {
        "id": track_id,
        "location": location,
        **tags,
        **{
            k: values[k]
            for k in ("valence", "arousal", "energy", "tempo", "loudness_lufs", "mode", "brightness")
        },
        "extra": {k: float(features[k]) for k in ("key", "onset_rate", "pulse_clarity") if k in features},
        # the listing's, else the speaker's own analysis of the download, as a local file's
        "peak": tags["peak"] if tags["peak"] is not None else peak_of(features),
    }


def known_versions(meta: Callable[[str], str | None], now: Mapping[str, str], server: str) -> dict[str, str]:
    """The fingerprint each song was analysed (or failed) from, as the mirror's `meta` keeps it.  A
    mirror made before fingerprints lists the songs only: they are taken as analysed from their file
    as listed `now` (nothing to compare with; analysing a whole library again to find out would take
    hours)."""
    raw = meta(VERSIONS)
    if raw is not None:
        return {str(k): str(v) for k, v in json.loads(raw).items()}
    seen = [str(sid) for sid in json.loads(meta(_SEEN) or "[]")]
    if seen:
        log.info("%s: %d songs analysed before; their files taken as listed", server, len(seen))
    return {sid: now.get(sid, "") for sid in seen}  # those not listed are removed as before


def refusals(raw: str | None, versions: Mapping[str, str], now: Mapping[str, str]) -> dict[str, int]:
    """The refusals kept (`raw`: the mirror's REFUSED) of the files as listed `now`: a file changed
    since is tried again."""
    return {
        sid: int(bound) for sid, bound in json.loads(raw or "{}").items() if versions.get(sid) == now.get(sid)
    }


def to_analyse(
    listed: Mapping[str, object],
    versions: Mapping[str, str],
    now: Mapping[str, str],
    refused: Mapping[str, int],
    bound: int,
) -> list[str]:
    """The listed songs to download and analyse: new, changed on the server, or refused when the
    download cache's bound was smaller than it is now (`bound`)."""
    return [sid for sid in listed if versions.get(sid) != now[sid] or refused.get(sid, bound) < bound]


def listed_size(song: Mapping[str, Any], bound: int) -> int:
    """The room a song's download takes in a download cache bounded by `bound`: its file's size as
    listed (bytes), 0 when the listing does not say, or when it is larger than the bound (refused
    before a byte is written: lan.transfer)."""
    size = song.get("size")
    if isinstance(size, bool) or not isinstance(size, int):
        return 0
    return size if 0 < size <= bound else 0


def next_group(todo: Sequence[str], sizes: Mapping[str, int], room: int, most: int = 8) -> list[str]:
    """The next songs of `todo` a sync downloads and analyses together: up to `most`, as many as
    their listed `sizes` fit in `room` (what the download cache's bound leaves beside the copies
    plays used: CacheFolder.aside_room), and always one.  Staged at once, 8 songs went past the
    bound by up to 8 files; sized so, the copies in flight fit beside the played ones (the set-aside
    copies make way for them), and only a cache full of played songs goes over, by one file (a song
    with no listed size counts as 0: it is known once downloaded, and the sync then leaves the
    rest of the group for later when it does not fit: CacheFolder.room_for)."""
    group: list[str] = []
    used = 0
    for sid in todo[:most]:
        if group and used + sizes.get(sid, 0) > room:
            break
        group.append(sid)
        used += sizes.get(sid, 0)
    return group
