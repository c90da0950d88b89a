"""Writes to the library database: one `Batch` is one transaction (see LibraryIndex.batch()).

Every row a batch touches is stamped with the batch's change number, which is what LAN clients
sync on; removals leave a tombstone with that number.

A track's id is made from where its file was first found (`track_id`) and kept when the file is moved
or renamed (`move_file`): likes, dislikes, plays and LAN clients' mirrors know a track by its id.  So a
file is written to by its location (`id_at`), never by the id its location would make: that id may
be a moved file's, and a file new at a moved one's old place gets another (`_new_id`).
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Features copied into Track.extra (the full set stays in the `features` table).
EXTRA_KEYS: tuple[str, ...] = (
    "key",
    "key_clarity",
    "mode_strength",
    "pulse_clarity",
    "onset_rate",
    "dynamic_range_db",
    "rms_db",
    "centroid_hz",
    "flatness",
)


#: How the reason of a file kept out for being shorter than library.min_track_s begins (see set_short):
#: wording for people; such a file is told apart by its status, `short`.
SHORT_REASON = "too short for music"


@dataclass(frozen=True)
class Tags:
    title: str = ""
    artist: str = ""
    album: str = ""
    duration_s: float = 0.0
    replaygain_db: float | None = None
    #: the ReplayGain track peak tag (library.tags.peak_from), which Track.peak takes before the analysis's
    peak: float | None = None


#: which reading of a file's tags a row holds (tracks.tags_read, db migration 5): 1 reads the ReplayGain
#: track peak, an MP3's TXXX and an M4A's freeform gain.  A row under it is read again by the next scan
#: (Indexer); raise it when library.tags reads a tag it did not, and the files indexed before get it.
TAGS_READ = 1


def peak_of(features: Mapping[str, Any]) -> float | None:
    """A track's sample peak (Track.peak) from its analysis's features: the channels' (`peak_channels`),
    else the older analyses' peak of the mono mix (`peak`, a little under it at most), else None (not
    known: playback boosts as it did without one)."""
    return a_peak(features.get("peak_channels", features.get("peak")))


def a_peak(value: object) -> float | None:
    """`value` as a Track.peak: a finite number above 0, else None (a LAN server's row may hold anything)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    return None


def track_id(location: str) -> str:
    """The id of a track first found at `location` (kept across re-analysis, and when its file is
    moved or renamed: Batch.move_file; so feedback survives).  Not how to find a file's track: a moved
    file's id was made from its old place, see Batch.id_at."""
    return hashlib.blake2b(location.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


class Batch:
    """Writes of one transaction; every row touched is stamped with the batch's change number."""

    def __init__(self, conn: sqlite3.Connection, change: int, now: float) -> None:
        self.conn = conn
        self.change = change
        self.now = now

    def upsert_file(
        self, location: str, size: int, mtime_ns: int, content_hash: str, tags: Tags, *, source: str = "local"
    ) -> str:
        """A new or changed file: tags stored, status `pending` until its analysis is written.  Returns
        its id: the one of the row at `location` (also a moved file's), else a new one."""
        tid = self.id_at(location) or self._new_id(location)
        self.conn.execute(
            "INSERT INTO tracks (id, location, source, title, artist, album, duration_s, replaygain_db,"
            " size, mtime_ns, content_hash, status, error, changed, tag_peak, tags_read)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,'pending','',?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET title=excluded.title, artist=excluded.artist,"
            " album=excluded.album, duration_s=excluded.duration_s, replaygain_db=excluded.replaygain_db,"
            " size=excluded.size, mtime_ns=excluded.mtime_ns, content_hash=excluded.content_hash,"
            " status='pending', error='', changed=excluded.changed, tag_peak=excluded.tag_peak,"
            " tags_read=excluded.tags_read",
            (tid, location, source, tags.title, tags.artist, tags.album, tags.duration_s,
             tags.replaygain_db, size, mtime_ns, content_hash, self.change, tags.peak, TAGS_READ),
        )  # fmt: skip
        self.conn.execute("DELETE FROM removed WHERE id = ?", (tid,))
        return tid

    def retag_file(self, location: str, size: int, mtime_ns: int, content_hash: str, tags: Tags) -> bool:
        """Same audio under a new stat (a tag editor, a touch, a copy back): the new stat and tags are
        stored and the analysis kept.  True when the tags changed; only then is the row stamped with
        this batch's change (LAN clients fetch the new title; a touch is no news to them)."""
        tid = self.id_at(location)
        return tid is not None and self._restat(tid, size, mtime_ns, content_hash, tags)

    def move_file(
        self, tid: str, location: str, size: int, mtime_ns: int, content_hash: str, *, tags: Tags
    ) -> bool:
        """Track `tid`'s file found at `location`, its old place gone (renamed or moved: a tagger's
        new folder names, an album moved into another folder): the row keeps its id, so the likes,
        dislikes and plays kept by that id (recommend.store, the player's saved queue, LAN clients'
        mirrors) stay the track's; its analysis is kept, and it takes the new location, stat and
        tags.  As for `retag_file`, the row is stamped with this batch's change only when the tags
        changed: LAN clients are sent no location (they stream by id), so a move alone is no news to
        them.  True when the tags changed."""
        self.conn.execute("UPDATE tracks SET location=? WHERE id=?", (location, tid))
        return self._restat(tid, size, mtime_ns, content_hash, tags)

    def _restat(self, tid: str, size: int, mtime_ns: int, content_hash: str, tags: Tags) -> bool:
        """The peak tag is a tag too: one added, changed or taken away (the analysis's peak again)
        changes the track's peak, which LAN clients fetch.  The row holds this version's reading of
        the tags (TAGS_READ) from then on, changed or not."""
        length = tags.duration_s if tags.duration_s > 0 else None
        peak = tags.peak if tags.peak is not None else self._analysis_peak(tid)
        retagged = self.conn.execute(
            "UPDATE tracks SET title=?, artist=?, album=?, replaygain_db=?,"
            " duration_s=COALESCE(?, duration_s), tag_peak=?, peak=?, changed=?"
            " WHERE id=? AND (title IS NOT ?"
            " OR artist IS NOT ? OR album IS NOT ? OR replaygain_db IS NOT ?"
            " OR duration_s IS NOT COALESCE(?, duration_s) OR tag_peak IS NOT ?)",
            (tags.title, tags.artist, tags.album, tags.replaygain_db, length, tags.peak, peak, self.change,
             tid, tags.title, tags.artist, tags.album, tags.replaygain_db, length, tags.peak),
        ).rowcount  # fmt: skip
        self.conn.execute(
            "UPDATE tracks SET size=?, mtime_ns=?, content_hash=?, tags_read=? WHERE id=?",
            (size, mtime_ns, content_hash, TAGS_READ, tid),
        )
        return bool(retagged)

    def _analysis_peak(self, tid: str) -> float | None:
        """The peak track `tid`'s stored analysis holds (peak_of), None without one that says it."""
        row = self.conn.execute("SELECT data FROM features WHERE id = ?", (tid,)).fetchone()
        try:
            features = json.loads(row[0]) if row is not None else None
        except ValueError:
            return None
        return peak_of(features) if isinstance(features, dict) else None

    def id_at(self, location: str) -> str | None:
        """The id of the track at `location`, None when there is none.  Not always track_id(location):
        a moved file keeps the id of its first place (`move_file`)."""
        row = self.conn.execute("SELECT id FROM tracks WHERE location = ?", (location,)).fetchone()
        return None if row is None else str(row[0])

    def _new_id(self, location: str) -> str:
        """An id for a file new at `location`: track_id(location), unless a file moved away from
        there still holds that one; then the first free id made from the location and a count."""
        tid, count = track_id(location), 0
        while self.conn.execute("SELECT 1 FROM tracks WHERE id = ?", (tid,)).fetchone() is not None:
            count += 1
            tid = track_id(f"{location}\x00{count}")
        return tid

    def moved_away(self, content_hash: str) -> list[tuple[str, str]]:
        """(id, location) of the analysed files of this machine with this content (a file found at a
        new place may be one of them, moved), as this batch sees them."""
        rows = self.conn.execute(
            "SELECT id, location FROM tracks WHERE content_hash = ? AND status = 'analysed'"
            " AND source = 'local' ORDER BY id",
            (content_hash,),
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def set_analysed(self, location: str, features: Mapping[str, float], values: Mapping[str, float]) -> None:
        """Store the full feature set and the Track columns (`values` has FEATURE_COLUMNS) of the file
        at `location` (nothing when none is indexed there).  Its peak is its ReplayGain peak tag's
        when it has one (of the whole file, where the analysis reads excerpts), else the analysis's."""
        tid = self.id_at(location)
        if tid is None:
            return
        extra = {k: float(features[k]) for k in EXTRA_KEYS if k in features}
        self.conn.execute(
            "UPDATE tracks SET status='analysed', error='', valence=?, arousal=?, energy=?, tempo=?,"
            " loudness_lufs=?, mode=?, brightness=?, extra=?, analysed_at=?, changed=?,"
            " peak=COALESCE(tag_peak, ?),"
            " duration_s = CASE WHEN duration_s > 0 THEN duration_s ELSE ? END WHERE id=?",
            (float(values["valence"]), float(values["arousal"]), float(values["energy"]),
             float(values["tempo"]), float(values["loudness_lufs"]), int(values["mode"]),
             float(values["brightness"]), json.dumps(extra), self.now, self.change,
             peak_of(features), float(values.get("duration_s", 0.0)), tid),
        )  # fmt: skip
        self.conn.execute(
            "INSERT INTO features (id, data) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET data=excluded.data",
            (tid, json.dumps(dict(features))),
        )

    def set_short(self, location: str, duration_s: float, min_track_s: float) -> str:
        """A file shorter than library.min_track_s: status `short`, kept out of the picks (and from LAN
        clients) like a failed one, with a reason that says so; its stat is kept, so a rescan costs one
        stat.  Returns the reason."""
        reason = f"{SHORT_REASON}: {duration_s:.1f} s, under library.min_track_s ({min_track_s:g} s)"
        self._set_status(location, "short", reason)
        return reason

    def set_failed(self, location: str, reason: str) -> None:
        self._set_status(location, "failed", reason)

    def _set_status(self, location: str, status: str, reason: str) -> None:
        self.conn.execute(
            "UPDATE tracks SET status=?, error=?, changed=? WHERE location=?",
            (status, reason[:2000], self.change, location),
        )

    def remove(self, location: str) -> None:
        """The file at `location` left the library (nothing when none is indexed there: a file moved
        away took its row, and its id, with it)."""
        tid = self.id_at(location)
        if tid is not None and self.conn.execute("DELETE FROM tracks WHERE id = ?", (tid,)).rowcount:
            self.conn.execute(
                "INSERT INTO removed (id, changed) VALUES (?, ?)"
                " ON CONFLICT(id) DO UPDATE SET changed=excluded.changed",
                (tid, self.change),
            )

    def problem(self, path: str, kind: str, reason: str) -> None:
        """A scan-level problem (unreadable folder, symlink loop, vanished file, bad name...)."""
        self.conn.execute(
            "INSERT INTO problems (path, kind, reason, seen_at) VALUES (?,?,?,?) ON CONFLICT(path)"
            " DO UPDATE SET kind=excluded.kind, reason=excluded.reason, seen_at=excluded.seen_at",
            (path, kind, reason[:2000], self.now),
        )

    def clear_problems(self, prefix: str) -> int:
        """Forget old problems under a folder being rescanned (found again if still there).  Returns
        how many went (a LAN mirror scrubs its files only when a note was deleted: SD-card wear)."""
        return self.conn.execute(
            "DELETE FROM problems WHERE path = ? OR substr(path, 1, ?) = ?",
            (prefix, len(prefix) + 1, prefix.rstrip("/") + "/"),
        ).rowcount

    def clear_problem(self, path: str) -> int:
        """Forget the problem noted for exactly `path` (a LAN mirror's note of one song or track).
        Not `clear_problems`: that one takes a folder, and an OpenSubsonic song id is an opaque
        string that may hold a "/" ("a" would clear "a/b"'s note too).  Returns how many went."""
        return self.conn.execute("DELETE FROM problems WHERE path = ?", (path,)).rowcount

    def put_remote(self, row: Mapping[str, Any], source: str) -> None:
        """Mirror an analysed track from a LAN server (the client's cache).  Its `peak` is optional: a
        server of a version before it sends none, and the track plays as before (Track.peak None)."""
        self.conn.execute(
            "INSERT INTO tracks (id, location, source, title, artist, album, duration_s, replaygain_db,"
            " status, valence, arousal, energy, tempo, loudness_lufs, mode, brightness, extra, changed,"
            " peak) VALUES (?,?,?,?,?,?,?,?,'analysed',?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET location=excluded.location, source=excluded.source,"
            " title=excluded.title, artist=excluded.artist, album=excluded.album,"
            " duration_s=excluded.duration_s, replaygain_db=excluded.replaygain_db, status='analysed',"
            " valence=excluded.valence, arousal=excluded.arousal, energy=excluded.energy,"
            " tempo=excluded.tempo, loudness_lufs=excluded.loudness_lufs, mode=excluded.mode,"
            " brightness=excluded.brightness, extra=excluded.extra, changed=excluded.changed,"
            " peak=excluded.peak",
            (str(row["id"]), str(row["location"]), source, str(row["title"]), str(row["artist"]),
             str(row.get("album", "")), float(row.get("duration_s", 0.0)), row.get("replaygain_db"),
             float(row["valence"]), float(row["arousal"]), float(row["energy"]), float(row["tempo"]),
             float(row["loudness_lufs"]), int(row["mode"]), float(row["brightness"]),
             json.dumps(row.get("extra", {})), self.change, a_peak(row.get("peak"))),
        )  # fmt: skip

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def remove_id(self, tid: str) -> bool:
        """Whether there was such a track (a mirror counts only removals it had to make)."""
        return bool(self.conn.execute("DELETE FROM tracks WHERE id = ?", (tid,)).rowcount)
