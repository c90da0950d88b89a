"""A library smaller than the no-repeat window (30 plays by default) keeps offering music.

Before the fix, once every track had played the planner dropped the no-repeat rule altogether: the
few tracks that fit the mood best came round again and again while the rest were never offered, a
track disliked or skipped in this mood came back (a rejection also counts as a play, and the
relaxation let every recent play through), and tracks already playing or queued could be planned
again.  Now the window shrinks to what the library allows (the track heard longest ago comes back
first), rejections and the caller's exclusions always stand, and when nothing is left the status
says why.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender
from moodspeaker.recommend.hybrid import PICKS_OFF, Outcome, Readiness
from moodspeaker.recommend.planner import whole_library_on

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)


def make_tracks(n: int, *, artists: int) -> list[Track]:
    """`n` tracks over `artists` artists, from happy (the first) to sad (the last)."""
    out = []
    for i in range(n):
        v = 0.9 - 1.8 * i / max(1, n - 1)
        a = 0.6 - 0.3 * i
        out.append(
            Track(
                id=f"t{i}",
                location=f"/music/{i}.ogg",
                title=f"Track {i}",
                artist=f"Artist {i % artists}",
                valence=v,
                arousal=a,
                energy=(a + 1) / 2,
                tempo=100 + 40 * a,
                loudness_lufs=-14 + 5 * a,
                mode=int(v > 0),
                brightness=0.5 + 0.3 * v,
            )
        )
    return out


def small(tmp_path: Path, tracks: list[Track]) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    rec = Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))
    rec.create_profile("kim", NOW)
    return rec


def play_on(rec: Recommender, n: int, start: int = 0, *, disliked: str = "") -> list[str]:
    """Plan one track at a time and play it to the end, `n` times, as the speaker's refill does."""
    heard: list[str] = []
    for i in range(start, start + n):
        picks = rec.plan(HAPPY, "kim", "match", NOW + i * 200, 1)
        assert picks, (i, heard, rec.status)
        tid = picks[0].track.id
        kind = "dislike" if tid == disliked else "completed"
        rec.feedback("kim", tid, kind, HAPPY, NOW + i * 200 + 150)
        heard.append(tid)
    return heard


def test_a_small_library_plays_on_in_rotation(tmp_path: Path) -> None:
    tracks = make_tracks(5, artists=3)  # two artists have two tracks each
    rec = small(tmp_path, tracks)
    heard = play_on(rec, 23)
    ids = sorted(t.id for t in tracks)
    assert sorted(heard[:5]) == ids  # the first round: each once, best fit first
    assert heard[5:] == (heard[:5] * 5)[:18]  # then round after round in the same order
    for i in range(1, len(heard)):  # so never one of the last four again: the window is now 4
        assert heard[i] not in heard[max(0, i - 4) : i], (i, heard)
    assert min(heard.count(tid) for tid in ids) >= 4 and rec.status == "ready"


def test_what_is_playing_or_queued_is_never_planned_again(tmp_path: Path) -> None:
    tracks = make_tracks(5, artists=3)
    rec = small(tmp_path, tracks)
    heard = play_on(rec, 5)
    # every track has played; the oldest one is queued and the newest is playing
    picks = rec.plan(HAPPY, "kim", "match", NOW + 5000, 3, exclude=frozenset({heard[0], heard[-1]}))
    assert [p.track.id for p in picks] == [heard[1]]  # the one heard longest ago of those left
    nothing = rec.plan(HAPPY, "kim", "match", NOW + 5000, 3, exclude=frozenset(heard))
    # all is well: the status says so, not "nothing left to offer" (read as a fault on the health page)
    assert nothing == [] and rec.status == (
        "all 5 tracks of the library are on already (playing or queued): each plays again once it ends"
    )


def test_the_only_track_allowed_is_planned_again_while_it_plays(tmp_path: Path) -> None:
    """While the only track of a library plays, it is planned again, marked as a repeat: queued, it
    follows itself without a gap (before, nothing was planned until it had ended: a silence, and a
    status reading "nothing left to offer", like a fault).  A rejection still stands."""
    rec = small(tmp_path, make_tracks(1, artists=1))
    assert play_on(rec, 1) == ["t0"]
    picks = rec.plan(HAPPY, "kim", "match", NOW + 500, 3, exclude=frozenset({"t0"}))
    assert [(p.track.id, p.again) for p in picks] == [("t0", True)] and rec.status == "ready"
    assert picks[0].reason.endswith("; again, as the only track to play now"), picks[0].reason
    rec.feedback("kim", "t0", "skip", HAPPY, NOW + 600, played_s=5.0)
    assert rec.plan(HAPPY, "kim", "match", NOW + 700, 3, exclude=frozenset({"t0"})) == []
    assert rec.status == "nothing left to offer: 1 track rejected in this mood (skipped or disliked)"


def test_a_repeat_only_when_no_other_track_is_allowed(tmp_path: Path) -> None:
    """Two tracks: while one plays the other is planned (no repeat); once the other is disliked, the
    one playing is the only one allowed and is planned again."""
    rec = small(tmp_path, make_tracks(2, artists=2))
    first, second = play_on(rec, 2)
    picks = rec.plan(HAPPY, "kim", "match", NOW + 900, 3, exclude=frozenset({second}))
    assert [(p.track.id, p.again) for p in picks] == [(first, False)]
    rec.feedback("kim", first, "dislike", HAPPY, NOW + 950)
    picks = rec.plan(HAPPY, "kim", "match", NOW + 1000, 3, exclude=frozenset({second}))
    assert [(p.track.id, p.again) for p in picks] == [(second, True)]


def test_a_track_disliked_in_this_mood_stays_out_after_everything_has_played(tmp_path: Path) -> None:
    tracks = make_tracks(5, artists=3)
    rec = small(tmp_path, tracks)
    first = play_on(rec, 5)
    disliked = first[2]
    rec.feedback("kim", disliked, "dislike", HAPPY, NOW + 1100)  # the latest play, and rejected
    rec.feedback("kim", first[3], "skip", HAPPY, NOW + 1110, played_s=5.0)
    heard = play_on(rec, 12, start=6)
    assert disliked not in heard and first[3] not in heard, heard
    assert set(heard) == set(first) - {disliked, first[3]}
    # in another mood the dislike does not apply
    sad = rec.plan(Mood.of("sad", 0.9), "kim", "match", NOW + 9000, 5)
    assert disliked in {p.track.id for p in sad}


def test_everything_rejected_gives_nothing_and_the_status_says_why(tmp_path: Path) -> None:
    tracks = make_tracks(4, artists=2)
    rec = small(tmp_path, tracks)
    for i, t in enumerate(tracks):
        rec.feedback("kim", t.id, "dislike" if i else "skip", HAPPY, NOW + i, played_s=3.0)
    assert rec.plan(HAPPY, "kim", "match", NOW + 100, 3) == []
    assert rec.status == "nothing left to offer: 4 tracks rejected in this mood (skipped or disliked)"
    rec.feedback("kim", tracks[0].id, "like", HAPPY, NOW + 200)  # the latest verdict wins
    assert [p.track.id for p in rec.plan(HAPPY, "kim", "match", NOW + 300, 3)] == [tracks[0].id]
    assert rec.status == "ready"


def test_one_artist_twice_in_a_row_when_nothing_else_is_left(tmp_path: Path) -> None:
    two = make_tracks(3, artists=1)  # one artist only
    rec = small(tmp_path, two)
    heard = play_on(rec, 9)
    assert all(heard.count(t.id) == 3 for t in two), heard


def test_a_window_of_zero_means_no_no_repeat_rule(tmp_path: Path) -> None:
    """`recommend.no_repeat_window = 0` switches the rule off, as its help says ("not repeated within
    this many picks"): the track that fits best comes again at once.  Before the fix the window was
    never smaller than one, so the track just heard was kept out all the same."""
    tracks = make_tracks(3, artists=1)  # one artist: the artist rule cannot keep a track from repeating
    options = Options.from_config(RecommendConfig(no_repeat_window=0))
    rec = Recommender(Catalogue(tracks), FeedbackStore(tmp_path / "recommend.sqlite"), options)
    rec.create_profile("kim", NOW)
    heard = play_on(rec, 4)
    assert heard == [heard[0]] * 4 and rec.status == "ready", heard
    # a window of one keeps out exactly the track just heard
    one = Options.from_config(RecommendConfig(no_repeat_window=1))
    rec = Recommender(Catalogue(tracks), FeedbackStore(tmp_path / "one.sqlite"), one)
    rec.create_profile("kim", NOW)
    heard = play_on(rec, 4)
    assert all(a != b for a, b in pairwise(heard)) and heard[0] == heard[2], heard


def test_readiness_tells_a_dead_end_from_music_that_goes_on(tmp_path: Path) -> None:
    """`readiness` (what the service's health records) tells the outcomes of a plan apart without
    reading the status sentence: READY with picks, and while all tracks of a small library are on
    already (they come round again); OFF when automatic picks are switched off; NOTHING when every
    track is rejected in this mood or the library is empty (the music stops).  Before, only the
    sentence told them apart, and health read "ok" for all of them."""
    rec = small(tmp_path, make_tracks(3, artists=3))
    heard = play_on(rec, 3)
    assert (rec.readiness, rec.status) == (Readiness.READY, "ready")
    picks, outcome = rec.plan_with_outcome(HAPPY, "kim", "match", NOW + 900, 3, exclude=frozenset(heard))
    assert picks == [] and outcome == rec.outcome == Outcome(Readiness.READY, whole_library_on(3))
    assert rec.plan_with_outcome(HAPPY, "kim", "off", NOW + 950, 3) == ([], PICKS_OFF)
    assert (rec.readiness, rec.status) == (Readiness.OFF, PICKS_OFF.status)
    for i, tid in enumerate(heard):
        rec.feedback("kim", tid, "skip", HAPPY, NOW + 1000 + i, played_s=4.0)
    picks, outcome = rec.plan_with_outcome(HAPPY, "kim", "match", NOW + 1100, 3)
    assert picks == [] and outcome == rec.outcome
    assert outcome == Outcome(
        Readiness.NOTHING, "nothing left to offer: 3 tracks rejected in this mood (skipped or disliked)"
    )
    assert rec.plan(Mood.of("sad", 0.9), "kim", "match", NOW + 1200, 3)  # the skips were in another mood
    assert (rec.readiness, rec.status) == (Readiness.READY, "ready")
    (tmp_path / "empty").mkdir()
    empty = small(tmp_path / "empty", [])
    assert empty.plan(HAPPY, "kim", "match", NOW, 3) == [] and empty.readiness is Readiness.NOTHING
    assert "library is empty" in empty.status
