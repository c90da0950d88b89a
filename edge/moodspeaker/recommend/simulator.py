"""A listener simulator over the Spotify 32k catalogue (ours: the figures it gives are only as good
as its assumptions, which are all stated here).

Catalogue mapping (Spotify audio features -> `Track` scales):
  valence  = 2*valence - 1
  arousal  = the catalogue percentile of 0.6*z(energy) + 0.2*z(tempo) + 0.2*z(loudness), mapped onto
             -1..1 (the charts catalogue is skewed to energetic pop; a household's analysed library
             uses the whole scale, so we spread it the same way)
  energy   = energy;  tempo = tempo;  loudness_lufs = loudness (Spotify's integrated dB);
  mode     = mode;    brightness = 1 - acousticness (Spotify has no spectral centroid)
  extra    = acousticness, danceability, speechiness, instrumentalness.
Duplicate track ids (the same song in several playlists) are kept once.

Simulated people (hidden from every method): a timbre taste (a point in the `extra` space, drawn
near a real track), a small personal valence/arousal offset, and a mood-response style:
  matcher:     wants music at their mood (sad -> sad music),
  uplifter:    wants bright, mid-energy music whatever the mood,
  angry_loud:  a matcher, except angry/disgusted/afraid, when they want loud, intense music.
Moods follow a day plan: a usual mix (mostly neutral and happy) and atypical days dominated by sad
or angry.  The camera misreads the class 15% of the time and adds noise to valence/arousal.
A pick is kept when its hidden utility plus noise clears a threshold, else skipped (quickly).
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from moodspeaker.library.track import Track
from moodspeaker.recommend.targets import MOOD_POINTS, Mood

STYLES: Final = ("matcher", "uplifter", "angry_loud")
TASTE: Final = ("acousticness", "danceability", "speechiness", "instrumentalness")
USUAL_MIX: Final = {"neutral": 0.5, "happy": 0.3, "surprise": 0.1, "sad": 0.1}
ATYPICAL_MIXES: Final = (
    {"sad": 0.75, "neutral": 0.15, "fear": 0.1},
    {"angry": 0.7, "disgust": 0.15, "neutral": 0.15},
)
TRACKS_PER_DAY: Final = 20
TRACK_S: Final = 210.0
DAY_S: Final = 86400.0
#: Simulated time starts on a Monday evening (2027-01-04 19:00 UTC).
T0: Final = 1_798_916_400.0


def load_spotify(path: str | Path, limit: int | None = None) -> list[Track]:
    """Read spotify_songs.csv(.gz) into Tracks with the documented mapping; bad rows are skipped."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    with opener(p, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            tid = row.get("track_id", "")
            if not tid or tid in seen:
                continue
            try:
                for key in ("valence", "energy", "tempo", "loudness", "mode", "acousticness"):
                    float(row[key])
            except (KeyError, ValueError):
                continue
            seen.add(tid)
            rows.append(row)
            if limit and len(rows) >= limit:
                break
    if not rows:
        raise ValueError(f"{p}: no usable rows (expected the spotify_songs.csv columns)")

    def col(key: str) -> npt.NDArray[np.float64]:
        return np.array([float(r[key] or 0.0) for r in rows], np.float64)

    def z(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = (x - x.mean()) / (x.std() + 1e-9)
        return out

    drive = 0.6 * z(col("energy")) + 0.2 * z(col("tempo")) + 0.2 * z(col("loudness"))
    rank = np.argsort(np.argsort(drive)) / max(1, len(rows) - 1)
    arousal = rank * 2.0 - 1.0
    out = []
    for n, r in enumerate(rows):
        extra = {k: float(r.get(k) or 0.0) for k in TASTE}
        out.append(
            Track(
                id=r["track_id"],
                location=f"spotify:track:{r['track_id']}",
                title=r.get("track_name", ""),
                artist=r.get("track_artist", "") or "unknown",
                album=r.get("track_album_name", ""),
                duration_s=float(r.get("duration_ms") or 0.0) / 1000.0,
                valence=float(r["valence"]) * 2.0 - 1.0,
                arousal=float(arousal[n]),
                energy=float(r["energy"]),
                tempo=float(r["tempo"]),
                loudness_lufs=float(r["loudness"]),
                mode=int(float(r["mode"])),
                brightness=1.0 - float(r["acousticness"]),
                source="spotify-32k",
                extra=extra,
            )
        )
    return out


def jittered(tracks: list[Track], n: int, seed: int = 0) -> list[Track]:
    """A catalogue of `n` tracks resampled from `tracks` with small jitter (for scale benchmarks)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = tracks[int(rng.integers(len(tracks)))]
        j = rng.normal(0, 0.03, 4)
        out.append(
            Track(
                id=f"{t.id}~{i}",
                location=t.location,
                title=t.title,
                artist=t.artist,
                valence=float(np.clip(t.valence + j[0], -1, 1)),
                arousal=float(np.clip(t.arousal + j[1], -1, 1)),
                energy=float(np.clip(t.energy + j[2], 0, 1)),
                tempo=t.tempo * (1 + float(j[3])),
                loudness_lufs=t.loudness_lufs,
                mode=t.mode,
                brightness=t.brightness,
                source=t.source,
                extra=dict(t.extra),
            )
        )
    return out


@dataclass(frozen=True)
class Listener:
    """A simulated person; everything here is hidden from the recommenders."""

    name: str
    style: str
    taste: tuple[float, ...]
    offset: tuple[float, float]
    atypical_days: frozenset[int]
    atypical_mix: int
    seed: int

    def wants(self, mood: str, valence: float, arousal: float) -> tuple[float, float]:
        """The valence/arousal this person wants to hear in this (true) mood."""
        ov, oa = self.offset
        if self.style == "uplifter":
            return (0.6 + ov, 0.1 + oa)
        if self.style == "angry_loud" and mood in ("angry", "disgust", "fear"):
            return (-0.3 + ov, 0.9)
        return (valence + ov, arousal + oa)

    def utility(self, track: Track, mood: str, valence: float, arousal: float) -> float:
        dv, da = self.wants(mood, valence, arousal)
        mood_term = ((track.valence - dv) ** 2 + (track.arousal - da) ** 2) / (2 * 0.35**2)
        t = np.array([track.extra.get(k, 0.0) for k in TASTE])
        taste_term = float(((t - np.array(self.taste)) ** 2).sum()) / (2 * 0.3**2)
        return -(mood_term + 0.6 * taste_term)


def make_listener(name: str, style: str, catalogue: list[Track], rng: np.random.Generator) -> Listener:
    anchor = catalogue[int(rng.integers(len(catalogue)))]
    taste = tuple(float(np.clip(anchor.extra.get(k, 0.0) + rng.normal(0, 0.05), 0, 1)) for k in TASTE)
    days = rng.choice(np.arange(1, 10), size=3, replace=False)
    return Listener(
        name=name,
        style=style,
        taste=taste,
        offset=(float(rng.normal(0, 0.12)), float(rng.normal(0, 0.12))),
        atypical_days=frozenset(int(d) for d in days),
        atypical_mix=int(rng.integers(len(ATYPICAL_MIXES))),
        seed=int(rng.integers(1 << 30)),
    )


@dataclass(frozen=True)
class Moment:
    """One track slot of a listener's life: true mood, what the camera reports, the time."""

    index: int
    day: int
    atypical: bool
    true_mood: str
    true_va: tuple[float, float]
    seen: Mood
    now: float


def moments(listener: Listener, n_tracks: int, offset_s: float = 0.0) -> Iterator[Moment]:
    """The listener's mood trajectory, sampled once per track (reproducible per listener)."""
    rng = np.random.default_rng(listener.seed)
    mood = "neutral"
    for i in range(n_tracks):
        day = i // TRACKS_PER_DAY
        atypical = day in listener.atypical_days
        mix = ATYPICAL_MIXES[listener.atypical_mix] if atypical else USUAL_MIX
        if i % TRACKS_PER_DAY == 0 or rng.random() < 0.2:
            names = list(mix)
            mood = str(rng.choice(names, p=np.array([mix[k] for k in names])))
        v, a = MOOD_POINTS[mood]
        tv = float(np.clip(v + rng.normal(0, 0.12), -1, 1))
        ta = float(np.clip(a + rng.normal(0, 0.12), -1, 1))
        seen_class = mood
        if rng.random() < 0.15:
            seen_class = str(rng.choice([m for m in MOOD_POINTS if m not in (mood, "unknown", "contempt")]))
        conf = float(rng.uniform(0.45, 0.95))
        seen = Mood(
            seen_class,
            conf,
            float(np.clip(tv + rng.normal(0, 0.15), -1, 1)),
            float(np.clip(ta + rng.normal(0, 0.15), -1, 1)),
        )
        now = T0 + day * DAY_S + (i % TRACKS_PER_DAY) * TRACK_S + offset_s
        yield Moment(i, day, atypical, mood, (tv, ta), seen, now)


#: The seeds' one-size-fits-all table: mood class -> music valence/arousal (sad gets sad music,
#: agitated moods get calming music, happy gets happy music).
FIXED_TABLE: Final = {
    "happy": (0.7, 0.5),
    "surprise": (0.5, 0.6),
    "neutral": (0.3, 0.0),
    "sad": (-0.5, -0.5),
    "angry": (0.2, -0.5),
    "disgust": (0.2, -0.4),
    "fear": (0.3, -0.5),
    "unknown": (0.3, 0.0),
}


def accepts(listener: Listener, track: Track, m: Moment, rng: np.random.Generator) -> bool:
    """Keep or skip: hidden utility plus noise against a fixed threshold."""
    u = listener.utility(track, m.true_mood, *m.true_va)
    return u + float(rng.normal(0, 0.6)) > -2.0


def accept_probability(u: float) -> float:
    """P(keep) for a utility (for reporting what a perfect recommender could reach)."""
    return 0.5 * (1 + math.erf((u + 2.0) / (0.6 * math.sqrt(2))))
