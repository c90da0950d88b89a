"""An OpenSubsonic song whose download fails when it is to be played is noted, as a library server's is.

Why: a library server's track that cannot be downloaded for a play is noted in the speaker's mirror
(the track, when and why) until it downloads, so `library stats` lists it, the data export gives
it, and the privacy retention and "delete everything" reach it (library.lan.mirror).  A song of an
OpenSubsonic server that failed the same way (the server off, the song gone from it) left no note:
missing from all of them.  Now `SubsonicLibrary.playing`/`fetch` note it under the mirror's id of the
song, the same way, and a later download of the song (its play, or the sync's to analyse it) deletes
the note; the retention's next run scrubs it from the mirror's files.  The OpenSubsonic server of
subsonickit on the loopback, a real analysis worker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from lankit import on_disk, tone_song

from moodspeaker.library.lan.client import LanError
from moodspeaker.library.lan.mirror import STREAM
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Subsonic, served


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    with served({"s1": tone_song(tmp_path / "music" / "1.flac", "Tone", duration=2)}) as srv:
        yield srv


def _fails_to_play(lib: SubsonicLibrary, song: str) -> None:
    """The song played as the player plays it (`playing`), its download failing."""
    with pytest.raises(LanError), lib.playing(song):
        raise AssertionError("a song the server does not stream was played")


def test_a_failed_play_is_noted_until_the_song_downloads(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    assert lib.sync(pool).analysed == 1
    [track] = [t.id for t in lib.tracks()]
    lib.audio.forget_uses()  # the analysis's copy gone: the play has to download the song
    path = server.songs["s1"].pop("path")  # the server has lost the file: it answers an error

    _fails_to_play(lib, "s1")
    note = f"{lib.source}/{track}"  # the mirror's id of the song, as the export and history name it
    assert [(p["path"], p["kind"]) for p in lib.cache.stats()["problems"]] == [(note, STREAM)]
    [failed] = lib.failed_downloads()  # the data export's entry
    assert failed["track_id"] == track and "stream of s1" in str(failed["reason"])
    assert abs(float(str(failed["failed_at"])) - time.time()) < 86400.0

    server.songs["s1"]["path"] = path
    with lib.playing("s1") as played:  # downloaded now: the note is deleted
        assert played.read_bytes() == Path(path).read_bytes()
    assert lib.cache.stats()["problems"] == [] and lib.failed_downloads() == []
    assert on_disk(lib, note), "the note was not left in the files: this test shows nothing"
    assert lib.forget_failed_downloads(time.time() - 86400.0) == 0  # none older than a day
    assert not on_disk(lib, note), f"the deleted note is still readable in {on_disk(lib, note)}"


def test_the_retention_and_delete_everything_reach_the_notes(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    assert lib.sync(pool).analysed == 1
    lib.audio.forget_uses()
    server.stop()  # the server is off (a NAS asleep)
    _fails_to_play(lib, "s1")
    [failed] = lib.failed_downloads()
    assert lib.forget_failed_downloads(time.time() - 86400.0) == 0  # a failure of today stays
    assert lib.failed_downloads() == [failed]
    assert lib.forget_failed_downloads(float(str(failed["failed_at"])) + 1.0) == 1  # older: gone
    _fails_to_play(lib, "s1")
    assert lib.forget_failed_downloads() == 1  # delete everything
    assert lib.failed_downloads() == [] and lib.cache.stats()["problems"] == []
    assert not on_disk(lib, f"{lib.source}/{failed['track_id']}"), "the deleted note is still readable"
    assert len(lib.tracks()) == 1  # the mirror itself is kept: the song plays when the server is back


def test_the_sync_s_download_of_a_changed_song_ends_the_note(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    """A song changed on the server is downloaded by the sync to be analysed, and its next play plays
    that copy (no download of its own): the note of its failed play ends with the sync's download."""
    assert lib.sync(pool).analysed == 1
    lib.audio.forget_uses()
    path = server.songs["s1"].pop("path")
    _fails_to_play(lib, "s1")
    assert len(lib.failed_downloads()) == 1
    server.songs["s1"]["path"] = synth.write(Path(path).with_name("1b.flac"), synth.chord(synth.C_MAJOR, 3.0))
    assert lib.sync(pool).changed == 1
    assert lib.failed_downloads() == [] and lib.cache.stats()["problems"] == []
    server.streams.clear()
    with lib.playing("s1") as played:
        assert played.read_bytes() == server.songs["s1"]["path"].read_bytes()
    assert server.streams == [], "the play downloaded the song: this test shows nothing"


def test_a_song_removed_from_the_server_takes_its_note_along(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    """The sync removes a song gone from the server with its problems, but looked for them by the
    song's server id, not the mirror's id its failed play is noted under: the note stayed."""
    assert lib.sync(pool).analysed == 1
    lib.audio.forget_uses()
    server.songs["s1"].pop("path")
    _fails_to_play(lib, "s1")
    assert len(lib.failed_downloads()) == 1
    note = f"{lib.source}/{lib.tracks()[0].id}"
    assert on_disk(lib, note)
    del server.songs["s1"]  # gone from the server
    assert lib.sync(pool).removed == 1
    assert lib.failed_downloads() == [] and lib.cache.stats()["problems"] == []
    assert not on_disk(lib, note), "the deleted note waits for a retention a hand-run sync never sees"
    assert not lib.scrub_due


def test_a_removed_song_without_a_note_leaves_no_scrub_due(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    """The sync marked a scrub (a VACUUM of the mirror at the next retention: SD-card wear) for
    every song gone from the server, with a note of a failed play or not.  Only a deleted note
    needs one."""
    assert lib.sync(pool).analysed == 1
    assert lib.failed_downloads() == []
    del server.songs["s1"]
    assert lib.sync(pool).removed == 1
    assert not lib.scrub_due
