"""Two syncs of one OpenSubsonic server run one after the other, in one process or two.

Why: a sync reads the mirror's fingerprints and refusals (`VERSIONS`, `REFUSED`) at its start, adds
the songs it analysed and writes the whole back.  A second sync at the same time (the service's
rescan beside a `library sync` run by hand) wrote its own, and whichever wrote last dropped the
other's songs: analysed again at the next sync, their copies swept meanwhile as not mirrored.  And
the second sync's clear of the staging (`analysing/`) deleted the first one's download in the moment
between its end and the first sync's hold on it: downloaded again.  Now a sync waits for the one in
progress (`MirroredLibrary._one_sync`, a flock in the mirror's folder).

The first sync is held after its download (a subclass waits there for the test: the moment no lock
covers the file), the second is started and the test goes on once it either finished or says it
waits; no timing.  The OpenSubsonic server of subsonickit on the loopback, a real analysis pool;
two clients on one cache folder, as two processes are.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lankit import second_sync_meanwhile, tone_song

from moodspeaker.library.lan.subsonic import SubsonicLibrary, SubsonicSync, song_version
from moodspeaker.library.lan.subsonicsongs import VERSIONS
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Subsonic, served


class _HeldAfterDownload(SubsonicLibrary):
    """A client whose sync stops after its first staged download until `go` is set (`staged` says
    it is there), before it holds the file: where a second sync could step in."""

    def __init__(self, url: str, cache: Path) -> None:
        super().__init__(url, cache)
        self.staged, self.go = threading.Event(), threading.Event()

    def _copy(self, song_id: str, version: str) -> Path:
        path = super()._copy(song_id, version)
        if not self.staged.is_set():
            self.staged.set()
            assert self.go.wait(300), "the test never let the first sync go on"
        return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    with served({"a": tone_song(tmp_path / "music" / "a.flac", "A", duration=2)}) as srv:
        yield srv


def _both(
    server: Subsonic, cache: Path, pool: AnalysisPool, caplog: pytest.LogCaptureFixture
) -> tuple[list[SubsonicSync], SubsonicLibrary]:
    """The first sync held after its download of "a"; song "b" added to the server; a second sync
    (another client of the same mirror) started meanwhile, and the first one let go once the second
    finished or waits for it.  Returns the syncs' results (first, second) and the second client."""
    first, second = _HeldAfterDownload(server.url, cache), SubsonicLibrary(server.url, cache)

    def second_sync() -> SubsonicSync:
        server.songs["b"] = {**server.songs["a"], "title": "B"}  # new while the first is held
        return second.sync(pool)

    results = second_sync_meanwhile(
        lambda: first.sync(pool),
        second_sync,
        held=first.staged.is_set,
        let_go=first.go.set,
        caplog=caplog,
        what="the first sync's download of a",
    )
    first.close()
    one, two = results.get("first"), results.get("second")
    assert isinstance(one, SubsonicSync) and isinstance(two, SubsonicSync), f"a sync failed: {results}"
    return [one, two], second


def test_two_syncs_at_once_keep_each_others_fingerprints(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, caplog: pytest.LogCaptureFixture
) -> None:
    _, lib = _both(server, tmp_path / "cache", pool, caplog)
    try:
        listed = {str(s["id"]): song_version(s) for s in lib.list_songs()}
        kept = json.loads(lib.cache.meta(VERSIONS) or "{}")
        assert kept == listed, f"a sync dropped the other's fingerprints: {kept} of {listed}"
        assert {t.title for t in lib.tracks()} == {"A", "B"}
        assert lib.sync(pool).analysed == 0, "a song was analysed again"
    finally:
        lib.close()


def test_a_second_sync_does_not_delete_the_firsts_download(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, caplog: pytest.LogCaptureFixture
) -> None:
    results, lib = _both(server, tmp_path / "cache", pool, caplog)
    try:
        assert server.streams.count("a") == 1, f"song a downloaded again: {server.streams}"
        assert sorted(server.streams) == ["a", "b"]
        assert [r.analysed for r in results] == [1, 1]  # a by the first sync, b by the second
    finally:
        lib.close()
