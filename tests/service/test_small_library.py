"""A household library smaller than the recommender's no-repeat window (30 plays) keeps playing.

The real appliance (player on SDL's dummy driver, recommender on SQLite, feedback writer, housekeeping
refills) plays a five-track library, two tracks by one artist, with a happy listener in view and
autoplay on, until more tracks have started than the library holds.  Before the fix, once everything
had played the no-repeat rule was dropped altogether: the happy tracks came round again and again
while the others were never offered, and a track disliked in this mood came back.  Now the window
shrinks to what the library allows (a rotation: never the same track twice in a row while another
one is allowed), a dislike in this mood stands, and when every track is disliked the music stops and
the recommender's status says why (health, and a Play refused with that reason).

Health's `recommender` component is "ok" only while the music can go on (also while all tracks of
the library are on already), "off" while automatic picks are off, and "empty" (a problem on the page)
when there is nothing it may offer.  Before the fix it read "ok" after every plan that did not raise:
only its detail told a dead end apart.
"""

from __future__ import annotations

import re
import time
from itertools import pairwise
from pathlib import Path

import pytest
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.recommend.feedback import BARELY_HEARD_S
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.planner import whole_library_on
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service import conductor
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import CommandError
from moodspeaker.service.events import Event, EventBus, TrackEnded, TrackStarted
from tonetracks import Song, tone_tracks

pytestmark = pytest.mark.timeout(150)

#: (id, title, artist, valence, arousal, tone): from clearly happy to clearly sad, Ann twice
SONGS = [
    ("ann1", "Morning", "Ann", 0.8, 0.6, 523.0),
    ("ann2", "Noon", "Ann", 0.6, 0.4, 587.0),
    ("bo", "Walk", "Bo", 0.3, 0.0, 440.0),
    ("cy", "Rain", "Cy", -0.6, -0.4, 220.0),
    ("di", "Night", "Di", -0.2, -0.7, 330.0),
]
IDS = {s[0] for s in SONGS}


def small_library(
    tmp_path: Path, seconds: float, songs: list[Song] = SONGS, **changes: object
) -> tuple[Appliance, EventBus, list[str]]:
    """The appliance over `songs` (settings `changes`), a happy face in view; and the ids of the
    tracks started."""
    script = Script("happy")
    cfg = config(tmp_path / "data", **changes)
    tracks = tone_tracks(tmp_path / "music", songs, duration_s=seconds)
    bus = EventBus()
    parts = Parts(
        make_source=lambda: ScriptSource(script),
        make_pipeline=lambda: ScriptPipeline(script),
        recommender=Recommender.from_config(cfg, Catalogue(tracks)),
    )
    started: list[str] = []

    def on(event: Event) -> None:
        if isinstance(event, TrackStarted):
            started.append(event.track_id)

    bus.subscribe(on)
    return Appliance(cfg, bus, parts, tmp_path / "data"), bus, started


def component(app: Appliance) -> tuple[str, str]:
    """Health's `recommender` component: (state, detail)."""
    entry = app.health_snapshot()["components"].get("recommender", {})
    return entry.get("state", ""), entry.get("detail", "")


def disliked(app: Appliance) -> list[str]:
    """The tracks disliked so far, from the recommender's database (what was really recorded)."""
    return [r.track_id for r in app.parts.recommender.store.events() if r.kind == "dislike"]


def test_a_small_library_plays_on_in_rotation_and_a_dislike_stands(tmp_path: Path) -> None:
    app, _bus, started = small_library(tmp_path, 1.5)
    app.start()
    try:
        wait_for(lambda: len(started) >= 2, what="autoplay on the happy face")
        second = started[1]
        wait_for(lambda: (now := app.player.status().current) is not None and now.track.id == second)
        app.dislike()  # the second track of the first round: not in this mood, please
        gone = disliked(app)
        after = len(started)
        # three rounds of the four tracks left: far more than the library holds
        wait_for(lambda: len(started) >= after + 12, 90, "music going on past the library's size")
        assert app.state()["playing"] and app.health_snapshot()["recommender"] == "ready"
        later = started[after : after + 12]
        assert gone == [second] and second not in later, f"{gone} {started}"
        # never the same track twice in a row; in fact a rotation of the four left (the window is 3)
        assert all(a != b for a, b in pairwise(started)), f"{gone} {started}"
        assert all(t not in later[max(0, i - 3) : i] for i, t in enumerate(later)), f"{gone} {started}"
        assert {later.count(t) for t in IDS - {second}} == {3}, f"{gone} {started}"
    finally:
        app.stop()


def test_every_track_disliked_stops_the_music_and_says_why(tmp_path: Path) -> None:
    app, _bus, started = small_library(tmp_path, 4.0)
    app.start()
    try:
        wait_for(lambda: len(started) >= 1, what="autoplay on the happy face")
        while len(disliked(app)) < len(SONGS):
            current = app.player.status().current
            if current is None or current.track.id in disliked(app):
                time.sleep(0.05)  # the next one is on its way (a refill plans it within a second)
                continue
            app.dislike()
            wait_for(
                lambda: (now := app.player.status().current) is None or now.track.id not in disliked(app),
                what="the next track after a dislike",
            )
        assert sorted(disliked(app)) == sorted(IDS)
        why = "nothing left to offer: 5 tracks rejected in this mood (skipped or disliked)"
        wait_for(lambda: app.health_snapshot()["recommender"] == why, what="the status saying why")
        assert not app.state()["playing"] and app.state()["queue"] == []
        with pytest.raises(CommandError, match=re.escape(f"nothing to play: {why}")):
            app.play()
        assert component(app) == ("empty", why)  # a problem, not "ok": nothing can play
        assert len(started) == len(set(started)), started  # no disliked track started again
    finally:
        app.stop()


def test_a_one_track_library_plays_on_like_a_player_on_repeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one track plays round and round: it is planned again while it plays, as a repeat (see the
    next test).  This also guards an earlier fix: a refill that found nothing (then, every refill while
    the only track played) held the next ones off for REFILL_BACKOFF_S (30 s) even after the track had
    ended: silence until the back-off ran out.  Now the back-off holds only while what blocked the plan
    still stands.  The back-off is made an hour here: whether the track repeats then does not hang on
    how long it lasts."""
    monkeypatch.setattr(conductor, "REFILL_BACKOFF_S", 3600.0)
    app, bus, started = small_library(tmp_path, 1.5, SONGS[:1])
    ended: list[TrackEnded] = []
    bus.subscribe(lambda e: ended.append(e) if isinstance(e, TrackEnded) else None)
    app.start()
    try:
        wait_for(lambda: len(started) >= 3, 60, "the one track round three times")
        assert started[:3] == ["ann1"] * 3, started
        assert [e.completed for e in ended[:2]] == [True, True]  # each play heard to its end
        assert app.health_snapshot()["recommender"] == "ready"
    finally:
        app.stop()


def test_the_one_track_of_a_library_is_queued_again_while_it_plays(tmp_path: Path) -> None:
    """While the only track plays, a refill queues it again as a repeat (it follows itself without a
    gap: tests/player/test_repeat), and health says all is well.  Before the fix nothing could be
    planned until it had ended (a stop between the plays), and meanwhile the recommender's status,
    health's `recommender` and its component's detail, read "nothing left to offer: 1 track playing
    or queued already", like a fault.  The track is long: the refill comes while it plays."""
    app, _bus, started = small_library(tmp_path, 60.0, SONGS[:1])
    app.start()
    try:
        wait_for(lambda: started == ["ann1"], what="autoplay on the happy face")
        wait_for(lambda: [q["track_id"] for q in app.state()["queue"]] == ["ann1"], what="the repeat queued")
        state = app.state()
        assert state["playing"] and state["now_playing"]["track_id"] == "ann1" and started == ["ann1"]
        assert state["queue"][0]["reason"].endswith("again, as the only track to play now"), state["queue"]
        health = state["health"]
        assert health["recommender"] == "ready", health
        assert health["components"]["recommender"]["state"] == "ok", health
        assert health["components"]["recommender"]["detail"] == "ready", health
        assert not [i for i in health["incidents"] if i["component"] == "recommender"], health
    finally:
        app.stop()


def test_next_on_the_one_track_of_a_library_stops_it(tmp_path: Path) -> None:
    """Next on the only track (a skip: rejected in this mood) drops its queued repeat: the music stops
    and the status says why, as before the repeat was queued; it does not start the track again.  The
    track is heard for BARELY_HEARD_S first: a Next sooner is navigation, no verdict (test_next_burst)."""
    app, _bus, started = small_library(tmp_path, 60.0, SONGS[:1])
    app.start()
    try:
        wait_for(lambda: [q["track_id"] for q in app.state()["queue"]] == ["ann1"], what="the repeat queued")
        wait_for(lambda: app.player.status().position_s >= BARELY_HEARD_S, what="the track heard a while")
        app.next_track()
        why = "nothing left to offer: 1 track rejected in this mood (skipped or disliked)"
        wait_for(lambda: component(app) == ("empty", why), what="health saying why, as a problem")
        wait_for(lambda: not app.state()["playing"], what="the music stopped")
        assert app.state()["queue"] == [] and started == ["ann1"], (app.state()["queue"], started)
    finally:
        app.stop()


def test_health_is_ok_while_all_tracks_are_on_and_off_while_picks_are(tmp_path: Path) -> None:
    """Two long tracks and a queue of five: once one plays and the other is queued, a refill finds
    nothing more to add.  Nothing is wrong (each comes round again): health's component is "ok"
    with the calm detail.  Automatic picks switched off read "off", and "ok" once they are back."""
    app, _bus, started = small_library(tmp_path, 60.0, SONGS[:2], **{"recommend.queue_length": 5})
    app.start()
    try:
        wait_for(lambda: len(started) == 1 and len(app.state()["queue"]) == 1, what="one on, one queued")
        wait_for(lambda: component(app)[1] == whole_library_on(2), what="a refill finding all on already")
        assert component(app) == ("ok", whole_library_on(2)) and app.state()["playing"]
        app.set_strategy("off")
        assert component(app) == ("off", "automatic picks are off for this profile")
        wait_for(lambda: app.state()["queue"] == [], what="no automatic picks queued")
        app.set_strategy("match")  # the other track planned again ("ready"; a refill may follow)
        assert component(app)[0] == "ok"
        wait_for(lambda: len(app.state()["queue"]) == 1, what="the other track queued again")
    finally:
        app.stop()
