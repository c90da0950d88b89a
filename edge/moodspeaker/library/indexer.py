"""Indexing: walk folders, decide what is new or changed, analyse it in the pool, write batches.

Order of work, chosen so that a crash at any moment loses nothing:
1. new and changed files are written as `pending` (with their tags) before any analysis;
2. files that disappeared from folders that could be read are removed (never from a folder that
   could not be read, e.g. an unmounted share);
3. every `pending` file, including those left by an interrupted earlier run, is analysed and the
   results are committed in batches.
Unchanged files (same size and mtime) cost one stat; a changed stat with the same audio (a copy, a
touch, a tag editor: the hash leaves tag blocks out, see library.payload) keeps the analysis and reads
the tags again, as does an unchanged file indexed by a version that read fewer tags (batch.TAGS_READ:
once, after the upgrade, without analysing it); a new file whose audio is already analysed elsewhere
reuses that analysis.  When that other file's place is gone (a rename or a move: a tagger's new
folder names, an album moved), the track keeps its id and takes the new place (library.moved,
Batch.move_file): likes, dislikes and plays are kept by id, and a new id lost them.  A copy (the
other file still there) gets its own.
Files shorter than `min_track_s` (library.min_track_s: ringtones, jingles, sound effects) are never
analysed: they are kept out like failed files (status `short`), counted (`short`: every file kept out
at the end of the scan, also one kept out before and unchanged) and reported when kept out (kind
"too-short"); the minimum is checked again for every known file at each scan, so a change of it
applies to files indexed before.
The counts are a ScanSummary (library.scan_summary, its phases PHASES); an analysed file's Track
columns are library.track_columns.track_values.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from moodspeaker.library.audio import file_reason
from moodspeaker.library.batch import TAGS_READ, Batch
from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.index import FileState, LibraryIndex
from moodspeaker.library.moved import Places
from moodspeaker.library.payload import is_legacy, legacy_hash, same_audio
from moodspeaker.library.scan_summary import ScanSummary, count_change
from moodspeaker.library.scanner import FileEntry, content_hash, is_under, printable, walk
from moodspeaker.library.tags import read_tags
from moodspeaker.library.track_columns import track_values
from moodspeaker.library.workers import AnalysisPool, WorkResult, expected_length

log = logging.getLogger(__name__)


class Indexer:
    def __init__(
        self,
        index: LibraryIndex,
        pool: AnalysisPool,
        model: EmotionModel | None = None,
        batch_size: int = 25,
        batch_seconds: float = 2.0,
        *,
        min_track_s: float = 0.0,
    ) -> None:
        """`min_track_s`: library.min_track_s (callers pass the setting; 0 indexes every file)."""
        self.index = index
        self.min_track_s = min_track_s
        self.pool = pool
        self.model = model or EmotionModel.load()
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds

    def scan(
        self,
        folders: Iterable[str | os.PathLike[str]],
        *,
        retry_failed: bool = False,
        on_total: Callable[[int], None] | None = None,
        on_done: Callable[[str, str | None], None] | None = None,
        on_progress: Callable[[str, ScanSummary], None] | None = None,
    ) -> ScanSummary:
        """Bring the index up to date with `folders`; `on_done(path, error)` after each analysis.

        `on_progress(phase, summary)` is called with the counts so far (one of PHASES) after each
        folder listed, each file checked, the removals and each analysis: what a status page shows
        while a large library is scanned.  It runs in the scanning thread and should be quick.
        """
        start = time.monotonic()
        summary = ScanSummary()

        def report(phase: str) -> None:
            if on_progress is not None:
                on_progress(phase, summary)

        def found(count: int) -> None:
            summary.files = count
            report("walking")

        walked = walk(folders, on_found=found if on_progress is not None else None)
        summary.files = len(walked.files)
        report("checking")
        summary.problems = [(p.path, p.kind, p.reason) for p in walked.problems]
        known = self.index.file_states()
        legacy = any(is_legacy(st.content_hash) for st in known.values())  # indexed by an earlier version
        seen: set[str] = set()
        # An unmounted USB disk or NAS share leaves its mount point behind as an empty folder: that
        # reads like "every file deleted", so an empty root that used to hold tracks keeps them.
        emptied = [r for r in walked.roots if _is_empty_dir(r) and any(is_under(k, [r]) for k in known)]
        places = Places(frozenset(f.path for f in walked.files), tuple(walked.roots),
                        (*walked.unreadable, *emptied))  # fmt: skip
        moved_from: set[str] = set()  # old places of files found moved (their rows went with them)
        with self.index.batch() as b:
            for root in list(walked.roots) + list(walked.unreadable):
                b.clear_problems(printable(root))
            for p in walked.problems:
                b.problem(p.path, p.kind, p.reason)

        todo: list[FileEntry] = list(walked.files)
        while todo:
            chunk, todo = todo[:500], todo[500:]
            with self.index.batch() as b:
                for f in chunk:
                    summary.checked += 1
                    report("checking")
                    seen.add(f.path)
                    state = known.get(f.path)
                    unchanged = state is not None and (state.size, state.mtime_ns) == (f.size, f.mtime_ns)
                    if unchanged and state is not None and state.tags_read < TAGS_READ:
                        state = self._read_tags_again(b, f, state, summary)
                    if (
                        unchanged
                        and state is not None
                        and self._settled(b, f.path, state, summary, retry_failed)
                    ):
                        continue
                    if f.size == 0:
                        b.upsert_file(f.path, 0, f.mtime_ns, "", read_tags(f.path))
                        b.set_failed(f.path, "empty file (0 bytes)")
                        summary.failed.append((f.path, "empty file (0 bytes)"))
                        count_change(summary, new=state is None, changed=not unchanged)
                        continue
                    try:
                        digest = content_hash(f.path, f.size)
                    except OSError as exc:
                        gone = not os.path.exists(f.path)
                        kind, reason = (
                            ("vanished", "vanished during the scan")
                            if gone
                            else ("unreadable", file_reason(exc, f.path))  # the path is printed beside it
                        )
                        b.problem(f.path, kind, reason)
                        summary.problems.append((f.path, kind, reason))
                        if gone:
                            seen.discard(f.path)  # a known file that is gone leaves the index below
                        continue
                    tags = read_tags(f.path)
                    kept = state.content_hash if state is not None and state.status == "analysed" else None
                    if state is not None and kept is not None and same_audio(kept, digest, f.path, f.size):
                        if b.retag_file(f.path, f.size, f.mtime_ns, digest, tags):
                            summary.updated += 1
                        summary.reused += 1
                        self._keep_out_if_short(b, f.path, tags.duration_s or state.duration_s, summary)
                        continue
                    old = places.moved_from(b, f, digest, legacy) if state is None else None
                    if old is not None:
                        if b.move_file(old[0], f.path, f.size, f.mtime_ns, digest, tags=tags):
                            summary.updated += 1
                        log.debug("%s: moved from %s, keeps track id %s", f.path, old[1], old[0])
                        moved_from.add(old[1])
                        summary.moved += 1
                        summary.reused += 1
                        before = known.get(old[1])
                        length = tags.duration_s or (before.duration_s if before is not None else 0.0)
                        self._keep_out_if_short(b, f.path, length, summary)
                        continue
                    b.upsert_file(f.path, f.size, f.mtime_ns, digest, tags)
                    count_change(summary, new=state is None, changed=not unchanged)
                    if self._keep_out_if_short(b, f.path, tags.duration_s, summary):
                        continue
                    copy = self.index.analysed_by_hash(digest)
                    if copy is None and legacy:
                        copy = self.index.analysed_by_hash(legacy_hash(f.path, f.size))
                    if copy is not None:
                        b.set_analysed(f.path, copy[0], copy[1])
                        summary.reused += 1

        if emptied:
            with self.index.batch() as b:
                for root in emptied:
                    reason = "folder is empty (disk unmounted?): its indexed tracks are kept"
                    b.problem(printable(root), "empty", reason)
                    summary.problems.append((printable(root), "empty", reason))
        # A known file the complete listing of its folder did not give is gone from the library, even
        # if its path still opens: a folder moved and replaced by a link to its new place (the files
        # are listed at the new place, the link's copies skipped), a hidden file.  Kept only when the
        # walk met it and could not take it (a problem: unreadable, bad name...).
        met = {p.path for p in walked.problems}
        with self.index.batch() as b:
            for location in known:
                if location in seen or location in moved_from or not os.path.isabs(location):
                    continue
                # only under folders that were read completely; never touch an unreachable mount
                readable = (
                    is_under(location, walked.roots)
                    and not is_under(location, walked.unreadable)
                    and not is_under(location, emptied)
                )
                if readable and (location not in met or not os.path.lexists(location)):
                    b.remove(location)
                    summary.removed += 1
        report("removing")

        states = self.index.file_states()
        pending = [p for p in self.index.pending() if p in states]
        if self.min_track_s > 0:  # left pending by an interrupted scan, before the minimum was set
            with self.index.batch() as b:
                pending = [
                    p for p in pending if not self._keep_out_if_short(b, p, states[p].duration_s, summary)
                ]
        summary.to_analyse = len(pending)
        report("analysing")
        if on_total:
            on_total(len(pending))
        # the same content found twice in this scan (a copied album, a song in two folders) is analysed
        # once, then the copies take its analysis; a copy whose first one failed is tried itself
        hashes = {loc: st.content_hash for loc, st in states.items()}
        lengths = {loc: st.duration_s for loc, st in states.items()}
        # each analysis is bounded by the file's length (a stuck decoder must not hold up the scan)
        bounds = {loc: expected_length(st.duration_s, st.size) for loc, st in states.items()}
        contents: set[str] = set()
        originals: list[str] = []
        copies: list[str] = []
        for path in pending:
            digest = hashes.get(path, "")
            (copies if digest and digest in contents else originals).append(path)
            if digest:
                contents.add(digest)
        self._analyse(originals, summary, on_done, report, lengths=lengths, bounds=bounds)
        left: list[str] = []
        with self.index.batch() as b:
            for path in copies:
                done = self.index.analysed_by_hash(hashes[path])
                if done is None:
                    left.append(path)
                    continue
                b.set_analysed(path, done[0], done[1])
                summary.reused += 1
                summary.done += 1
                report("analysing")
                if on_done:
                    on_done(path, None)
        if left:
            self._analyse(left, summary, on_done, report, lengths=lengths, bounds=bounds)
        summary.seconds = time.monotonic() - start
        return summary

    def _analyse(
        self,
        paths: list[str],
        summary: ScanSummary,
        on_done: Callable[[str, str | None], None] | None,
        report: Callable[[str], None],
        *,
        lengths: Mapping[str, float],
        bounds: Mapping[str, float],
    ) -> None:
        """Analyse `paths` in the pool; `lengths`: their lengths from the tags (0 when not known, then
        the analysis's length decides whether the file is too short); `bounds`: the lengths the pool
        bounds each analysis by (workers.expected_length: guessed from the size when not known)."""
        results: list[WorkResult] = []
        last = time.monotonic()

        def flush() -> None:
            finished = results[:]
            results.clear()  # a batch that fails is not written twice (see the `finally` below)
            with self.index.batch() as b:
                for r in finished:
                    if r.analysis is not None:
                        b.set_analysed(r.path, r.analysis.features, track_values(
                            r.analysis.features, self.model, r.analysis.duration_s))  # fmt: skip
                        length = lengths.get(r.path, 0.0) or r.analysis.duration_s  # as set_analysed keeps
                        self._keep_out_if_short(b, r.path, length, summary)
                    elif not os.path.exists(r.path):
                        b.remove(r.path)
                        b.problem(r.path, "vanished", "file disappeared before it was analysed")
                    else:
                        b.set_failed(r.path, r.error or "analysis failed")

        try:
            for r in self.pool.analyse(paths, lengths=bounds):
                results.append(r)
                if r.analysis is not None:
                    summary.analysed += 1
                elif not os.path.exists(r.path):
                    summary.problems.append((r.path, "vanished", "file disappeared before it was analysed"))
                else:
                    summary.failed.append((r.path, r.error or "analysis failed"))
                summary.done += 1
                report("analysing")
                if on_done:
                    on_done(r.path, r.error)
                if len(results) >= self.batch_size or time.monotonic() - last > self.batch_seconds:
                    flush()
                    last = time.monotonic()
        finally:
            # also when a callback stops the scan (the service shutting down): the analyses already
            # finished are kept, not done again by the next scan
            if results:
                flush()

    def _read_tags_again(self, b: Batch, f: FileEntry, state: FileState, summary: ScanSummary) -> FileState:
        """A file unchanged since an earlier version indexed it, reading fewer of its tags (its row's
        tags_read under TAGS_READ: no ReplayGain peak, no MP3 TXXX or M4A freeform gain): its tags
        are read again, once, and taken as for a retagged file (Batch.retag_file: the analysis kept,
        the row sent to LAN clients when they changed; the row then says TAGS_READ, committed with
        the batch, so an interrupted scan goes on where it stopped).  Mutagen only: nothing analysed.
        Returns the file's state with the length the tags now give."""
        tags = read_tags(f.path)
        if b.retag_file(f.path, f.size, f.mtime_ns, state.content_hash, tags):
            summary.updated += 1
        return replace(state, duration_s=tags.duration_s or state.duration_s, tags_read=TAGS_READ)

    def _settled(self, b: Batch, path: str, state: FileState, summary: ScanSummary, retry: bool) -> bool:
        """An unchanged file: True when nothing more is to be done with it in the checking phase.

        The minimum length may have changed since the last scan: an analysed file now too short is
        kept out, and one kept out that no longer is goes on to be indexed (and analysed) as music."""
        if state.status == "analysed":
            if not self._keep_out_if_short(b, path, state.duration_s, summary):
                summary.skipped += 1
            return True
        if state.status == "short":
            if self._too_short(state.duration_s):
                summary.short += 1  # still kept out (and not a failure to retry: retry_failed)
                return True
            return False
        if state.status == "failed":
            if not retry:
                summary.skipped += 1
                return True
            return False
        return state.status == "pending"  # analysed below

    def _too_short(self, duration_s: float) -> bool:
        return self.min_track_s > 0 and 0 < duration_s < self.min_track_s

    def _keep_out_if_short(self, b: Batch, path: str, duration_s: float, summary: ScanSummary) -> bool:
        """Keep a file shorter than min_track_s out of the picks, counted and reported; True if it is."""
        if not self._too_short(duration_s):
            return False
        reason = b.set_short(path, duration_s, self.min_track_s)
        summary.short += 1
        summary.problems.append((path, "too-short", reason))
        return True

    def reestimate(self) -> int:
        """Recompute valence/arousal of every analysed local track from stored features (new model)."""
        count = 0
        ids = [t.id for t in self.index.tracks() if t.source == "local"]
        with self.index.batch() as b:
            for tid in ids:
                feats = self.index.features(tid)
                track = self.index.get(tid)
                if feats is None or track is None:
                    continue
                b.set_analysed(track.location, feats, track_values(feats, self.model, track.duration_s))
                count += 1
        return count


def _is_empty_dir(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False
