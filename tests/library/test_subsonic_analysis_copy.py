"""A new OpenSubsonic song's first play uses the download its analysis made: no second download.

Why: the sync downloaded each new song to a temporary folder to analyse it and deleted it after, so
the song's first play streamed the whole file again (a NAS woken twice, twice the bytes on a weak
Wi-Fi, and a first play that fails when the server went off after the sync).  The analysis now
downloads into the server's download cache (library.lan.audiocache), named by the fingerprint the
mirror keeps, so the first play finds it.  That download is no play: it is set aside (stamped older
than every other copy), so with the cache full it is the first to go and never pushes out a song
the listener played.  The OpenSubsonic server of subsonickit on the loopback, counting its stream
requests; a real analysis pool.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import synth

from moodspeaker.library.index import track_id
from moodspeaker.library.lan.subsonic import SubsonicLibrary, SubsonicSync, song_version
from moodspeaker.library.workers import AnalysisPool
from polling import until
from subsonickit import Songs, Subsonic, serve
from testcache import numba_cache


@pytest.fixture
def music(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "music"
    return {
        "big": synth.write(folder / "big.flac", synth.song("happy")),
        "small": synth.write(folder / "small.flac", synth.chord(synth.C_MAJOR, 2.0)),
        "quiet": synth.write(folder / "quiet.flac", synth.chord(synth.C_MAJOR, 2.0, amp=0.1)),
    }


@pytest.fixture
def server(music: dict[str, Path]) -> Iterator[Subsonic]:
    songs: Songs = {}
    srv = serve(songs, page_cap=2)
    try:
        yield srv
    finally:
        srv.stop()


def _add(server: Subsonic, music: dict[str, Path], *names: str) -> None:
    for name in names:
        server.songs[name] = {"title": name, "artist": "Synth", "suffix": "flac", "path": music[name]}


def _copies(lib: SubsonicLibrary) -> list[str]:
    """The songs (titled by their ids) whose audio is in the download cache (whole files only)."""
    ids = {t.id: t.title for t in lib.tracks()}
    names = [p.name for p in lib.audio_dir.iterdir()] if lib.audio_dir.is_dir() else []
    return sorted(ids[n.split(".")[0]] for n in names if n.count(".") == 1)


def test_a_new_songs_first_play_uses_the_analysis_download(
    tmp_path: Path, server: Subsonic, music: dict[str, Path], pool: AnalysisPool
) -> None:
    _add(server, music, "big", "small")
    lib = SubsonicLibrary(server.url, tmp_path / "cache")
    assert lib.sync(pool).analysed == 2
    assert sorted(server.streams) == ["big", "small"], "each song downloaded once, to be analysed"
    server.streams.clear()

    for sid in ("big", "small"):
        assert lib.cached_audio(sid) is not None, f"{sid}: the analysis download is not in the cache"
        with lib.playing(sid) as path:
            assert path.read_bytes() == music[sid].read_bytes()
    assert server.streams == [], "the first play downloaded the song again"
    lib.close()


def test_analysis_downloads_never_push_out_a_played_song(
    tmp_path: Path, server: Subsonic, music: dict[str, Path], pool: AnalysisPool
) -> None:
    """The cache holds the played song and one of the two songs analysed after it, not all three: a
    song analysed (never played) goes, not the played one, however recently it was downloaded."""
    size = {name: path.stat().st_size for name, path in music.items()}
    bound = size["big"] + size["small"] + 100
    assert bound < sum(size.values()), "the three would fit: this test shows nothing"
    _add(server, music, "small")
    lib = SubsonicLibrary(server.url, tmp_path / "cache", audio_cache_bytes=bound)
    assert lib.sync(pool).analysed == 1
    with lib.playing("small"):
        pass  # played: its copy is the listener's now

    _add(server, music, "big", "quiet")  # new on the server: analysed after the play
    assert lib.sync(pool).analysed == 2
    kept = _copies(lib)
    assert "small" in kept, f"the played song's copy was evicted for an analysis download: {kept}"
    assert len(kept) == 2, f"the cache kept {kept}: one analysis download fits beside the played song"
    assert sum(p.stat().st_size for p in lib.audio_dir.iterdir()) <= bound
    lib.close()


def _two_more_over_the_bound(tmp_path: Path, music: dict[str, Path]) -> int:
    """Songs `first` and `second` (smaller than `quiet`) added to `music`; a cache bound that holds
    `small` (played) with `first` and `second` beside it, so the sync analyses those two in one group
    (subsonicsongs.next_group), but not `small`, `quiet` and `first` (returned), so a sweep must
    choose what to delete."""
    for name, amp in (("first", 0.3), ("second", 0.05)):
        music[name] = synth.write(
            tmp_path / "music" / f"{name}.flac", synth.chord(synth.C_MAJOR, 2.0, amp=amp)
        )
    size = {name: path.stat().st_size for name, path in music.items()}
    bound = size["small"] + size["first"] + size["second"] + 100
    assert bound < size["small"] + size["quiet"] + size["first"], "all would fit: this test shows nothing"
    return bound


def _small_played_and_quiet_to_download(lib: SubsonicLibrary, pool: AnalysisPool) -> None:
    """`small` and `quiet` synced (analysed), `small` played (its copy is the listener's now) and
    `quiet`'s analysis copy gone, so its play downloads it."""
    assert lib.sync(pool).analysed == 2
    with lib.playing("small"):
        pass
    quiet = lib.cached_audio("quiet")
    assert quiet is not None
    quiet.unlink()


def _played_copies_kept(
    lib: SubsonicLibrary, player: SubsonicLibrary, results: list[SubsonicSync], bound: int
) -> None:
    """The held sync analysed its group, both played songs' copies stayed, and the cache is within
    its bound (the analysis copies did not stay)."""
    assert [r.analysed for r in results] == [2]
    assert player.cached_audio("small") is not None and player.cached_audio("quiet") is not None
    assert sum(p.stat().st_size for p in lib.audio_dir.iterdir()) <= bound, "the analysis copies stayed"


def test_a_play_during_a_syncs_analysis_keeps_the_played_copies(
    tmp_path: Path, server: Subsonic, music: dict[str, Path], pool: AnalysisPool
) -> None:
    """A sync holds its group's analysis downloads until their analysis is in the mirror; a play
    meanwhile (the service beside a `library sync`) downloads a song and sweeps.  Held in the cache,
    those downloads could not be deleted yet counted, so the sweep deleted the played song's copy to
    get under the bound.  The sync is held at its group's second download (the server's gate)."""
    bound = _two_more_over_the_bound(tmp_path, music)
    _add(server, music, "small", "quiet")
    lib = SubsonicLibrary(server.url, tmp_path / "cache", audio_cache_bytes=bound)
    _small_played_and_quiet_to_download(lib, pool)

    _add(server, music, "first", "second")  # new on the server: one group of the next sync
    server.gates["second"] = gate = threading.Event()
    results: list[SubsonicSync] = []
    syncing = threading.Thread(target=lambda: results.append(lib.sync(pool)))
    syncing.start()
    player = SubsonicLibrary(server.url, tmp_path / "cache", audio_cache_bytes=bound)
    try:
        until(lambda: "second" in server.streams, what="the sync to download the group's second song")
        with player.playing("quiet"):  # downloaded, then the sweep
            assert player.cached_audio("small") is not None, "the played song's copy was deleted"
    finally:
        gate.set()
        syncing.join(timeout=600)
    _played_copies_kept(lib, player, results, bound)
    player.close()
    lib.close()


def test_a_play_while_a_sync_moves_its_copies_in_keeps_the_played_copies(
    tmp_path: Path, server: Subsonic, music: dict[str, Path]
) -> None:
    """The sync moved its group's analysis copies into the cache while it still held them, so a
    play's sweep between two moves ranked the one moved first (set aside), could not delete it, still
    counted it, and deleted the played song's copy.  The sync is held at its second move (the cache's
    lock of that download, taken here first); one worker, so the group is analysed in order."""
    bound = _two_more_over_the_bound(tmp_path, music)
    _add(server, music, "small", "quiet")
    lib = SubsonicLibrary(server.url, tmp_path / "cache", audio_cache_bytes=bound)
    player = SubsonicLibrary(server.url, tmp_path / "cache", audio_cache_bytes=bound)
    with AnalysisPool(1, excerpt_s=4.0, numba_cache_dir=numba_cache()) as pool:
        pool.start()
        _small_played_and_quiet_to_download(lib, pool)

        _add(server, music, "first", "second")  # new on the server: one group of the next sync
        listed = {str(s["id"]): s for s in lib.list_songs()}
        first = lib.audio.path(track_id(f"{lib.base_url}#first"), song_version(listed["first"]))
        second = lib.audio.path(track_id(f"{lib.base_url}#second"), song_version(listed["second"]))
        results: list[SubsonicSync] = []
        with (second.parent / (second.name + ".part")).open("ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the sync's move of "second" waits for this
            syncing = threading.Thread(target=lambda: results.append(lib.sync(pool)))
            syncing.start()
            try:
                until(first.is_file, what="the sync to move its first analysis copy into the cache")
                with player.playing("quiet"):  # downloaded, then the sweep
                    assert player.cached_audio("small") is not None, "the played song's copy was deleted"
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
                syncing.join(timeout=600)
    _played_copies_kept(lib, player, results, bound)
    player.close()
    lib.close()
