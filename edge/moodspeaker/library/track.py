"""The track record shared by the library (which fills it), the recommender and the player.

Feature scales are fixed here so content scoring can compare tracks from any source (local analysis,
a LAN server, or the Spotify catalogue used by the simulator):
- valence, arousal: -1..1 (Russell's circumplex; estimated from audio features by the library)
- energy: 0..1 (loudness-independent RMS energy, normalised), tempo: beats per minute
- loudness_lufs: integrated loudness (for playback normalisation), mode: 1 major, 0 minor
- brightness: 0..1 (normalised spectral centroid), acousticness-like timbre lives in `extra`
- peak: the largest sample magnitude (full scale = 1): the file's ReplayGain track peak tag (or an
  OpenSubsonic listing's) when it has one, else the analysis's; None when not known (a track
  analysed by a version before it, or mirrored from a server that does not say it); playback caps a
  loudness boost with it so the peak stays under the limiter's knee
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Column order of a library's feature matrix: the Track fields content scoring compares, on the
#: scales above.  Defined here, beside Track, so the SQLite index (library.index) and the pure
#: recommender (recommend.content) share one list without the recommender importing the index.
FEATURE_COLUMNS: tuple[str, ...] = (
    "valence",
    "arousal",
    "energy",
    "tempo",
    "loudness_lufs",
    "mode",
    "brightness",
)


@dataclass(frozen=True)
class Track:
    id: str
    location: str  # local path or http(s) URL of a LAN server
    title: str
    artist: str
    album: str = ""
    duration_s: float = 0.0
    valence: float = 0.0
    arousal: float = 0.0
    energy: float = 0.5
    tempo: float = 120.0
    loudness_lufs: float = -14.0
    mode: int = 1
    brightness: float = 0.5
    replaygain_db: float | None = None
    source: str = "local"
    extra: dict[str, float] = field(default_factory=dict)
    peak: float | None = None


def artist_title(title: str, artist: str) -> str:
    """'Artist - Title' as a log line names a track; the title alone when it has no artist (an
    untagged file: "playing  - tone440" before)."""
    return f"{artist} - {title}" if artist.strip() else title


def title_by(title: str, artist: str) -> str:
    """'Title by Artist' as a sentence names a track; the title alone when it has no artist (an
    untagged file: "playing tone440 by  - ..." before)."""
    return f"{title} by {artist}" if artist.strip() else title
