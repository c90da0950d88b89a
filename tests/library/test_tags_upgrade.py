"""A library indexed before the ReplayGain peak tag was read (and an MP3's TXXX or an M4A's freeform
gain: 1ba5ea8) gets them from its first scan after the upgrade, for files that did not change, once.

Why: migration 4 added tracks.tag_peak NULL, and tags were read again only when a file's size or
mtime changed, so an upgraded library never took a tag's peak (the README promises it) nor those
gains.  Migration 5 marks the rows (tags_read 0); the scan reads such a file's tags again, with
mutagen only (nothing analysed again), takes them as a new scan would, and marks the row read.  A
real version-2 library of real tagged files (oldlibrary), real migrations, a real scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from oldlibrary import version_2_scan
from test_peak_tags import tagged

from moodspeaker.library import indexer
from moodspeaker.library.batch import Tags
from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.tags import read_tags as real_read_tags
from moodspeaker.library.workers import AnalysisPool
from tonetracks import tone_file


def test_an_upgraded_library_reads_the_tags_again_once(
    tmp_path: Path, pool: AnalysisPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    ogg = tagged(music, ".ogg", "0.95")  # Vorbis comments: the peak was not read
    mp3 = tagged(music, ".mp3", "0.9")  # TXXX frames: neither the peak nor the gain were read
    m4a = tagged(music, ".m4a", "0.85")  # left pending: its analysis (this scan's) takes the tag's peak
    plain = tone_file(music, "plain", 330.0)  # no tags: the analysis's peak stays
    db = tmp_path / "library.db"
    version_2_scan(db, [ogg, mp3, m4a, plain], 0.2, pending=[m4a])
    read: list[str] = []

    def read_tags(path: str | Path) -> Tags:  # the real reading, counted
        read.append(Path(path).name)
        return real_read_tags(path)

    monkeypatch.setattr(indexer, "read_tags", read_tags)
    with LibraryIndex(db) as index:

        def peaks() -> dict[str, float | None]:
            return {Path(t.location).name: t.peak for t in index.tracks()}

        assert peaks() == {"song.ogg": 0.2, "song.mp3": 0.2, "plain.ogg": 0.2}  # as migrated
        before = index.change_counter()
        summary = Indexer(index, pool).scan([str(music)])
        assert (summary.analysed, summary.updated) == (1, 3)  # the pending one alone analysed
        assert sorted(read) == ["plain.ogg", "song.m4a", "song.mp3", "song.ogg"]
        assert peaks() == {"song.ogg": 0.95, "song.mp3": 0.9, "song.m4a": 0.85, "plain.ogg": 0.2}
        gains = {Path(t.location).name: t.replaygain_db for t in index.tracks()}
        assert gains == {"song.ogg": -7.25, "song.mp3": -7.25, "song.m4a": -7.25, "plain.ogg": None}
        # the tracks whose peak changed go to LAN speakers again; the one without tags does not
        sent = {t["id"] for t in index.changes_since(before)["tracks"]}
        assert sent == {track_id(str(f)) for f in (ogg, mp3, m4a)}

        read.clear()
        again = index.change_counter()
        summary = Indexer(index, pool).scan([str(music)])
        assert read == [] and (summary.analysed, summary.updated, summary.skipped) == (0, 0, 4)
        assert index.changes_since(again)["tracks"] == []
    with LibraryIndex(db) as index:  # opened again: nothing left to read
        read.clear()
        Indexer(index, pool).scan([str(music)])
        assert read == []
