"""A note of a failed download, deleted when its track downloads, is scrubbed from the mirror's files.

Why: a download that fails is noted in the mirror (the track, and when: when it was to be played)
until the track downloads, and that deletion is an ordinary one (no `secure_delete`, no scrub: it
happens at a play, a vacuum there would hold the play up).  The note's bytes stayed in the mirror's
file and log.  The privacy retention's next run (`forget_failed_downloads`, hourly) scrubs the
mirror of them, also when it finds no note old enough to delete.  A real library server over HTTP
on the loopback.
"""

from __future__ import annotations

import time
from pathlib import Path

import synth
from lankit import add_track

from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.server import LibraryServer


def _on_disk(lan: LanLibrary, text: str) -> list[str]:
    """The mirror's files (the database, its log) holding `text`."""
    return [p.name for p in lan.root.glob("index.db*") if text.encode() in p.read_bytes()]


def test_a_note_deleted_by_the_download_is_scrubbed_at_the_next_retention(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "server.db")
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    try:
        song = synth.write(tmp_path / "music" / "late.wav", synth.chord(synth.C_MAJOR, 1.0))
        tid = track_id(str(song))
        lan.sync()
        try:  # not served yet: the download fails, and is noted
            lan.fetch(tid)
        except LanError:
            pass
        else:
            raise AssertionError("a track the server does not have was downloaded")
        note = f"{lan.source}/{tid}"
        assert [p["path"] for p in lan.cache.stats()["problems"]] == [note]

        assert add_track(index, song, 0.1) == tid
        assert lan.fetch(tid).is_file()  # downloaded now: the note is deleted
        assert lan.cache.stats()["problems"] == []
        assert _on_disk(lan, note), "the note was not left in the files: this test shows nothing"

        assert lan.forget_failed_downloads(time.time() - 86400.0) == 0  # none older than a day
        assert not _on_disk(lan, note), f"the deleted note is still readable in {_on_disk(lan, note)}"
    finally:
        lan.close()
        server.stop()
        index.close()
