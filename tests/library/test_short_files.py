"""library.min_track_s: ringtones, jingles and sound effects beside the music are not indexed as music.

A short file is never analysed (the analysis costs seconds per file on a Pi), the scan counts it and
says why, and a file analysed before the minimum was raised leaves the picks at the next scan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
import synth

from moodspeaker.config import Config
from moodspeaker.config.load import from_mapping
from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.recommend.hybrid import Recommender


@pytest.fixture
def music(tmp_path: Path) -> Path:
    """Two 4-second songs and a 1-second ringtone (tests use seconds where a household has minutes)."""
    folder = tmp_path / "music"
    synth.write(folder / "happy.wav", synth.song("happy", 4.0))
    synth.write(folder / "sad.flac", synth.song("sad", 4.0))
    synth.write(folder / "ringtones" / "ring.wav", synth.song("happy", 1.0))
    return folder


def _picked(index: LibraryIndex, tmp_path: Path) -> set[str]:
    """Every track the recommender plans for a happy listener (the library is smaller than k)."""
    rec = Recommender.from_config(Config(), index, tmp_path / "recommend.sqlite")
    picks = rec.plan(None, "default", "steady", k=10)
    return {Path(p.track.location).name for p in picks}


def test_setting_has_a_default_and_bounds() -> None:
    assert Config().library.min_track_s == 30.0
    assert from_mapping({"library": {"min_track_s": 0}}).library.min_track_s == 0.0
    with pytest.raises(ValueError, match="min_track_s"):
        from_mapping({"library": {"min_track_s": -1}})


def test_short_file_is_skipped_counted_and_said(tmp_path: Path, music: Path, pool: AnalysisPool) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    analysed: list[str] = []
    summary = Indexer(index, pool, min_track_s=2.0).scan(
        [str(music)], on_done=lambda path, error: analysed.append(Path(path).name)
    )
    ring = str(music / "ringtones" / "ring.wav")
    assert sorted(analysed) == ["happy.wav", "sad.flac"]  # the ringtone never went to a worker
    assert (summary.analysed, summary.short, summary.failed) == (2, 1, [])
    [(path, kind, reason)] = summary.problems
    assert (path, kind) == (ring, "too-short")
    assert "1.0 s" in reason and "library.min_track_s" in reason and "2 s" in reason
    assert {Path(t.location).name for t in index.tracks()} == {"happy.wav", "sad.flac"}
    assert _picked(index, tmp_path) == {"happy.wav", "sad.flac"}
    assert index.stats()["short"] == 1

    again = Indexer(index, pool, min_track_s=2.0).scan([str(music)])
    # still kept out: counted as too short (what is not played), not as unchanged, and not listed again
    assert (again.skipped, again.short, again.analysed, again.problems) == (2, 1, 0, [])
    retried = Indexer(index, pool, min_track_s=2.0).scan([str(music)], retry_failed=True)
    assert (retried.analysed, retried.short) == (0, 1)  # too short is not a failure to try again


def test_indexed_short_file_leaves_the_picks_when_the_minimum_rises(
    tmp_path: Path, music: Path, pool: AnalysisPool
) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    assert Indexer(index, pool).scan([str(music)]).analysed == 3  # no minimum: the ringtone is music
    assert "ring.wav" in _picked(index, tmp_path)

    raised = Indexer(index, pool, min_track_s=2.0).scan([str(music)])
    assert (raised.analysed, raised.short, raised.skipped) == (0, 1, 2)
    ring = str(music / "ringtones" / "ring.wav")
    assert index.get(track_id(ring)) is None and track_id(ring) not in index.feature_matrix()[0]
    assert _picked(index, tmp_path) == {"happy.wav", "sad.flac"}
    gone = index.changes_since(0)
    assert track_id(ring) in gone["removed"]  # LAN clients drop it too

    lowered = Indexer(index, pool, min_track_s=0.5).scan([str(music)])
    assert (lowered.short, lowered.analysed + lowered.reused) == (0, 1)
    assert "ring.wav" in _picked(index, tmp_path)


def test_length_unknown_from_tags_is_checked_after_analysis(tmp_path: Path, pool: AnalysisPool) -> None:
    """A file whose tags give no length is analysed, and then kept out: a Sony Wave64 file named .wav,
    which libsndfile decodes and mutagen does not recognise."""
    music = tmp_path / "music"
    music.mkdir()
    sf.write(str(music / "ring.wav"), synth.song("happy", 1.0), synth.SR, format="W64")
    index = LibraryIndex(tmp_path / "lib.db")
    summary = Indexer(index, pool, min_track_s=2.0).scan([str(music)])
    assert (summary.analysed, summary.short) == (1, 1)
    assert index.tracks() == []
    again = Indexer(index, pool, min_track_s=2.0).scan([str(music)])
    assert (again.analysed, again.short, again.skipped) == (0, 1, 0)  # its length is known now
