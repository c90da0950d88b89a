"""Next pressed several times in a row to get past tracks is navigation, not a verdict on each track.

A 30-minute soak: 5 Nexts in a burst, then 6, left 4 of the 6 library tracks rejected in that mood
(for the verdicts' horizon, 42 days) and the speaker rotated the other two from then on.  Now a Next
on a track heard for less than BARELY_HEARD_S (the player's position) rejects nothing: a play (the
no-repeat rule moves on past it), not a skip verdict.  A Next after that is a skip as before, and a
dislike is a verdict however soon it comes.

The real appliance (player on SDL's dummy driver, recommender on SQLite, a happy face in view,
autoplay on); what the recommender would offer afterwards is asked of a recommender started again
on the same feedback database, with no no-repeat window, so that only the verdicts rule tracks out.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from servicekit import Script, build_on, started, wait_for

from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender
from moodspeaker.recommend.feedback import BARELY_HEARD_S
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import TrackStarted
from tonetracks import Song, tone_tracks

pytestmark = pytest.mark.timeout(150)

#: six songs, as the soak's library, from happy to sad; each by its own artist
SONGS: list[Song] = [
    ("s1", "One", "Ann", 0.8, 0.6, 523.0),
    ("s2", "Two", "Bo", 0.6, 0.4, 587.0),
    ("s3", "Three", "Cy", 0.4, 0.7, 659.0),
    ("s4", "Four", "Di", 0.3, 0.0, 440.0),
    ("s5", "Five", "Ed", -0.6, -0.4, 220.0),
    ("s6", "Six", "Flo", -0.2, -0.7, 330.0),
]


def library(tmp_path: Path) -> list[Track]:
    return tone_tracks(tmp_path / "music", SONGS, duration_s=30.0)


def rows(app: Appliance, kind: str) -> list[tuple[str, str, float | None]]:
    """The feedback rows of `kind` on disk: (track id, mood, played_s)."""
    with sqlite3.connect(Path(app.config.device.data_dir) / "recommend.sqlite") as db:
        query = "SELECT track_id, mood, played_s FROM feedback WHERE kind = ? ORDER BY id"
        return [(r[0], r[1], r[2]) for r in db.execute(query, (kind,))]


def offered_after(app: Appliance, tracks: list[Track]) -> set[str]:
    """What a recommender started again on `app`'s feedback offers the listener when happy, with no
    no-repeat window: every track that no verdict rules out."""
    path = Path(app.config.device.data_dir) / "recommend.sqlite"
    opts = Options.from_config(app.config.recommend, no_repeat_window=0)
    rec = Recommender(Catalogue(tracks), FeedbackStore(path), opts)
    return {p.track.id for p in rec.plan(Mood.of("happy"), "default", None, time.time(), len(tracks))}


def playing(app: Appliance) -> bool:
    status = app.player.status()
    return status.state == "playing" and status.current is not None


def test_a_burst_of_nexts_rejects_none_of_the_tracks_flashed_past(tmp_path: Path) -> None:
    tracks = library(tmp_path)
    app, bus = build_on(tracks, tmp_path, Script("happy"))
    with started(app, bus) as (_app, _api, events):
        wait_for(lambda: playing(app), what="autoplay on the happy face")
        for _ in range(5):  # as fast as the commands answer: each one moves the player on
            app.next_track()
        assert app.player.wait_idle(30), "the player never ran the Nexts"
        starts = [e.track_id for e in events if isinstance(e, TrackStarted)]
    skips = rows(app, "skip")
    flashed = {tid for tid, _, _ in skips}
    # the premise: a burst, each track left in its first seconds, with the happy face read
    assert len(flashed) >= 2 and all(p is not None and p < BARELY_HEARD_S for _, _, p in skips), skips
    assert {mood for _, mood, _ in skips} == {"happy"}, skips
    # they count as plays: the refills during the burst moved on through the library, no track twice
    assert len(starts) == len(set(starts)), starts
    # ...and none is rejected: the library still offers them all (before the fix: none of them)
    assert flashed <= offered_after(app, tracks), (skips, offered_after(app, tracks))
    assert offered_after(app, tracks) == {t.id for t in tracks}


def test_a_next_after_the_first_seconds_and_a_quick_dislike_still_reject(tmp_path: Path) -> None:
    tracks = library(tmp_path)
    app, bus = build_on(tracks, tmp_path, Script("happy"))
    with started(app, bus):
        wait_for(lambda: playing(app), what="autoplay on the happy face")
        current = app.player.status().current
        assert current is not None
        heard = current.track.id
        wait_for(
            lambda: app.player.status().position_s >= BARELY_HEARD_S + 0.5,
            what=f"{BARELY_HEARD_S + 0.5} s of the first track heard",
        )
        app.next_track()
        wait_for(
            lambda: (now := app.player.status().current) is not None and now.track.id != heard,
            what="the next track",
        )
        current = app.player.status().current
        assert current is not None
        disliked = current.track.id
        app.dislike()  # at once: a dislike is a verdict however little was heard
        assert app.player.wait_idle(30), "the player never ran the dislike's Next"
    skips = rows(app, "skip")
    assert [(tid, mood) for tid, mood, _ in skips] == [(heard, "happy")], skips
    assert skips[0][2] is not None and skips[0][2] >= BARELY_HEARD_S, skips
    assert [(tid, mood) for tid, mood, _ in rows(app, "dislike")] == [(disliked, "happy")]
    assert offered_after(app, tracks) == {t.id for t in tracks} - {heard, disliked}
