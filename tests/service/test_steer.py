"""Calmer or livelier music, asked for (`steer`, the Tell box's "something calmer"): the next tracks aim
lower or higher arousal and the queue is planned again at once, without a dislike of the track playing.

Why: the page's own example "something calmer" only sent `dislike`, recording a dislike of the track
playing (a calm one too, teaching the profile to avoid calm music) and skipping it for the best pick
of the same aim, often an energetic one.  Real appliance (real player on SDL's dummy driver, real
recommender on SQLite); only the camera is scripted.  The tracks (servicekit.TRACKS): happy1 (0.8,
0.6), happy2 (0.7, 0.7), sad1, sad2 and calm (0.3, -0.6), as (valence, arousal).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from servicekit import TRACKS, Script, config, make_tracks, running, wait_for

from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.options import Options
from moodspeaker.recommend.source import Catalogue
from moodspeaker.recommend.store import FeedbackStore
from moodspeaker.recommend.targets import Mood
from moodspeaker.service.control import CommandError

pytestmark = pytest.mark.timeout(300)

AROUSAL = {tid: a for tid, _v, a, _f in TRACKS}


def _queue(state: dict[str, Any]) -> list[str]:
    return [q["track_id"] for q in state["queue"]]


def _kinds(app: Any) -> list[str]:
    with sqlite3.connect(Path(app.config.device.data_dir) / "recommend.sqlite") as db:
        return [r[0] for r in db.execute("SELECT kind FROM feedback ORDER BY id")]


def test_calmer_replans_the_queue_calmer_and_dislikes_nothing(tmp_path: Path) -> None:
    changes = {"recommend.strategy": "uplift", "recommend.queue_length": 3}  # 2 queued behind the first
    with running(tmp_path, Script("happy"), track_s=600.0, **changes) as (app, control, _events):
        wait_for(lambda: app.state()["now_playing"] and len(app.state()["queue"]) >= 2, what="a queue")
        before = app.state()
        playing = before["now_playing"]["track_id"]
        assert AROUSAL[playing] > 0.5  # a happy face, uplift: happy music plays (not lifted, it is bright)
        answer = control.execute("steer", {"direction": "calmer"})
        queue = _queue(answer)[:2]
        assert AROUSAL[queue[0]] < AROUSAL[_queue(before)[0]], (_queue(before), queue)
        assert queue[0] == "calm"  # the calmest track that fits the mood comes next
        assert sum(AROUSAL[t] for t in queue) <= sum(AROUSAL[t] for t in _queue(before)[:2])
        assert "calmer, as you asked" in answer["queue"][0]["reason"]
        assert answer["now_playing"]["track_id"] == playing  # the track playing plays on
        assert "dislike" not in _kinds(app) and "skip" not in _kinds(app)
        with pytest.raises(CommandError, match="direction must be one of calmer, livelier"):
            control.execute("steer", {"direction": "sideways"})


def test_a_steer_adds_up_is_taken_back_and_ends_with_the_mood(tmp_path: Path) -> None:
    """Real recommender on SQLite: two calmer go further than one, livelier takes one back, a new
    mood plans as if nothing was asked, and none of it is feedback."""
    options = Options.from_config(config(tmp_path).recommend)
    rec = Recommender(Catalogue(make_tracks(tmp_path)), FeedbackStore(tmp_path / "r.sqlite"), options)
    rec.create_profile("default", 0.0)
    happy = Mood.of("happy")

    def first(mood: Mood) -> str:
        return rec.plan(mood, "default", "match", 1.0, k=1)[0].track.id

    plain = first(happy)
    assert AROUSAL[plain] > 0.5
    assert rec.steer("default", happy, -0.5) == -0.5
    once = first(happy)
    assert rec.steer("default", happy, -0.5) == -1.0
    assert rec.steer("default", happy, -0.5) == -1.0  # at most STEER_MAX
    twice = first(happy)
    assert AROUSAL[twice] <= AROUSAL[once] < AROUSAL[plain], (plain, once, twice)
    assert rec.steer("default", happy, 0.5) == -0.5
    assert first(happy) == once
    sad = Mood.of("sad")
    unsteered = Recommender(Catalogue(make_tracks(tmp_path)), FeedbackStore(tmp_path / "u.sqlite"), options)
    unsteered.create_profile("default", 0.0)
    assert first(sad) == unsteered.plan(sad, "default", "match", 1.0, k=1)[0].track.id
    assert first(happy) == plain  # asked in happy, ended by sad: forgotten
    assert list(rec.store.events()) == []
