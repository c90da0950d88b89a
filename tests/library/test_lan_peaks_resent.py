"""A speaker that mirrored a library server before tracks carried their peak (Track.peak, library
migration 3) gets the peaks once either side is upgraded, in whichever order: the server's upgrade
stamps its tracks with a peak as changed (migration 4), and a mirror made by a release before copies
the server's rows whole once (lan.client: rows only; its downloads stay).  Real LibraryServer and
LanLibrary over the loopback, real sqlite databases as version 2 left them (oldlibrary)."""

from __future__ import annotations

from pathlib import Path

import oldlibrary
import synth
from lankit import add_track, as_older_release
from oldlibrary import version_2_library

from moodspeaker.library.index import LibraryIndex, Tags, track_id
from moodspeaker.library.lan.client import LanLibrary, slug
from moodspeaker.library.lan.server import LibraryServer, library_id


def _songs(tmp_path: Path, *names: str) -> list[Path]:
    return [synth.write(tmp_path / "music" / f"{n}.wav", synth.chord(synth.C_MAJOR, 1.0)) for n in names]


def test_a_server_upgraded_after_the_speaker_mirrored_it_sends_the_peaks(tmp_path: Path) -> None:
    """The speaker mirrored the server's two tracks from the release before (no peaks, its cursor at
    the server's change 1); the server's upgrade migrates its version-2 database, and the next sync
    brings each track's peak, one page per track (each stamped on a change of its own: stamped
    alike, a large library's tracks were one page, which is never split)."""
    songs = _songs(tmp_path, "one", "two")
    before = LibraryIndex(tmp_path / "before.db")  # what the release before served: no peaks
    with before.batch() as b:
        for song in songs:
            b.upsert_file(str(song), song.stat().st_size, 1, "h" + song.name, Tags(song.stem, "Artist"))
            b.set_analysed(str(song), {"key": 3.0}, oldlibrary.VALUES)
    old = as_older_release(LibraryServer(before, "127.0.0.1", 0)).start()
    lan = LanLibrary(old.url, tmp_path / "cache")
    server: LibraryServer | None = None
    index: LibraryIndex | None = None
    try:
        assert lan.sync().updated == 2 and lan.cache.meta("lan_cursor") == "1"
        assert [t.peak for t in lan.tracks()] == [None, None]
        old.stop()
        analyses = {"one": '{"peak": 0.5}', "two": '{"peak": 0.25}'}
        version_2_library(
            tmp_path / "server.db", [(track_id(str(s)), str(s), s.stem, analyses[s.stem]) for s in songs]
        )
        index = LibraryIndex(tmp_path / "server.db")  # the upgrade: migrated as it opens
        server = LibraryServer(index, "127.0.0.1", old.port).start()
        result = lan.sync(limit=1)
        assert (result.updated, result.pages) == (2, 2)
        assert {t.title: t.peak for t in lan.tracks()} == {"one": 0.5, "two": 0.25}
        assert lan.sync().updated == 0  # sent once
    finally:
        lan.close()
        for s in (old, server):
            if s is not None:
                s.stop()
        for i in (before, index):
            if i is not None:
                i.close()


def test_a_speaker_upgraded_after_it_mirrored_the_server_gets_the_peaks(tmp_path: Path) -> None:
    """The server was upgraded first, and the speaker's release before followed its changes (its
    cursor at the server's counter, its rows without peaks); upgraded in turn, the speaker's mirror
    (version 2, migrated as it opens) takes the server's rows again, once, and keeps its download."""
    [song] = _songs(tmp_path, "song")
    index = LibraryIndex(tmp_path / "server.db")
    with index.batch() as b:  # the track as the speaker's mirror holds it (oldlibrary), and its peak
        b.upsert_file(str(song), song.stat().st_size, 1, "h", Tags("song"))
        b.set_analysed(str(song), {"peak_channels": 0.7}, oldlibrary.VALUES)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    tid = track_id(str(song))
    lan = LanLibrary(server.url, tmp_path / "cache")
    try:
        cursor = {"lan_cursor": str(index.change_counter()), "lan_library_id": str(library_id(index))}
        version_2_library(
            tmp_path / "cache" / slug(server.url) / "index.db",
            [(tid, lan.stream_url(tid), "song", None)],
            source=lan.source,
            meta=cursor,
        )
        downloaded = lan.fetch(tid)
        before = lan.get(tid)
        assert before is not None and before.peak is None
        assert lan.sync().updated == 1
        mirrored = lan.get(tid)
        assert mirrored is not None and mirrored.peak == 0.7
        assert lan.cached_audio(tid) == downloaded and downloaded.is_file()  # not downloaded again
        assert lan.sync().updated == 0  # copied once
    finally:
        lan.close()
        server.stop()
        index.close()


def test_a_mirror_of_a_server_without_peaks_is_not_copied_again_at_each_sync(tmp_path: Path) -> None:
    """A mirror this release made holds rows of this release's kind, peaks or not: a server that
    sends none (an older release, tracks analysed without one) is followed as before."""
    [song] = _songs(tmp_path, "song")
    with LibraryIndex(tmp_path / "server.db") as index:
        add_track(index, song, 0.2)  # analysed without a peak
        server = as_older_release(LibraryServer(index, "127.0.0.1", 0)).start()
        lan = LanLibrary(server.url, tmp_path / "cache")
        try:
            assert lan.sync().updated == 1
            assert lan.sync().updated == 0
            assert [t.peak for t in lan.tracks()] == [None]
        finally:
            lan.close()
            server.stop()
