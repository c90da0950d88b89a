""" "Delete everything" during an OpenSubsonic sync: what happens to the song the sync is analysing.

The sync downloads a new song into its staging (`analysing/`), holds the file, analyses it and moves
it into the download cache, set aside.  "Delete everything" (service.plays.forget_downloads) clears
the staging too, skipping files in use.  Between the end of the download (its writer's lock let go)
and the sync's hold there is a moment when the copy is in no one's use: deleted then, the sync
downloads it again (AudioCache.held, up to 3 tries).  That is kept on purpose, and pinned here:
the song is on the server and still needs analysing (without its audio it would be missing from
the mirror until the next sync, which downloads it all the same), and an analysis copy is no
listening history (no play made it; the export dates no play for it; a later play or the privacy
retention goes by its own times).  What was deleted stays deleted: the copy the sync keeps is the
one it downloaded after.  A copy the sync already holds stays, as any file in use does.

Deterministic: the sync is paused (a subclass waits for the test) at the moment in question, and
"delete everything" runs then.  The OpenSubsonic server of subsonickit on the loopback, a real
analysis pool.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from lankit import tone_song

from moodspeaker.library.lan.subsonic import SubsonicLibrary, SubsonicSync
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.service import plays
from polling import until
from subsonickit import Subsonic, served


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    with served({"a": tone_song(tmp_path / "music" / "a.flac", "A", duration=2)}) as srv:
        yield srv


class _Paused(SubsonicLibrary):
    """A client whose sync waits for the test once, after its first staged download (`at_copy`: not
    held yet) or once that download is held (not `at_copy`): `paused` says it is there, `go` lets
    it go on.  `staged` is the file it downloaded."""

    def __init__(self, url: str, cache: Path, *, at_copy: bool) -> None:
        super().__init__(url, cache)
        self.at_copy = at_copy
        self.paused, self.go = threading.Event(), threading.Event()
        self.staged: Path | None = None

    def _pause(self) -> None:
        if not self.paused.is_set():
            self.paused.set()
            assert self.go.wait(300), "the test never let the sync go on"

    def _copy(self, song_id: str, version: str) -> Path:
        path = super()._copy(song_id, version)
        self.staged = self.staged or path
        if self.at_copy:
            self._pause()
        return path

    def _downloaded(self, track_id: str) -> None:
        if not self.at_copy:
            self._pause()
        super()._downloaded(track_id)


def _forget_during_sync(lib: _Paused, pool: AnalysisPool) -> tuple[SubsonicSync, int, bool]:
    """`lib` synced, "delete everything" run while it is paused.  Returns the sync's result, how
    many files and notes the deletion deleted, and whether the staged copy was there after it."""
    results: list[SubsonicSync | BaseException] = []

    def run() -> None:
        try:
            results.append(lib.sync(pool))
        except BaseException as exc:  # judged below
            results.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        until(lambda: lib.paused.is_set() or results, timeout=300, what="the sync to pause")
        assert lib.staged is not None, f"the sync never downloaded: {results}"
        gone = plays.forget_downloads(SimpleNamespace(clients=[lib]))  # "delete everything"
        survived = lib.staged.exists()
    finally:
        lib.go.set()
        thread.join(timeout=600)
    (result,) = results
    assert isinstance(result, SubsonicSync), f"the sync failed: {result}"
    return result, gone, survived


def _kept_as_analysis_copy(lib: SubsonicLibrary) -> None:
    """The song is in the mirror, its copy in the cache set aside: the export dates no play for it."""
    assert [t.title for t in lib.tracks()] == ["A"]
    (entry,) = plays.downloaded(SimpleNamespace(clients=[lib]))
    assert entry["aside"] and entry["last_used_at"] is None and not entry["analysing"], entry
    assert lib.cached_audio("a") is not None


def test_a_copy_deleted_before_the_sync_held_it_is_downloaded_again_and_analysed(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    lib = _Paused(server.url, tmp_path / "cache", at_copy=True)
    try:
        result, gone, survived = _forget_during_sync(lib, pool)
        assert gone >= 1 and not survived, "delete everything left the staged copy no one held"
        assert server.streams == ["a", "a"], "the sync did not download the deleted copy again"
        assert result.analysed == 1 and not result.failed, result
        _kept_as_analysis_copy(lib)
    finally:
        lib.close()


def test_a_copy_the_sync_holds_stays_and_is_downloaded_once(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    lib = _Paused(server.url, tmp_path / "cache", at_copy=False)
    try:
        result, _, survived = _forget_during_sync(lib, pool)
        assert survived, "delete everything deleted a copy in use"
        assert server.streams == ["a"]
        assert result.analysed == 1 and not result.failed, result
        _kept_as_analysis_copy(lib)
    finally:
        lib.close()
