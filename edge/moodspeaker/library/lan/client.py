"""The speaker's LAN source: mirror a library server's index, stream its tracks, survive its absence.

The mirror is an ordinary LibraryIndex database (one per server), so the recommender reads it
like the local library, and it stays usable when the server is switched off.  Sync is incremental:
the client remembers the server's change counter and asks only for what changed after it; each
page is applied in one transaction together with the new cursor, so an interrupted sync resumes
where it stopped.  Rows that fail validation are skipped and recorded as problems; a response
that is not the expected JSON aborts the sync without touching the mirror.

A server whose database was replaced (a household re-installs its NAS: the change counter starts
again, below the cursor) is copied whole into a staging database beside the mirror, and the mirror
takes the copy in one transaction once it is complete.  Until then the speaker keeps playing from
what it mirrored; a copy that fails is deleted and leaves the mirror as it was, marked so that the
next sync copies the server whole again (by then the new counter may have passed the old cursor,
and its changes would look like those that follow the old library's).  A server says which database
it serves (`library_id` in `info`, made once with the database); a mirror that followed another one
copies the server whole too, which catches a new library whose counter is already past the cursor.
A server without it (an older release) is unknown, not different: the counter rule alone decides.

A mirror made by a version before rows carried the track's peak (Track.peak, `_ROWS`) holds none,
and following the server from its cursor never sends them: its rows did not change.  Its first sync
by this version copies the server whole instead (as for a replaced database: rows only, no audio
downloaded or analysed again), once; a server that sends no peak (an older release) is asked again
for them by its own upgrade (db migration 4 stamps its tracks with a peak as changed).

Downloaded audio is kept bounded and never gone or stale (audiocache): each sync and each download
sweeps the downloads of tracks no longer mirrored or mirrored in a newer version, and the least
recently used ones beyond `library.server_cache_mb`; `playing` holds a file against all of that.
The player plays a server's tracks through `playing` (the service hands it its clients:
lan.downloads), so a track heard before plays again from its download, with the server off too.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from moodspeaker.config.schema import LibraryConfig
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan import API_PREFIX, PROTOCOL_VERSION
from moodspeaker.library.lan.audiocache import AudioCache, DownloadError, version_of
from moodspeaker.library.lan.mirror import LanError, MirroredLibrary, SyncGuard, WaitCheck
from moodspeaker.library.lan.syncrows import (
    TRACK_ID,
    ServerReplacedError,
    SyncResult,
    identity_of,
    mirror_row,
    note_sync,
    validate_row,
)
from moodspeaker.util.net import mask_url, server_url_problem
from moodspeaker.util.sqlitefiles import SIDE_FILES

#: LanError too: its home is synclock.py now (the mirror's sync lock raises it), imported from here;
#: ServerReplacedError, SyncResult, note_sync and validate_row live in syncrows.py (the rows a sync checks)
__all__ = ["LanError", "LanLibrary", "ServerReplacedError", "SyncResult", "note_sync", "slug", "validate_row"]

log = logging.getLogger(__name__)

_CURSOR = "lan_cursor"
#: meta key of the mirror: "1" while the server's database was found replaced and not copied yet
_RECOPY = "lan_recopy"
#: the staging database a full copy is made in, beside the mirror's (deleted once it is taken or fails)
_STAGING = "recopy.db"
#: meta key of the mirror: the identity of the server's database it follows ("" or none: not known)
_IDENTITY = "lan_library_id"
#: meta key of the mirror: what its rows were written with; "peak" once they carry the peaks a server
#: sends (none: a mirror made before, copied whole once: module doc)
_ROWS = "lan_rows"
_WITH_PEAK = "peak"


def slug(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", url.split("://", 1)[-1]).strip("-")[:80] or "server"


class LanLibrary(MirroredLibrary):
    """A library server seen from a speaker: tracks(), get(), query() from the mirror; fetch() audio
    (kept up to `audio_cache_bytes`, by default library.server_cache_mb)."""

    def __init__(
        self,
        base_url: str,
        cache_dir: str | Path,
        timeout_s: float = 5.0,
        audio_cache_bytes: int | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"{mask_url(base_url)!r} is not a library server URL: it must start with http:// or https:// "
                "(a Moodspeaker library server), or subsonic+http:// or subsonic+https:// "
                "(an OpenSubsonic server)"
            )
        if problem := server_url_problem(base_url):  # its password would name the mirror and its errors
            raise ValueError(problem)
        self.base_url = base_url.rstrip("/")
        self.source = f"lan:{self.base_url}"
        super().__init__(Path(cache_dir) / slug(self.base_url))
        if audio_cache_bytes is None:
            audio_cache_bytes = LibraryConfig().server_cache_mb * 2**20
        self.audio = AudioCache(self.root / "audio", audio_cache_bytes)
        self.audio_dir = self.audio.folder
        self.timeout_s = timeout_s
        #: a download waits longer for the server than a sync's question: a NAS may wake its disks
        #: before the first byte of a file (the player's own downloads waited as long)
        self.stream_timeout_s = max(timeout_s, 20.0)
        self.last_error: str | None = None

    def stream_url(self, track_id: str) -> str:
        return f"{self.base_url}{API_PREFIX}/stream/{track_id}"

    # -- network ----------------------------------------------------------------------------------
    def _json(self, path: str) -> Any:
        url = f"{self.base_url}{API_PREFIX}/{path}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as resp:
                body = resp.read(64 * 1024 * 1024)
        except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
            raise LanError(f"{url}: {exc}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise LanError(f"{url}: not JSON ({exc})") from exc

    def info(self) -> dict[str, Any]:
        data = self._json("info")
        if not isinstance(data, dict) or data.get("service") != "moodspeaker-library":
            raise LanError(f"{self.base_url}: not a Moodspeaker library server")
        if data.get("protocol") != PROTOCOL_VERSION:
            raise LanError(f"{self.base_url}: protocol {data.get('protocol')!r}, expected {PROTOCOL_VERSION}")
        return data

    def sync(
        self, limit: int = 2000, *, guard: SyncGuard | None = None, waiting: WaitCheck | None = None
    ) -> SyncResult:
        """Bring the mirror up to date; raises LanError (the mirror keeps what it had) on failure.  A
        server whose database was replaced is copied whole first (module doc).  A sync of this
        server in progress (here or in another process) is waited for (`_one_sync`): a second whole
        copy deleted the first one's staging database while it was being written.  `guard` runs under
        that lock, `waiting` is called while it waits for it (MirroredLibrary._one_sync)."""
        with self._one_sync(guard, waiting):
            return self._sync(limit)

    def _sync(self, limit: int) -> SyncResult:
        try:
            identity = identity_of(self.info())
            if not self.cache.meta(_RECOPY) and self._another_library(identity):
                self._mark_replaced(f"{self.base_url} serves another library database ({identity})")
            if not self.cache.meta(_RECOPY) and self._rows_before_peaks():
                log.info("%s: the mirror was made before tracks' peaks were mirrored; copying its rows "
                         "again (no audio downloaded or analysed again)", self.base_url)  # fmt: skip
                with self.cache.batch() as b:
                    b.set_meta(_RECOPY, "1")
            if self.cache.meta(_RECOPY):
                result = self._copy_whole(limit, identity)
            else:
                result = SyncResult()
                try:
                    self._follow(self.cache, int(self.cache.meta(_CURSOR) or 0), limit, result, identity)
                except ServerReplacedError as exc:
                    self._mark_replaced(str(exc))
                    result = self._copy_whole(limit, identity)
        except LanError as exc:
            self.last_error = str(exc)
            note_sync(self.cache, self.last_error)
            self.audio.tidy(self._versions)  # pages applied before the failure may have removed tracks
            raise
        self.last_error = None
        note_sync(self.cache, None)
        self.audio.tidy(self._versions)
        return result

    def _another_library(self, identity: str | None) -> bool:
        """The server says it serves another database than the one the mirror followed (False when
        either is not known: an older server, a mirror made before identities)."""
        known = self.cache.meta(_IDENTITY) or None
        return identity is not None and known is not None and identity != known

    def _rows_before_peaks(self) -> bool:
        """The mirror holds rows written before they carried the track's peak (module doc): a track
        without one, and no mark that its rows are of this version's."""
        if self.cache.meta(_ROWS) == _WITH_PEAK:
            return False
        return bool(self.cache.db.query("SELECT 1 FROM tracks WHERE peak IS NULL LIMIT 1"))

    def _mark_replaced(self, why: str) -> None:
        log.warning("%s; copying the new library whole, playing from the mirror meanwhile", why)
        with self.cache.batch() as b:
            b.set_meta(_RECOPY, "1")

    def _follow(
        self, target: LibraryIndex, cursor: int, limit: int, result: SyncResult, identity: str | None
    ) -> None:
        """Apply the server's changes after `cursor` to `target`, page by page (each page notes the
        server's `identity` with the cursor, when the server said it)."""
        while True:
            page = self._json(f"changes?since={cursor}&limit={limit}")
            cursor = self._apply(target, page, cursor, result, identity)
            result.pages += 1
            if not page["more"]:
                return

    def _copy_whole(self, limit: int, identity: str | None) -> SyncResult:
        """Copy the server's whole library into the staging database, then make the mirror that copy
        in one transaction (readers see the old mirror or the new one, never a mix or nothing).  On
        failure the staging database goes and the mirror stays, still marked for a whole copy."""
        staging = self.root / _STAGING
        _delete_database(staging)  # what a copy cut short (a power cut) left
        copy = LibraryIndex(staging)
        try:
            staged = SyncResult()
            self._follow(copy, 0, limit, staged, identity)
            return self._take(copy, staged)
        finally:
            copy.close()
            _delete_database(staging)

    def _take(self, copy: LibraryIndex, staged: SyncResult) -> SyncResult:
        """The mirror becomes `copy`: its tracks, the problems its rows had, its cursor."""
        tracks = copy.tracks()
        keep = {t.id for t in tracks}
        problems = copy.stats()["problems"]
        result = SyncResult(updated=len(tracks), pages=staged.pages, rejected=staged.rejected)
        with self.cache.batch() as b:
            for t in self.cache.tracks():
                if t.id not in keep and b.remove_id(t.id):
                    result.removed += 1
            for t in tracks:
                b.put_remote(mirror_row(t), self.source)
            if b.clear_problems(self.source):  # the old server's rows and streams
                self._scrub_later(b)  # (mirror.forget_failed_downloads; only then: SD-card wear)
            for p in problems:
                b.problem(p["path"], p["kind"], p["reason"])
            b.set_meta(_CURSOR, copy.meta(_CURSOR) or "0")
            b.set_meta(_IDENTITY, copy.meta(_IDENTITY) or "")  # none: the new server does not say
            b.set_meta(_RECOPY, "")
            b.set_meta(_ROWS, _WITH_PEAK)
        log.info(
            "%s: the new library copied whole (%d tracks, %d gone)",
            self.base_url,
            len(tracks),
            result.removed,
        )
        return result

    def _apply(
        self, target: LibraryIndex, page: Any, cursor: int, result: SyncResult, identity: str | None
    ) -> int:
        ok = (
            isinstance(page, dict)
            and isinstance(page.get("tracks"), list)
            and isinstance(page.get("removed"), list)
            and isinstance(page.get("next"), int)
            and isinstance(page.get("more"), bool)
        )
        if not ok:
            raise LanError(f"{self.base_url}: malformed changes page")
        nxt = int(page["next"])
        if nxt < cursor:
            went_back = f"the server's change counter went back ({nxt} < {cursor})"
            raise ServerReplacedError(f"{self.base_url}: {went_back}")
        with target.batch() as b:
            for row in page["tracks"]:
                reason = validate_row(row)
                if reason is not None:
                    rid = str(row.get("id", "?"))[:64] if isinstance(row, Mapping) else "?"
                    result.rejected.append((rid, reason))
                    b.problem(f"{self.source}/{rid}", "bad-row", reason)
                    continue
                b.put_remote({**row, "location": self.stream_url(row["id"])}, self.source)
                result.updated += 1
            for tid in page["removed"]:
                if isinstance(tid, str) and b.remove_id(tid):  # a first sync gets every removal ever
                    result.removed += 1
            b.set_meta(_CURSOR, str(nxt))
            b.set_meta(_ROWS, _WITH_PEAK)
            if identity is not None:
                b.set_meta(_IDENTITY, identity)
        return nxt

    # -- audio -----------------------------------------------------------------------------------
    def cached_audio(self, track_id: str) -> Path | None:
        """The local copy of the track as mirrored now, fetched earlier (playable without the server)."""
        if not TRACK_ID.match(track_id):
            return None
        path = self.audio.path(track_id, self._versions([track_id]).get(track_id, ""))
        return path if path.is_file() else None

    def fetch(self, track_id: str, chunk: int = 256 * 1024) -> Path:
        """Download a track (resuming a partial download with a Range request); returns the file.

        A server that disappears mid-stream raises LanError (also recorded as a problem of the
        mirror, until the track is downloaded, or forgotten by the privacy retention or "delete
        everything": mirror.py); the partial file stays for the next try.  The file
        may be deleted by a later sweep (module doc): `playing` holds it.
        """
        try:
            return self._fetch(track_id, chunk)
        except LanError as exc:
            self._note_failed_download(track_id, str(exc))
            raise

    @contextlib.contextmanager
    def playing(self, track_id: str) -> Iterator[Path]:
        """The track's file, fetched if need be, kept for the block: no sync or download deletes it
        meanwhile, in this process or another on the same cache folder."""
        try:  # (held: a sweep elsewhere may delete it between the fetch and the hold)
            with self.audio.held(lambda: self.fetch(track_id)) as path:
                yield path
        except DownloadError as exc:
            raise LanError(f"{self.stream_url(track_id)}: {exc}") from exc

    def _fetch(self, track_id: str, chunk: int) -> Path:
        if not TRACK_ID.match(track_id):
            raise LanError(f"invalid track id {track_id!r}")
        version = self._versions([track_id]).get(track_id, "")  # "": not mirrored, not kept
        url = self.stream_url(track_id)
        try:
            path, new = self.audio.get(url, track_id, version, timeout_s=self.stream_timeout_s, chunk=chunk)
        except DownloadError as exc:
            raise LanError(f"{url}: {exc}") from exc
        if not new:  # found in the cache, or downloaded meanwhile by another fetch of the same track
            return path
        self._downloaded(track_id)  # a failure noted before (the server was off) is over
        self.audio.tidy(self._versions, keep=path)
        return path

    def _versions(self, ids: Iterable[str]) -> dict[str, str]:
        """The mirrored version of each track (audiocache.version_of) the mirror has of `ids`."""
        return {tid: version_of(t) for tid, t in self.get_many(ids).items()}


def _delete_database(path: Path) -> None:
    """An SQLite database and the files SQLite keeps beside it (util.sqlitefiles.SIDE_FILES)."""
    for suffix in SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)
