"""A file renamed or moved keeps its track id, so its likes, dislikes and plays stay with it.

A household indexed its library, disliked a song, then let a tagger rename the album's folder (as
Picard or beets do): the rescan said "41 new, 41 removed", the moved files had new ids, and the dislike
(kept by id in the recommender's store) matched no track any more; the song was offered again.  A copy
(its original still there) is a track of its own, as before.  Real files, the real index on SQLite,
the real analysis pool and the real recommender and its store.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

import synth

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.recommend import FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)


def _album(music: Path) -> tuple[Path, Path]:
    one = synth.write(music / "Unknown Album" / "01.flac", synth.song("happy", 3.0))
    two = synth.write(music / "Unknown Album" / "02.wav", synth.song("sad", 3.0))
    synth.tag(one, title="Journey's End", artist="The Band", album="Unknown")
    return one, two


def _recommender(index: LibraryIndex, data: Path) -> Recommender:
    """The recommender as the service makes it at start: learned again from the store's events."""
    store = FeedbackStore(data / "recommend.sqlite")
    return Recommender(index, store, Options.from_config(RecommendConfig()))


def test_a_renamed_album_keeps_its_ids_and_its_dislike(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    one, two = _album(music)
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    assert indexer.scan([str(music)]).analysed == 2
    ids = {t.location: t.id for t in index.tracks()}
    disliked, liked = ids[str(one)], ids[str(two)]
    rec = _recommender(index, tmp_path)
    rec.create_profile("kim", NOW)  # feedback makes no profile
    rec.feedback("kim", disliked, "dislike", HAPPY, NOW)
    rec.feedback("kim", liked, "like", HAPPY, NOW + 1)
    rec.store.close()

    (music / "The Band").mkdir()
    os.rename(music / "Unknown Album", music / "The Band" / "2001 - Journey")  # the tagger's new names
    new_one = music / "The Band" / "2001 - Journey" / "01.flac"
    synth.tag(new_one, title="Journey's End", artist="The Band", album="Journey")  # and its new tags
    again = indexer.scan([str(music)])
    assert (again.moved, again.added, again.removed, again.analysed) == (2, 0, 0, 0)
    moved = index.get(disliked)
    assert moved is not None and moved.location == str(new_one) and moved.album == "Journey"
    assert {t.id for t in index.tracks()} == {disliked, liked}
    rec = _recommender(index, tmp_path)
    assert {e.track_id for e in rec.store.events("kim")} <= {t.id for t in index.tracks()}
    assert [p.track.id for p in rec.plan(HAPPY, "kim", "match", NOW + 60, 2)] == [liked]  # still disliked
    rec.store.close()


def test_a_copy_gets_its_own_id(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    one, _ = _album(music)
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    indexer.scan([str(music)])
    copy = Path(shutil.copy2(one, music / "copy.flac"))
    again = indexer.scan([str(music)])
    assert (again.moved, again.added, again.removed, again.analysed, again.reused) == (0, 1, 0, 0, 1)
    by_place = {t.location: t.id for t in index.tracks()}
    assert by_place[str(one)] == track_id(str(one)) and by_place[str(copy)] == track_id(str(copy))


def test_a_file_put_where_a_moved_one_was_is_a_new_track(tmp_path: Path, pool: AnalysisPool) -> None:
    """The moved track holds the id made from its old place: a new file there gets another one, and
    later changes of either file (new tags, deletion) go to its own track."""
    music = tmp_path / "music"
    one, _ = _album(music)
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    indexer.scan([str(music)])
    first = track_id(str(one))
    shutil.move(one, music / "01 Journey's End.flac")
    assert indexer.scan([str(music)]).moved == 1
    synth.write(one, synth.chord(synth.A_MINOR, 3.0))  # another song where the moved one was
    again = indexer.scan([str(music)])
    assert (again.moved, again.added, again.removed, again.analysed) == (0, 1, 0, 1)
    by_place = {t.location: t.id for t in index.tracks()}
    assert by_place[str(music / "01 Journey's End.flac")] == first
    newcomer = by_place[str(one)]
    assert newcomer != first and index.features(newcomer) != index.features(first)

    synth.tag(music / "01 Journey's End.flac", title="Journey's End (live)", artist="The Band")
    (music / "Unknown Album" / "02.wav").unlink()
    third = indexer.scan([str(music)])
    assert (third.updated, third.removed, third.analysed) == (1, 1, 0)
    renamed = index.get(first)
    assert renamed is not None and renamed.title == "Journey's End (live)"
    (music / "01 Journey's End.flac").unlink()
    fourth = indexer.scan([str(music)])
    assert fourth.removed == 1 and index.get(first) is None and index.get(newcomer) is not None
    assert first in index.changes_since(0)["removed"]


def test_a_file_whose_disk_is_unmounted_is_not_taken_for_moved(tmp_path: Path, pool: AnalysisPool) -> None:
    """A USB disk unmounted leaves an empty mount point (its tracks are kept): the same audio found
    in the music folder meanwhile is a copy, and the disk's track keeps its place."""
    usb, music = tmp_path / "usb", tmp_path / "music"
    song = synth.write(usb / "song.flac", synth.song("happy", 3.0))
    music.mkdir()
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    indexer.scan([str(usb), str(music)])
    shutil.move(song, music / "song.flac")  # as if copied before the disk went
    again = indexer.scan([str(usb), str(music)])
    assert (again.moved, again.added, again.removed) == (0, 1, 0)
    assert {t.location for t in index.tracks()} == {str(song), str(music / "song.flac")}


def test_a_lan_client_keeps_a_moved_track_and_streams_it_from_its_new_place(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    """Over real HTTP: the server sends ids, never paths, and streams a track by its id from where its
    file is now; a client's mirror keeps the moved track (no removal), and gets its new tags."""
    music = tmp_path / "music"
    one, two = _album(music)
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    indexer.scan([str(music)])
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    try:
        assert lan.sync().updated == 2
        tid = track_id(str(one))
        os.rename(music / "Unknown Album", music / "Journey")
        synth.tag(music / "Journey" / "01.flac", title="Journey's End", artist="The Band", album="Journey")
        assert indexer.scan([str(music)]).moved == 2
        synced = lan.sync()
        assert (synced.updated, synced.removed) == (1, 0)  # the retagged one, sent again; nothing removed
        mirrored = {t.id: t for t in lan.tracks()}
        assert set(mirrored) == {tid, track_id(str(two))} and mirrored[tid].album == "Journey"
        with urllib.request.urlopen(f"{server.url}/api/v1/stream/{tid}") as resp:
            assert resp.status == 200
            assert resp.read() == (music / "Journey" / "01.flac").read_bytes()
        assert lan.fetch(tid).read_bytes() == (music / "Journey" / "01.flac").read_bytes()
    finally:
        lan.close()
        server.stop()
