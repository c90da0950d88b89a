"""A scrub a mirror owes outlives the process that owed it.

Why: a deletion whose bytes must leave the mirror's files (a failed download's note deleted when the
track downloads: when it was to be played; an older OpenSubsonic mirror's locations rewritten
without the user's token) was remembered in the client object only (`scrub_due`) until a scrub (the
next retention, hourly; the sync's own).  A process that stopped before it (a power cut, a kill, a
`library sync` run by hand whose scrub failed: "the next retention does it") took that with it: the
next process's retention found nothing old enough to delete and did not scrub, and its sync found
no token left to migrate and did not either, so the bytes stayed readable in the mirror's log.  The
mirror now keeps the debt itself (a meta key written with the deletion, gone with the scrub).  The
process that stops is a client left open (its log is not checkpointed away, as after a power cut);
the next one is a second client on the same folder.  A real library server and the OpenSubsonic
server of subsonickit, on the loopback.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import synth
from lankit import noted_then_downloaded, older_mirror, on_disk

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.util import sqlitefiles
from subsonickit import serve


def test_a_deleted_note_is_scrubbed_by_the_next_process_retention(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "server.db")
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    after = LanLibrary(server.url, tmp_path / "cache")  # the service after the restart
    try:
        note = noted_then_downloaded(lan, index, tmp_path / "music")
        # the process stops here (a power cut before the hourly retention): `lan` is never used again

        assert after.forget_failed_downloads(time.time() - 86400.0) == 0  # none older than a day
        assert not on_disk(after, note), f"the deleted note is still readable in {on_disk(after, note)}"
        assert after.forget_failed_downloads(time.time() - 86400.0) == 0  # and the debt is paid
    finally:
        after.close()
        lan.close()
        server.stop()
        index.close()


def test_an_older_mirrors_tokens_are_scrubbed_when_the_migrating_process_stopped_before(
    tmp_path: Path, pool: AnalysisPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = synth.write(tmp_path / "music" / "1.flac", synth.chord(synth.C_MAJOR, 2.0))
    songs = {"s1": {"title": "Tone", "artist": "Synth", "duration": 2, "suffix": "flac", "path": audio}}
    server = serve(songs)
    lib = SubsonicLibrary(server.url, tmp_path / "cache")
    try:
        assert lib.sync(pool).analysed == 1
        _, token = older_mirror(lib, "s1")

        def stopped(db: sqlite3.Connection) -> None:  # the process stops as its scrub begins
            raise KeyboardInterrupt

        with monkeypatch.context() as m:
            m.setattr(sqlitefiles, "scrub", stopped)  # (the mirror scrubs through scrub_or_owe)
            with pytest.raises(KeyboardInterrupt):
                lib.sync(pool)
        [track] = lib.tracks()
        assert lib.song_of(track.location) == "s1"
        assert "t=" not in track.location  # migrated: the rows hold no token, the log still does
        assert on_disk(lib, token), "the migration's scrub ran: this test shows nothing"

        server.stop()  # the next process's sync, with the server gone for good
        after = SubsonicLibrary(server.url, tmp_path / "cache")
        try:
            with pytest.raises(LanError):
                after.sync(pool)
            assert not on_disk(after, token), f"the old token is still readable in {on_disk(after, token)}"
        finally:
            after.close()
    finally:
        lib.close()
