"""A second LAN source: an OpenSubsonic-compatible server (Navidrome, Gonic, Airsonic...).

Such servers know tags but not how music feels, so new songs are downloaded once (`stream` with
`format=raw`), staged beside the download cache (`analysing/`, below) and analysed there by the same
worker pool as local files, and kept in a mirror index (a LibraryIndex database per server) with the
stream URL as their location.  The protocol (the song list, the salted-token authentication, the
password) is library.lan.subsonicapi's; the password itself is never stored in the mirror.  A song
that vanished from a *complete* listing is removed; a failed or partial listing removes nothing.

A song's audio is known by a fingerprint of what the listing says of its file (`song_version`:
size, format, bit rate, length, when it was added; the API has no change date for a song), kept per
song in the mirror (`VERSIONS`).  A song listed with another fingerprint than the one it was
analysed from was changed on the server (re-encoded, replaced): the sync downloads and analyses it
again.  Its tags are not part of it: a song retagged in a file of the same size keeps its analysis
(and its ReplayGain, unless the listing gives another), and the mirror takes its new tags.  A song
larger than the whole download cache (lan.transfer: refused, nothing kept) cannot be analysed nor
played from this server: its refusal is kept (`REFUSED`, with the bound it was refused at, and a
problem `library stats` lists), so it is tried again only when its file changes on the server or
library.server_cache_mb grows, not at every sync (a server that gives no length had the sync
download up to the bound, 2 GB by default, each time to learn the same).

Played songs are kept like a library server's tracks (audiocache: bounded by
library.server_cache_mb, named by the fingerprint, so a changed song's old copy is never played and
goes at the next sweep with those of removed songs; held while playing): `playing` is what the
player plays through (lan.downloads), so a song heard before plays again without the server.  A
play whose download fails is noted in the mirror until the song downloads, as a library server's
track is (lan.mirror: `library stats`, the data export, the privacy retention reach it).  The
download an analysis made stays there too, set aside (audiocache: first to go when room is needed,
never a played song's copy for it), so a new song's first play is not a second download of it.
While it is analysed it is staged beside the cache (`analysing/`, where no sweep looks) and moves
in once its analysis is in the mirror: held in the cache, a sweep could not delete it yet counted
its bytes, so a play's sweep meanwhile deleted played songs' copies to get under the bound.  Its
bytes count against the bound all the same: only set-aside copies make room for them, and a group is
as many songs as fit (subsonicsongs.next_group and CacheFolder.room_for say what may still pass the
bound, and why; so may a play's download until the sweep after it, and files in use).

Server URL form: http(s)://user:password@host:port[/prefix]
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from moodspeaker.config.schema import LibraryConfig
from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.index import track_id, track_row
from moodspeaker.library.lan.audiocache import AudioCache, DownloadError
from moodspeaker.library.lan.client import LanError, note_sync, slug
from moodspeaker.library.lan.mirror import MirroredLibrary, SyncGuard, WaitCheck
from moodspeaker.library.lan.subsonicapi import SubsonicApi
from moodspeaker.library.lan.subsonicgroup import analyse_group
from moodspeaker.library.lan.subsonicsongs import (
    NOT_AUDIO,
    REFUSED,
    UNFETCHED,
    VERSIONS,
    SubsonicSync,
    known_versions,
    listed_size,
    next_group,
    refusals,
    song_tags,
    song_version,
    to_analyse,
)
from moodspeaker.library.workers import AnalysisPool

__all__ = ["SubsonicLibrary", "SubsonicSync", "song_version"]

log = logging.getLogger(__name__)


class SubsonicLibrary(MirroredLibrary):
    """tracks()/get()/query() from the mirror; sync() lists, downloads and analyses new or changed
    songs; playing() gives a song's file from the download cache (kept up to `audio_cache_bytes`,
    by default library.server_cache_mb)."""

    def __init__(
        self,
        url: str,
        cache_dir: str | Path,
        timeout_s: float = 10.0,
        audio_cache_bytes: int | None = None,
        numba_cache: str | Path | None = None,
    ) -> None:
        """`numba_cache`: the JIT cache of a sync's own worker (library.numba_cache_dir(config), as
        every analyser's; else $NUMBA_CACHE_DIR, else numba's default: a cache compiled anew)."""
        self.numba_cache = numba_cache or os.environ.get("NUMBA_CACHE_DIR") or None
        self.api = SubsonicApi(url, timeout_s)  # the password stays in there (its module doc)
        self.base_url = self.api.base_url
        self.source = f"subsonic:{self.base_url}"
        super().__init__(Path(cache_dir) / ("subsonic-" + slug(self.base_url)))
        if audio_cache_bytes is None:
            audio_cache_bytes = LibraryConfig().server_cache_mb * 2**20
        #: the staged analysis copies count against its bound (CacheFolder.sweep, `next_group`)
        self.audio = AudioCache(self.root / "audio", audio_cache_bytes, counted=self.root / "analysing")
        self.audio_dir = self.audio.folder
        #: the analysis downloads of a sync, until their analysis is in the mirror (module doc)
        self.staging = AudioCache(self.root / "analysing", audio_cache_bytes)
        #: a play's download waits longer than a question: a NAS may wake its disks first
        self.stream_timeout_s = max(timeout_s, 20.0)
        self.last_error: str | None = None
        #: the fingerprints' JSON as last read, by song id and by track id (`_versions_by_song`)
        self._memo: tuple[str | None, dict[str, str], dict[str, str]] = (None, {}, {})

    # -- protocol (library.lan.subsonicapi) ----------------------------------------------------------
    def list_songs(self) -> list[dict[str, Any]]:
        """Every song on the server (SubsonicApi.list_songs)."""
        return self.api.list_songs()

    def song_of(self, url: str) -> str | None:
        """The song id of a stream URL of this server (a mirrored location: SubsonicApi.song_of)."""
        return self.api.song_of(url)

    # -- sync --------------------------------------------------------------------------------------
    def sync(
        self,
        pool: AnalysisPool | None = None,
        model: EmotionModel | None = None,
        *,
        guard: SyncGuard | None = None,
        waiting: WaitCheck | None = None,
    ) -> SubsonicSync:
        """List the server's songs, analyse the new and changed ones, drop the ones gone; LanError if
        unreachable.  The downloads of songs gone or changed are deleted (and any beyond the bound).

        Without a `pool`, one worker is started for this sync (only if there is something new).  A
        sync of this server in progress (here or in another process) is waited for (`_one_sync`;
        `guard` runs under its lock, `waiting` is called while it waits for it).
        """
        if pool is None:
            with AnalysisPool(1, numba_cache_dir=self.numba_cache) as own:
                return self.sync(own, model, guard=guard, waiting=waiting)
        with self._one_sync(guard, waiting):
            return self._sync(pool, model)

    def _sync(self, pool: AnalysisPool, model: EmotionModel | None) -> SubsonicSync:
        with contextlib.suppress(OSError):  # leftovers of a sync cut short (a power cut, an error)
            self.staging.clear()
        self._forget_tokens()  # before the server is asked: a server gone for good has them too
        model = model or EmotionModel.load()
        result = SubsonicSync()
        try:
            self.api.call("ping")
            songs = self.list_songs()
        except LanError as exc:
            self.last_error = str(exc)
            note_sync(self.cache, self.last_error)
            self.audio.tidy(self._versions)
            raise
        result.listed = len(songs)
        listed = {str(s["id"]): s for s in songs}
        now = {sid: song_version(s) for sid, s in listed.items()}
        versions = known_versions(self.cache.meta, now, self.base_url)
        with self.cache.batch() as b:
            for sid in set(versions) - set(listed):
                b.remove_id(self._track(sid))
                result.removed += 1
                b.clear_problem(f"{self.source}/{sid}")  # its failed analysis or refusal too,
                if b.clear_problem(f"{self.source}/{self._track(sid)}"):  # and a failed play's note
                    self._scrub_later(b)  # (mirror.forget_failed_downloads; only then: SD-card wear)
            gone = {f"{self.source}/{sid}" for sid in set(versions) - set(listed)}  # their notes went
            for (noted,) in self.cache.db.query("SELECT path FROM problems WHERE kind = ?", (UNFETCHED,)):
                sid = str(noted).removeprefix(f"{self.source}/")  # a new song that never downloaded
                if sid not in listed and noted not in gone:  # is in no `versions`: gone, its note goes
                    b.clear_problem(str(noted))
            versions = {sid: v for sid, v in versions.items() if sid in listed}
            b.set_meta(VERSIONS, json.dumps(versions, sort_keys=True))
        self._scrub_if_due()
        refused = refusals(self.cache.meta(REFUSED), versions, now)
        todo = to_analyse(listed, versions, now, refused, self.audio.max_bytes)
        result.retagged = self._retag([sid for sid in listed if versions.get(sid) == now[sid]], listed)
        sizes = {sid: listed_size(listed[sid], self.audio.max_bytes) for sid in todo}
        while todo:  # download a few, analyse them, sweep: bounded disk use (`next_group`)
            group = next_group(todo, sizes, self.audio.aside_room())
            self.audio.tidy(self._versions, room=sum(sizes[sid] for sid in group))  # room made first
            todo = todo[len(group) :]
            todo[:0] = analyse_group(  # (those it found no room for: first of the next group)
                self,
                group,
                listed=listed,
                now=now,
                versions=versions,
                refused=refused,
                pool=pool,
                model=model,
                result=result,
            )
            self.audio.tidy(self._versions)
        self.last_error = None
        note_sync(self.cache, None)
        self.audio.tidy(self._versions)
        return result

    def _forget_tokens(self) -> None:
        """A mirror made before `SubsonicApi.location` kept each song's stream URL with the user's
        salted token (a credential, replayable until the password changes): its rows are given the
        location without it, and the files scrubbed of the old ones (SQLite keeps a rewritten row's
        old bytes in free pages and the log).  Migrated here, once, not stripped at each read: the
        token would stay in the file (and its backups) for as long as the mirror lives.  Until
        then such rows play all the same: `song_of` reads the song id of either form."""
        rows = self.cache.db.query("SELECT id, location FROM tracks WHERE location LIKE '%?%'")
        ids = {str(r["id"]) for r in rows if self._canonical(str(r["location"])) not in (None, r["location"])}
        if ids:
            with self.cache.batch() as b:
                for t in self.cache.get_many(ids).values():
                    b.put_remote({**track_row(t), "location": self._canonical(t.location)}, self.source)
                self._scrub_later(b)  # in the same transaction: a process stopped before the scrub
            log.info("%s: %d mirrored locations no longer carry a token", self.base_url, len(ids))
        self._scrub_if_due()  # (also one an earlier process owed: the tokens are in no row by then)

    def _canonical(self, location: str) -> str | None:
        """The location the mirror keeps for a stream URL of this server (None: not one)."""
        song = self.api.song_of(location)
        return None if song is None else self.api.location(song)

    def _copy(self, song_id: str, version: str) -> Path:
        """The song's file as listed now (fingerprint `version`) downloaded into the staging for
        its analysis (module doc)."""
        url = self.api.url("stream", id=song_id, format="raw")
        return self.staging.get(
            url,
            self._track(song_id),
            version,
            timeout_s=self.stream_timeout_s,
            refused_types=NOT_AUDIO,
            use=False,
        )[0]

    def _track(self, song_id: str) -> str:
        """The mirror's id of a song (its downloads are named by it too)."""
        return track_id(f"{self.base_url}#{song_id}")

    def _retag(self, sids: list[str], listed: Mapping[str, Mapping[str, Any]]) -> int:
        """The mirror takes the tags of these songs (their files unchanged) where they changed on the
        server (a retag that kept the file's size), keeping their analysis, and their ReplayGain when
        the listing gives none: the gain measures the audio, which a retag leaves as it was, and a
        listing without it (a server that lists it in some answers only) is no news that it went.  A
        gain the listing gives is taken (a corrected one); so is its track peak (songs analysed before
        the mirror kept peaks get theirs so, without being analysed again).  Returns how many."""
        by_track = {self._track(sid): sid for sid in sids}
        rows = []
        for tid, t in self.get_many(by_track).items():
            tags = song_tags(listed[by_track[tid]])
            for said in ("replaygain_db", "peak"):
                if tags[said] is None:
                    del tags[said]  # none said: the mirror's stays, and is no change
            if tags != {k: getattr(t, k) for k in tags}:
                rows.append({**track_row(t), "location": t.location, **tags})  # as a mirror moves a row
        if rows:
            with self.cache.batch() as b:
                for row in rows:
                    b.put_remote(row, self.source)
        return len(rows)

    # -- audio -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def playing(self, song_id: str) -> Iterator[Path]:
        """The song's file, from the download cache or downloaded into it, kept for the block: no
        sync or download deletes it meanwhile.  LanError when it is not there and cannot be fetched."""
        try:
            with self.audio.held(lambda: self.fetch(song_id)) as path:
                yield path
        except DownloadError as exc:
            raise LanError(f"{self.base_url} stream of {song_id}: {exc}") from exc

    def fetch(self, song_id: str) -> Path:
        """The song's file in the download cache, downloaded now if need be (LanError when it cannot
        be, noted in the mirror until the song downloads: module doc).  A later sweep may delete it:
        `playing` holds it."""
        try:
            return self._fetch(song_id)
        except DownloadError as exc:
            error = LanError(f"{self.base_url} stream of {song_id}: {exc}")
            self._note_failed_download(self._track(song_id), str(error))
            raise error from exc

    def _fetch(self, song_id: str) -> Path:
        version = self._versions_by_song()[0].get(song_id, "")  # "": not mirrored, not kept
        path, new = self.audio.get(
            self.api.url("stream", id=song_id, format="raw"),
            self._track(song_id),
            version,
            timeout_s=self.stream_timeout_s,
            refused_types=NOT_AUDIO,
        )
        if new:
            self._downloaded(self._track(song_id))
            self.audio.tidy(self._versions, keep=path)
        return path

    def cached_audio(self, song_id: str) -> Path | None:
        """The song's download as mirrored now, made earlier (playable without the server)."""
        path = self.audio.path(self._track(song_id), self._versions_by_song()[0].get(song_id, ""))
        return path if path.is_file() else None

    def _versions(self, ids: Iterable[str]) -> dict[str, str]:
        """The current fingerprint of each of these mirrored tracks (by the mirror's ids)."""
        by_track = self._versions_by_song()[1]
        mirrored = self.get_many(set(ids) & set(by_track))  # a song that failed analysis has none
        return {tid: by_track[tid] for tid in mirrored}

    def _versions_by_song(self) -> tuple[dict[str, str], dict[str, str]]:
        """The fingerprints the mirror has now ({song id: fingerprint}, and the same by the mirror's
        track id), read without making a mirror; read again only when they changed."""
        with self._lock:
            raw = self._cache.meta(VERSIONS) if self._reading() and self._cache else None
        if raw != self._memo[0]:
            by_song = {str(k): str(v) for k, v in json.loads(raw or "{}").items()}
            self._memo = (raw, by_song, {self._track(sid): v for sid, v in by_song.items()})
        return self._memo[1], self._memo[2]
