"""A plan made while a track plays does not start with another song by its artist.

The real appliance (player on SDL's dummy driver, recommender on SQLite) plays a library whose three
happiest songs are by Ann, to a happy face.  "Livelier" plans the queue again at once, behind the
song by Ann that plays: before the fix the planner avoided the artist of the last track *played*
(none yet: the song playing is recorded when it ends), so the next one was Ann's again although
Bo, Cy and Di were there.
"""

from __future__ import annotations

import functools
from itertools import pairwise
from pathlib import Path

import pytest
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.events import EventBus
from tonetracks import tone_tracks

pytestmark = pytest.mark.timeout(120)

#: (id, title, artist, valence, arousal, tone): Ann's three are the happiest and liveliest
SONGS = [
    ("ann1", "Morning", "Ann", 0.8, 0.6, 523.0),
    ("ann2", "Noon", "Ann", 0.75, 0.55, 587.0),
    ("ann3", "Dusk", "Ann", 0.7, 0.5, 659.0),
    ("bo", "Walk", "Bo", 0.3, 0.0, 440.0),
    ("cy", "Rain", "Cy", -0.6, -0.4, 220.0),
    ("di", "Night", "Di", -0.2, -0.7, 330.0),
]
ARTIST = {s[0]: s[2] for s in SONGS}


def moved_on(app: Appliance, was: str) -> bool:
    now = app.state()["now_playing"]
    return now is not None and now["track_id"] != was


def test_livelier_does_not_queue_the_playing_artist_next(tmp_path: Path) -> None:
    script = Script("happy")
    cfg = config(tmp_path / "data")
    tracks = tone_tracks(tmp_path / "music", SONGS, duration_s=60.0)
    parts = Parts(
        make_source=lambda: ScriptSource(script),
        make_pipeline=lambda: ScriptPipeline(script),
        recommender=Recommender.from_config(cfg, Catalogue(tracks)),
    )
    app = Appliance(cfg, EventBus(), parts, tmp_path / "data")
    app.start()
    try:
        wait_for(lambda: app.state()["now_playing"] is not None, what="autoplay on the happy face")
        wait_for(lambda: app.state()["mood"] == "happy", what="the happy face read")
        for _ in range(len(SONGS)):  # started before the face was read: Next until one of Ann's plays
            now = app.state()["now_playing"]["track_id"]
            if ARTIST[now] == "Ann":
                break
            app.next_track()
            wait_for(functools.partial(moved_on, app, now), what="the next track after Next")
        playing = app.state()["now_playing"]["track_id"]
        app.steer("livelier")
        queue = [q["track_id"] for q in app.state()["queue"]]
        assert app.state()["now_playing"]["track_id"] == playing
        order = [playing, *queue]
        assert queue and ARTIST[queue[0]] != "Ann", order  # failed before: ann2 after ann3
        assert all(ARTIST[a] != ARTIST[b] for a, b in pairwise(order)), order
    finally:
        app.stop()
