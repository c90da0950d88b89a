"""An OpenSubsonic server's songs are kept like a library server's tracks: bounded, never gone or stale.

Why: a song from an OpenSubsonic server was downloaded again at each play and kept nowhere, so
nothing of it played with the server off; and its sync never looked at a song again once analysed,
so a song changed on the server (re-encoded, replaced by another file under the same id) kept the
analysis of its old audio for ever.  Now the sync knows each song's file by a fingerprint of what
the listing says of it (size, format, length...: subsonic.song_version); a song listed with another
one is downloaded and analysed again, and the old copy in the download cache is never found again
and is deleted by the sweep, like the copies of removed songs and those beyond the bound
(library.lan.audiocache, shared with the library server's client).  The OpenSubsonic server of
subsonickit on the loopback, counting its stream requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import synth

from moodspeaker.library.lan.audiocache import ASIDE
from moodspeaker.library.lan.client import LanError
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Songs, Subsonic, serve


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    music = tmp_path / "music"
    songs: Songs = {
        "s1": {"title": "Happy", "artist": "Synth", "duration": 6, "suffix": "flac",
               "path": synth.write(music / "1.flac", synth.song("happy"))},
        "s2": {"title": "Tone", "artist": "Synth", "duration": 2, "suffix": "flac",
               "path": synth.write(music / "2.flac", synth.chord(synth.C_MAJOR, 2.0))},
        "s3": {"title": "Low", "artist": "Synth", "duration": 2, "suffix": "flac",
               "path": synth.write(music / "3.flac", synth.chord(synth.C_MAJOR, 2.0, amp=0.1))},
    }  # fmt: skip
    srv = serve(songs, page_cap=2)
    try:
        yield srv
    finally:
        srv.stop()


def _synced(srv: Subsonic, cache: Path, pool: AnalysisPool, bound: int | None = None) -> SubsonicLibrary:
    lib = SubsonicLibrary(srv.url, cache, audio_cache_bytes=bound)
    assert lib.sync(pool).analysed == len(srv.songs)
    return lib


def _copies(lib: SubsonicLibrary) -> list[str]:
    """The names of the files in the download cache (not the marks of copies set aside)."""
    names = [p.name for p in lib.audio_dir.iterdir()] if lib.audio_dir.is_dir() else []
    return sorted(n for n in names if not n.endswith(ASIDE))


def _track_of(lib: SubsonicLibrary, title: str) -> str:
    [found] = [t.id for t in lib.tracks() if t.title == title]
    return found


def test_a_song_changed_on_the_server_is_analysed_again_and_downloaded_again(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    lib = _synced(server, tmp_path / "cache", pool)
    happy = _track_of(lib, "Happy")
    before = lib.get(happy)
    assert before is not None and before.tempo == pytest.approx(140, rel=0.05) and before.mode == 1
    server.streams.clear()
    first = lib.fetch("s1")
    assert lib.fetch("s1") == first and server.streams == [], "the fetches are the analysis's download"
    assert first.read_bytes() == Path(server.songs["s1"]["path"]).read_bytes()

    # the file replaced on the server under the same id (same title): a slow, sad song now
    server.songs["s1"]["path"] = synth.write(tmp_path / "music" / "1b.flac", synth.song("sad"))
    again = lib.sync(pool)
    assert (again.analysed, again.changed, again.failed) == (1, 1, [])
    assert server.streams == ["s1"], "the changed song was downloaded again to be analysed"
    changed = lib.get(happy)
    assert changed is not None and changed.tempo == pytest.approx(70, rel=0.05) and changed.mode == 0
    assert not first.exists(), "the copy of the old file was left in the cache"
    assert lib.cached_audio("s1") not in (None, first), "the new file's analysis download is the copy"

    now = lib.fetch("s1")
    assert now.read_bytes() == Path(server.songs["s1"]["path"]).read_bytes()
    assert server.streams == ["s1"], "its next play is the analysis's download"
    assert lib.sync(pool).analysed == 0, "nothing changed since"
    assert lib.cached_audio("s1") == now
    lib.close()


def test_a_retagged_song_keeps_its_analysis_and_its_copy(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    """New tags in a file of the same size (tag padding): the mirror takes them, nothing is
    downloaded or analysed again.  The tags of an analysed song never reached the mirror before."""
    lib = _synced(server, tmp_path / "cache", pool)
    tone = _track_of(lib, "Tone")
    before = lib.get(tone)
    copy = lib.fetch("s2")
    server.streams.clear()
    server.songs["s2"].update(title="Tone (2024 remaster)", replayGain={"trackGain": -3.0})
    again = lib.sync(pool)
    assert (again.analysed, again.retagged, again.updated, server.streams) == (0, 1, 1, [])
    after = lib.get(tone)
    assert after is not None and before is not None
    assert (after.title, after.replaygain_db) == ("Tone (2024 remaster)", -3.0)
    assert (after.tempo, after.valence, after.extra) == (before.tempo, before.valence, before.extra)
    assert lib.cached_audio("s2") == copy and copy.is_file()
    assert lib.sync(pool).retagged == 0
    lib.close()


def test_a_retag_keeps_the_gain_a_listing_no_longer_gives(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    """ReplayGain measures the audio, which a retag leaves as it was: a listing that says nothing of
    the gain (a server that gives it in some answers only) is no news that it went.  The retag took
    the listing's tags as they were, the gain dropped with them, so the track played at another
    loudness than its album; and as the mirror's gain never matched the listing's none, every later
    sync counted the song retagged again."""
    server.songs["s2"]["replayGain"] = {"trackGain": -4.5}
    lib = _synced(server, tmp_path / "cache", pool)
    tone = _track_of(lib, "Tone")
    server.songs["s2"]["title"] = "Tone (live)"
    del server.songs["s2"]["replayGain"]
    assert lib.sync(pool).retagged == 1
    after = lib.get(tone)
    assert after is not None and (after.title, after.replaygain_db) == ("Tone (live)", -4.5)
    assert lib.sync(pool).retagged == 0, "the song was retagged again with nothing new"
    lib.close()


def test_a_removed_songs_copy_goes_at_the_sync_unless_it_plays(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    lib = _synced(server, tmp_path / "cache", pool)
    tone = _track_of(lib, "Tone")
    lib.fetch("s3")
    with lib.playing("s2") as playing:
        del server.songs["s2"]["path"]  # removed on the server while it plays
        assert lib.sync(pool).removed == 1
        assert playing.is_file(), "the sweep deleted the file playing"
    assert lib.get(tone) is None
    lib.sync(pool)  # nothing new: the file, no longer held, goes now
    assert [n for n in _copies(lib) if n.startswith(tone)] == []
    assert len(_copies(lib)) == 2, "the other songs' copies stay"
    lib.close()


def test_beyond_the_bound_the_least_recently_played_copy_goes(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    sizes = {sid: Path(song["path"]).stat().st_size for sid, song in server.songs.items()}
    lib = _synced(server, tmp_path / "cache", pool, bound=sizes["s1"] + sizes["s2"] + 100)  # not all three
    lib.fetch("s2")
    lib.fetch("s3")
    lib.fetch("s2")  # played again: s3 is now the least recently played
    lib.fetch("s1")  # it stays (it is about to play); the least recently played makes room first
    assert lib.cached_audio("s1") is not None and lib.cached_audio("s3") is None
    assert sum(p.stat().st_size for p in lib.audio_dir.iterdir()) <= lib.audio.max_bytes
    lib.close()


def test_an_error_answer_is_not_kept_as_audio(tmp_path: Path, server: Subsonic, pool: AnalysisPool) -> None:
    """OpenSubsonic servers answer errors with status 200 (a JSON body): that is no song's audio."""
    lib = _synced(server, tmp_path / "cache", pool)
    del server.songs["s3"]["path"]  # gone on the server since the sync: 'not found', status 200
    for copy in lib.audio_dir.iterdir():  # the analysis downloads evicted since
        copy.unlink()
    with pytest.raises(LanError, match="not audio"):
        lib.fetch("s3")
    assert _copies(lib) == []
    lib.close()


def test_a_mirror_from_before_fingerprints_is_not_analysed_again(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool
) -> None:
    """A mirror made by an earlier release knows which songs it analysed, not their files: those are
    taken as listed (analysing a whole library again would take hours); one gone since is removed."""
    lib = _synced(server, tmp_path / "cache", pool)
    with lib.cache.batch() as b:  # as an earlier release left it
        b.conn.execute("DELETE FROM meta WHERE key = 'subsonic_versions'")
        b.set_meta("subsonic_seen", json.dumps(["s1", "s2", "s3"]))
    lib.close()
    del server.songs["s2"]["path"]
    server.streams.clear()
    again = SubsonicLibrary(server.url, tmp_path / "cache")
    result = again.sync(pool)
    assert (result.analysed, result.removed, server.streams) == (0, 1, [])
    assert {t.title for t in again.tracks()} == {"Happy", "Low"}
    server.songs["s3"]["path"] = synth.write(tmp_path / "music" / "3b.flac", synth.chord(synth.C_MAJOR, 3.0))
    assert again.sync(pool).changed == 1, "a change after the upgrade is noticed"
    again.close()
