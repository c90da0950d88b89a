"""No download into the speaker's audio cache grows past the cache's bound, whatever the server sends.

Why: the download cache (library.lan.audiocache) wrote whatever a server streamed.  A response
without Content-Length (chunked, or a server that streams a live source or loops on a broken file)
was written until it ended, so a misbehaving server could fill the SD card the system and the
databases live on; a file larger than library.server_cache_mb was kept whole too.  Now a download
that says it is larger than the whole cache is refused before a byte is written, one that passes the
bound while streaming is stopped there, nothing of it stays on the card, and it fails as a broken
stream does (a library server's track: a failed-download note in the mirror; an OpenSubsonic song: a
failed analysis of the sync, whose refusal is kept until the file or the bound changes).  Real
library servers (`library serve`'s LibraryServer) and the OpenSubsonic server of subsonickit on the
loopback; a real analysis pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from flask import Response, request
from lankit import add_track, cached_files

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.audiocache import ASIDE
from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import serve

BOUND = 256 * 1024
#: what the misbehaving server sends: far beyond the bound (a never-ending stream would hang the test
#: of a client that does not stop; this much fails it)
FLOOD = 40 * BOUND


@pytest.fixture
def index(tmp_path: Path) -> Iterator[LibraryIndex]:
    with LibraryIndex(tmp_path / "server.db") as idx:
        yield idx


def _problems(lan: LanLibrary) -> list[tuple[str, str]]:
    return [(p["path"], p["kind"]) for p in lan.cache.stats()["problems"]]


def test_a_stream_without_length_is_stopped_at_the_bound(tmp_path: Path, index: LibraryIndex) -> None:
    song = synth.write(tmp_path / "music" / "a.wav", synth.chord(synth.C_MAJOR, 1.0))
    tid = add_track(index, song, 0.1)
    server = LibraryServer(index, "127.0.0.1", 0)
    sent: list[int] = []

    @server.app.after_request
    def flood(response: Response) -> Response:
        if "/stream/" not in request.path:
            return response
        response.close()

        def blocks() -> Iterator[bytes]:
            for _ in range(FLOOD // 65536):
                sent.append(65536)
                yield b"\0" * 65536

        return Response(blocks(), mimetype="audio/wav")  # no Content-Length: chunked

    server.start()
    lan = LanLibrary(server.url, tmp_path / "cache", audio_cache_bytes=BOUND)
    try:
        lan.sync()
        with pytest.raises(LanError, match="larger than the whole download cache"):
            lan.fetch(tid)
        assert cached_files(lan) == {}, "a partial download (or its ETag) was left on the card"
        assert _problems(lan) == [(f"{lan.source}/{tid}", "stream")], "the failure was not noted"
        assert sent, "the server was never asked: this test shows nothing"
    finally:
        lan.close()
        server.stop()


def test_a_file_larger_than_the_cache_is_refused_and_nothing_kept(
    tmp_path: Path, index: LibraryIndex
) -> None:
    small = synth.write(tmp_path / "music" / "small.wav", synth.chord(synth.C_MAJOR, 1.0))
    big = synth.write(tmp_path / "music" / "big.wav", synth.chord(synth.C_MAJOR, 4.0))
    bound = (small.stat().st_size + big.stat().st_size) // 2
    assert small.stat().st_size < bound < big.stat().st_size
    small_id, big_id = add_track(index, small, 0.1), add_track(index, big, 0.2)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache", audio_cache_bytes=bound)
    try:
        lan.sync()
        with pytest.raises(
            LanError, match=f"{big.stat().st_size} bytes.*larger than the whole download cache"
        ):
            lan.fetch(big_id)
        assert cached_files(lan) == {}
        assert _problems(lan) == [(f"{lan.source}/{big_id}", "stream")]
        assert lan.fetch(small_id).read_bytes() == small.read_bytes(), "a file within the bound is kept"
        assert set(cached_files(lan)) == {small_id}
    finally:
        lan.close()
        server.stop()


def test_an_opensubsonic_song_larger_than_the_cache_is_not_analysed(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    """The sync downloads a new song into the cache to analyse it: the bound holds there too."""
    music = tmp_path / "music"
    small = synth.write(music / "small.flac", synth.chord(synth.C_MAJOR, 2.0))
    big = synth.write(music / "big.flac", synth.song("happy"))
    bound = small.stat().st_size + 1000
    assert bound < big.stat().st_size
    srv = serve({
        "small": {"title": "Small", "suffix": "flac", "path": small},
        "big": {"title": "Big", "suffix": "flac", "path": big},
    })  # fmt: skip
    lib = SubsonicLibrary(srv.url, tmp_path / "cache", audio_cache_bytes=bound)
    try:
        result = lib.sync(pool)
        assert result.analysed == 1 and [sid for sid, _ in result.failed] == ["big"]
        assert "larger than the whole download cache" in result.failed[0][1]
        assert {t.title for t in lib.tracks()} == {"Small"}
        copies = [p.name.count(".") for p in lib.audio_dir.iterdir() if not p.name.endswith(ASIDE)]
        assert copies == [1], "only the small song's copy"
    finally:
        lib.close()
        srv.stop()


def test_a_refused_opensubsonic_song_is_tried_again_only_when_its_file_changes(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    """Its refusal is kept, with a problem `library stats` lists: a sync downloaded it again each
    time (with no length said, up to the bound, 2 GB by default) to learn the same.  Its file
    changed on the server, or a larger bound, and it is tried again."""
    music = tmp_path / "music"
    small = synth.write(music / "small.flac", synth.chord(synth.C_MAJOR, 2.0))
    big = synth.write(music / "big.flac", synth.song("happy"))
    bound = small.stat().st_size + 1000
    srv = serve({
        "small": {"title": "Small", "suffix": "flac", "path": small},
        "big": {"title": "Big", "suffix": "flac", "path": big},
    })  # fmt: skip
    cache = tmp_path / "cache"
    lib = SubsonicLibrary(srv.url, cache, audio_cache_bytes=bound)
    try:
        assert [sid for sid, _ in lib.sync(pool).failed] == ["big"]
        srv.streams.clear()
        again = lib.sync(pool)
        assert srv.streams == [], "the refused song was downloaded again"
        assert again.failed == [] and again.analysed == 0
        [noted] = [p for p in lib.cache.stats()["problems"] if p["kind"] == "too large"]
        assert noted["path"].endswith("/big") and "larger than the whole download cache" in noted["reason"]

        srv.songs["big"]["created"] = "2026-12-05T10:00:00Z"  # replaced on the server: a new fingerprint
        assert [sid for sid, _ in lib.sync(pool).failed] == ["big"] and srv.streams == ["big"]
        srv.streams.clear()
        lib.sync(pool)
        assert srv.streams == [], "the changed file's refusal was not kept"
        lib.close()

        lib = SubsonicLibrary(srv.url, cache, audio_cache_bytes=bound + big.stat().st_size)  # a larger bound
        grown = lib.sync(pool)
        assert grown.analysed == 1 and grown.failed == [] and srv.streams == ["big"]
        assert {t.title for t in lib.tracks()} == {"Small", "Big"}
        assert [p for p in lib.cache.stats()["problems"] if p["kind"] == "too large"] == []
    finally:
        lib.close()
        srv.stop()
