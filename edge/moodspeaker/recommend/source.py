"""Where the recommender's tracks come from, and the per-catalogue arrays it scores on.

Any object with `tracks()` and `feature_matrix()` will do: the library's `LibraryIndex`, a LAN
client, or `Catalogue` (an in-memory list of tracks: the simulator, benchmarks, and a library that
is only a list).  `CatalogueView` turns a source into aligned numpy arrays once per library change,
so that one recommendation over 100k tracks is a handful of vector operations.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from moodspeaker.library.track import Track
from moodspeaker.recommend.content import FEATURE_COLUMNS, FloatArray, normalise
from moodspeaker.recommend.preference import TASTE_KEYS, TrackBase, taste_vector

log = logging.getLogger(__name__)


class TrackSource(Protocol):
    """What the recommender reads: the library index or anything shaped like it."""

    def tracks(self) -> list[Track]: ...
    def feature_matrix(self) -> tuple[list[str], Any]: ...


def track_features(track: Track) -> tuple[float, ...]:
    """A track's raw features in `FEATURE_COLUMNS` order."""
    return tuple(float(getattr(track, c)) for c in FEATURE_COLUMNS)


def track_taste(track: Track) -> tuple[float, ...]:
    return taste_vector(track.extra)


class Catalogue:
    """An in-memory track source with the same shape as the library index."""

    def __init__(self, tracks: Sequence[Track]) -> None:
        self._set(tracks)

    def _set(self, tracks: Sequence[Track]) -> None:
        self._tracks = list(tracks)
        self._by_id = {t.id: t for t in self._tracks}
        self._ids = [t.id for t in self._tracks]
        self._X = np.array([track_features(t) for t in self._tracks], np.float32).reshape(
            len(self._tracks), len(FEATURE_COLUMNS)
        )

    def tracks(self) -> list[Track]:
        return list(self._tracks)

    def get(self, track_id: str) -> Track | None:
        return self._by_id.get(track_id)

    def feature_matrix(self) -> tuple[list[str], FloatArray]:
        return self._ids, self._X

    def has_tracks_under(self, folder: str) -> bool:
        """Whether a track's location is inside `folder` (as LibraryIndex.has_tracks_under)."""
        prefix = folder.rstrip(os.sep) + os.sep
        return any(t.location.startswith(prefix) for t in self._tracks)

    def remove(self, track_id: str) -> None:
        """Drop a track (a file deleted or a LAN server gone) — used by tests of vanishing tracks."""
        self._set([t for t in self._tracks if t.id != track_id])


def song_key(track: Track) -> tuple[str, str] | None:
    """The song a track is by its tags, None without both an artist and a title (untagged files'
    names such as "Track 01" say nothing about the song)."""
    artist, title = track.artist.casefold().strip(), track.title.casefold().strip()
    return (artist, title) if artist and title else None


def artist_key(artist: str) -> str:
    """The artist the no-same-artist-twice rule compares: the first (primary) of the artists a tag
    names, which the library joins with "; " ("Alice" of "Alice; Bob"), casefolded: a song of Alice
    with Bob and one of Alice alone are the same artist twice in a row."""
    return artist.split("; ", 1)[0].casefold().strip()


class CatalogueView:
    """Aligned arrays over a source's tracks: normalised features, analysed mask, artists, taste."""

    def __init__(self, ids: list[str], matrix: Any, tracks: Sequence[Track]) -> None:
        by_id = {t.id: t for t in tracks}
        raw = np.asarray(matrix, np.float32).reshape(len(ids), len(FEATURE_COLUMNS))
        seen: set[str] = set()
        keep = []
        for n, i in enumerate(ids):  # rows without a track record, or a second copy of an id, go
            if i in by_id and i not in seen:
                seen.add(i)
                keep.append(n)
        if len(keep) != len(ids):
            log.info("%d feature rows without a track record or duplicated; ignored", len(ids) - len(keep))
        row_ids = [ids[n] for n in keep]
        in_rows = set(row_ids)
        extra = [t.id for t in tracks if t.id not in in_rows] if len(by_id) > len(row_ids) else []
        self.ids: list[str] = row_ids + extra
        self.tracks: list[Track] = [by_id[i] for i in self.ids]
        z = normalise(raw[keep]) if keep else np.zeros((0, len(FEATURE_COLUMNS)), np.float32)
        if extra:
            z = np.vstack([z, np.full((len(extra), len(FEATURE_COLUMNS)), np.nan, np.float32)])
        self.analysed = np.all(np.isfinite(z), axis=1)
        #: normalised features, NaN (unanalysed) replaced by 0 so arithmetic stays finite
        self.z: FloatArray = np.where(np.isfinite(z), z, 0.0).astype(np.float32)
        self.row: dict[str, int] = {i: n for n, i in enumerate(self.ids)}
        names: dict[str, int] = {}
        self.artists: npt.NDArray[np.int64] = np.array(
            [names.setdefault(artist_key(t.artist), len(names)) for t in self.tracks], np.int64
        )
        self.artist_code = names
        #: rows of the same song by its tags (artist and title): one song in two files (a copy, the
        #: single and the album) counts as one for the no-repeat rule; only songs found twice are kept
        songs: dict[tuple[str, str], list[int]] = {}
        for n, t in enumerate(self.tracks):
            key = song_key(t)
            if key is not None:
                songs.setdefault(key, []).append(n)
        self.twins: dict[int, list[int]] = {r: rows for rows in songs.values() if len(rows) > 1 for r in rows}
        self.taste: FloatArray = np.array([track_taste(t) for t in self.tracks], np.float32).reshape(
            len(self.tracks), len(TASTE_KEYS)
        )
        self.source_ids = ids
        #: column-major copies (features x tracks) for fast weighted column sums
        self.z_cols: FloatArray = np.ascontiguousarray(self.z.T)
        self.z_sq_cols: FloatArray = self.z_cols * self.z_cols
        self.base = TrackBase(self.taste, self.z)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def n_analysed(self) -> int:
        return int(self.analysed.sum())


def empty_reason(source: TrackSource) -> str:
    """Why there is nothing to play, in a sentence (a library still being analysed, or none).

    Files kept out as shorter than library.min_track_s count among the failed in the index's
    stats (`short` says how many): a folder of ringtones is not "failed analysis", and the
    sentence names the setting that keeps them out."""
    stats = getattr(source, "stats", None)
    if callable(stats):
        try:
            info = stats()
            pending = int(info.get("pending", 0))
            failed = int(info.get("failed", 0))
            short = min(int(info.get("short", 0)), failed)
        except Exception as exc:  # a broken source must not break planning
            log.warning("library stats unavailable: %s", exc)
        else:
            if pending:
                return f"the library is not analysed yet: {pending} tracks waiting for analysis"
            if failed and short == failed:
                return (
                    f"no playable tracks: all {short} files are shorter than library.min_track_s "
                    "(ringtones, jingles?); lower it to play them (see `library stats`)"
                )
            if short:
                return (
                    f"no playable tracks: {short} files shorter than library.min_track_s and "
                    f"{failed - short} that failed analysis (see `library stats`)"
                )
            if failed:
                return f"no playable tracks: all {failed} tracks failed analysis (see `library stats`)"
    return "the library is empty: add a music folder or a LAN server in the settings"
