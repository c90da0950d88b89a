"""A sync that waited through another's first sync and then fails keeps the mirror that one made.

Why: `sources.sync_remote` removes the mirror of a server that never answered (a first sync that
fails leaves nothing behind).  It decided "never answered" before the sync waited for the one in
progress (`MirroredLibrary._one_sync`): a second sync (the service's rescan beside a `library sync`
run by hand) started during the first-ever sync of a server found no good sync yet, waited while
the first one succeeded, then failed itself (the server gone or answering garbage) and deleted the
good mirror, tracks and downloads with it.  Now the decision, and the deletion, are made under the
sync's lock.

The first sync is held inside (at its request for changes / after its download), the second is
started and the test goes on once it says it waits; the server is made to fail before the first
is let go, so the second fails whatever it asks first.  No timing.  Real servers on the loopback:
a LibraryServer answering garbage from then on (its held request excepted), the OpenSubsonic
server of subsonickit switched off; two clients of one cache folder, as two processes are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import synth
from flask import Response, request
from lankit import add_track, read_during_a_failed_first_sync, second_sync_meanwhile, tone_song

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import Remote, SyncError, sync_remote
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import serve

Outcome = object  # a sync's result, or what it raised


def _second_fails_after_the_first(
    first: Remote,
    second: Remote,
    *,
    held: threading.Event,
    go: threading.Event,
    breaking: Callable[[], None],
    caplog: pytest.LogCaptureFixture,
    **options: object,
) -> dict[str, Outcome]:
    """`first` synced (its first sync ever, held until `go` once `held`), `second` started while it is
    held; once the second waits for the lock the server breaks (`breaking`) and the first goes on.
    Both through sync_remote, as `library sync` and the service.  Returns each one's result or
    exception."""

    def let_go() -> None:
        breaking()  # the first sync asks nothing more: only the second meets it
        go.set()

    return second_sync_meanwhile(
        lambda: sync_remote(first, **options),
        lambda: sync_remote(second, **options),
        held=held.is_set,
        let_go=let_go,
        caplog=caplog,
        what="the first sync to be held",
    )


def _kept_by_the_second(results: dict[str, Outcome]) -> None:
    failed = results.get("second")
    assert isinstance(failed, SyncError), f"the second sync did not fail as a sync: {results}"
    assert failed.kept is not None, f"the second sync removed the mirror the first made: {failed}"


def test_a_failed_sync_keeps_the_library_servers_first_mirror(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with LibraryIndex(tmp_path / "server.db") as index:
        ids = [add_track(index, synth.write(tmp_path / "music" / f"s{i}.wav",
                                            synth.chord(synth.C_MAJOR, 1.0)), 0.1 * i)
               for i in range(3)]  # fmt: skip
        server = LibraryServer(index, "127.0.0.1", 0)
        held, go, garbage = threading.Event(), threading.Event(), threading.Event()

        @server.app.before_request
        def hold_then_break() -> Response | None:
            if garbage.is_set():
                return Response("<html>not a library server</html>", 200)
            if request.path.endswith("/changes"):
                held.set()  # the first sync, its one page of changes
                assert go.wait(300), "the test never let the first sync go on"
            return None

        server.start()
        cache = tmp_path / "cache"
        first, second = LanLibrary(server.url, cache), LanLibrary(server.url, cache)
        try:
            results = _second_fails_after_the_first(
                first, second, held=held, go=go, breaking=garbage.set, caplog=caplog
            )
            assert getattr(results.get("first"), "updated", None) == 3, results
            _kept_by_the_second(results)
            assert {t.id for t in second.tracks()} == set(ids)
            garbage.clear()
            _playable(LanLibrary(server.url, cache), ids)  # as after a restart: read from disk
        finally:
            first.close()
            second.close()
            server.stop()


def test_a_failed_sync_keeps_the_opensubsonic_servers_first_mirror(
    tmp_path: Path, pool: AnalysisPool, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve({"a": tone_song(tmp_path / "music" / "a.flac", "A", duration=2)})
    held, go = threading.Event(), threading.Event()

    class HeldAfterDownload(SubsonicLibrary):
        def _copy(self, song_id: str, version: str) -> Path:
            path = super()._copy(song_id, version)
            held.set()
            assert go.wait(300), "the test never let the first sync go on"
            return path

    cache = tmp_path / "cache"
    first, second = HeldAfterDownload(server.url, cache), SubsonicLibrary(server.url, cache)
    try:
        results = _second_fails_after_the_first(
            first, second, held=held, go=go, breaking=server.stop, caplog=caplog, pool=pool
        )
        assert getattr(results.get("first"), "analysed", None) == 1, results
        _kept_by_the_second(results)
        assert [t.title for t in second.tracks()] == ["A"]
        _playable(SubsonicLibrary(server.url, cache), ["a"])  # from its download: the server is off
    finally:
        first.close()
        second.close()
        server.stop()


def _playable(remote: Remote, ids: list[str]) -> None:
    """Each of `ids` plays from `remote` (a client opened on the cache folder anew)."""
    try:
        assert {t.title for t in remote.tracks()}, "the mirror is gone"
        for tid in ids:
            with remote.playing(tid) as path:
                assert path.stat().st_size > 0
    finally:
        remote.close()


def test_a_sync_after_anothers_failed_first_sync_writes_the_mirror_on_disk(tmp_path: Path) -> None:
    """The other way round: a client that read the mirror while another's first sync made it (the
    service's planner, beside a `library sync` run by hand), that sync failing and removing the
    folder.  The reader's mirror was still open on the deleted file: its next sync judged and wrote
    that file, seen by no one else and gone at the restart.  The sync takes the mirror on disk."""
    with LibraryIndex(tmp_path / "server.db") as index:
        ids = {add_track(index, synth.write(tmp_path / "music" / f"s{i}.wav",
                                            synth.chord(synth.C_MAJOR, 1.0)), 0.1 * i)
               for i in range(3)}  # fmt: skip
        cache = tmp_path / "cache"
        with read_during_a_failed_first_sync(index, cache) as (server, reader):
            assert getattr(sync_remote(reader), "updated", None) == 3
            again = LanLibrary(server.url, cache)  # as after a restart, or another process
            assert {t.id for t in again.tracks()} == ids, "the sync wrote a deleted mirror"
            again.close()
