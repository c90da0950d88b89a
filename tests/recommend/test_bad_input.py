"""Bad input never crashes: empty or unanalysed libraries, no history, vanishing tracks, odd moods."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender
from moodspeaker.recommend.content import FloatArray
from moodspeaker.recommend.source import TrackSource

NOW = 1_800_000_000.0


def _rec(source: TrackSource, tmp_path: Path) -> Recommender:
    return Recommender(source, FeedbackStore(tmp_path / "r.sqlite"), Options.from_config(RecommendConfig()))


def _add(index: LibraryIndex, location: str, artist: str, valence: float, arousal: float) -> None:
    values = dict(zip(FEATURE_COLUMNS, (valence, arousal, 0.5 + arousal / 2, 120 + 30 * arousal, -14.0,
                                        int(valence > 0), 0.5), strict=True))  # fmt: skip
    with index.batch() as b:
        b.upsert_file(location, 10, 1, "h-" + location, Tags(location, artist, "album", 180.0))
        b.set_analysed(location, {}, values)


def test_empty_library_gives_no_picks_and_says_why(tmp_path: Path) -> None:
    rec = _rec(Catalogue([]), tmp_path)
    assert rec.plan(Mood.of("sad"), "alice", "match", NOW, 5) == []
    assert "library is empty" in rec.status
    rec.create_profile("alice", NOW)
    rec.feedback("alice", "gone", "skip", Mood.of("sad"), NOW)  # feedback on nothing still stored


def test_library_still_being_analysed(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    with index.batch() as b:
        for i in range(3):
            b.upsert_file(f"/m/{i}.ogg", 10, 1, f"h{i}", Tags(f"t{i}", "x"))
    rec = _rec(index, tmp_path)
    assert rec.plan(Mood.of("happy"), "alice", "uplift", NOW, 5) == []
    assert rec.status == "the library is not analysed yet: 3 tracks waiting for analysis"


def test_unanalysed_tracks_are_played_shuffled_with_an_honest_reason(tmp_path: Path) -> None:
    raw = [Track(f"u{i}", f"/m/{i}", f"T{i}", f"A{i % 3}", valence=float("nan")) for i in range(6)]
    rec = _rec(Catalogue(raw), tmp_path)
    picks = rec.plan(Mood.of("sad"), "alice", "match", NOW, 4)
    assert len(picks) == 4 and len({p.track.id for p in picks}) == 4
    assert all("not analysed yet" in p.reason for p in picks)
    assert "not analysed" in rec.status


def test_profile_without_history_gets_a_first_guess(rec: Recommender) -> None:
    picks = rec.plan(Mood.of("angry", 0.8), "newcomer", "match", NOW, 3)
    assert len(picks) == 3
    assert "first guess" in picks[0].reason


def test_unknown_or_missing_mood_falls_back_to_taste(rec: Recommender) -> None:
    assert len(rec.plan(None, "alice", "uplift", NOW, 3)) == 3
    assert len(rec.plan(Mood("unknown", 0.0, 0.0, 0.0), "alice", "match", NOW, 3)) == 3
    weird = Mood("sad", float("nan"), float("inf"), float("nan"))
    assert len(rec.plan(weird, "alice", "match", NOW, 3)) == 3
    rec.create_profile("alice", NOW)
    rec.feedback("alice", rec.plan(weird, "alice", "match", NOW, 1)[0].track.id, "skip", weird, NOW + 1)


def test_more_picks_than_tracks_and_everything_recently_played(tmp_path: Path) -> None:
    few = [Track(f"f{i}", f"/m/{i}", f"T{i}", "Solo", valence=0.1 * i, arousal=0.0) for i in range(3)]
    rec = _rec(Catalogue(few), tmp_path)
    assert len(rec.plan(Mood.of("happy"), "a", "match", NOW, 10)) == 3
    rec.create_profile("a", NOW)
    for i, t in enumerate(few):
        rec.feedback("a", t.id, "completed", Mood.of("happy"), NOW + i)
    again = rec.plan(Mood.of("happy"), "a", "match", NOW + 10, 2)
    # rather than going silent, the no-repeat window shrinks to what the library allows: the track
    # heard longest ago comes back first (tests/recommend/test_small_library.py)
    assert [p.track.id for p in again] == ["f0"]


def test_a_track_that_vanishes_before_it_is_played(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    for i in range(12):
        _add(index, f"/m/{i}.ogg", f"artist{i}", valence=-0.8 + 0.1 * i, arousal=-0.5)
    rec = _rec(index, tmp_path)
    sad = Mood.of("sad")
    first = rec.plan(sad, "alice", "match", NOW, 1)[0].track
    with index.batch() as b:  # the file is deleted before the player gets to it
        b.remove(first.location)
    # the player reports it; the next plan never offers it and still fills the queue
    rec.create_profile("alice", NOW)
    rec.feedback("alice", first.id, "missing", sad, NOW + 1)
    picks = rec.plan(sad, "alice", "match", NOW + 2, 5)
    assert len(picks) == 5 and first.id not in {p.track.id for p in picks}
    assert index.get(first.id) is None


def test_a_track_removed_between_plans_is_not_offered_even_unreported(tmp_path: Path) -> None:
    tracks = [
        Track(f"v{i}", f"/m/{i}", f"T{i}", f"A{i}", valence=-0.7 + 0.01 * i, arousal=-0.5) for i in range(8)
    ]
    catalogue = Catalogue(tracks)
    rec = _rec(catalogue, tmp_path)
    best = rec.plan(Mood.of("sad"), "a", "match", NOW, 1)[0].track
    catalogue.remove(best.id)
    assert best.id not in {p.track.id for p in rec.plan(Mood.of("sad"), "a", "match", NOW + 1, 3)}


def test_library_index_is_a_real_source(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    for i in range(20):
        _add(index, f"/m/{i}.ogg", f"artist{i % 5}", valence=-1 + i / 10, arousal=0.4)
    rec = _rec(index, tmp_path)
    picks = rec.plan(Mood.of("happy"), "alice", "match", NOW, 4)
    assert picks[0].track.id in {track_id(f"/m/{i}.ogg") for i in (17, 18)}  # valence 0.7 / 0.8
    artists = [p.track.artist for p in picks]
    assert all(a != b for a, b in pairwise(artists))
    _add(index, "/m/new.ogg", "newcomer", valence=0.75, arousal=0.45)  # a rescan adds a perfect fit
    assert track_id("/m/new.ogg") in {p.track.id for p in rec.plan(Mood.of("happy"), "bob", "match", NOW, 2)}


@pytest.mark.parametrize("k", [0, -3])
def test_silly_queue_lengths(rec: Recommender, k: int) -> None:
    assert len(rec.plan(Mood.of("happy"), "alice", "match", NOW, k)) == 1


class _TwoLibraries:
    """The same track reachable from the local disk and a LAN server (same id twice)."""

    def __init__(self, tracks: list[Track]) -> None:
        self.inner = Catalogue(tracks)

    def tracks(self) -> list[Track]:
        return self.inner.tracks() * 2

    def feature_matrix(self) -> tuple[list[str], FloatArray]:
        ids, x = self.inner.feature_matrix()
        return ids + ids, np.vstack([x, x])


def test_a_track_listed_twice_is_offered_once(tmp_path: Path) -> None:
    tracks = [Track(f"d{i}", f"/m/{i}", f"T{i}", f"A{i}", valence=0.7, arousal=0.4) for i in range(4)]
    picks = _rec(_TwoLibraries(tracks), tmp_path).plan(Mood.of("happy"), "a", "match", NOW, 4)
    assert sorted(p.track.id for p in picks) == ["d0", "d1", "d2", "d3"]
