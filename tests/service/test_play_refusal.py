"""A Play refused because nothing can be played names the reason of its own plan.

The refusal used to read the recommender's shared `status`, the sentence of whichever plan finished
last: a plan made meanwhile on another thread (a refill, a mood's re-plan, a Play from another page)
could have replaced it, so the listener was told "nothing to play: ready", or another profile's
reason.  Now Play words the outcome its own plan returned.

Real parts: the running appliance (real player on SDL's dummy driver, real recommender on SQLite)
over a real library index of tone files.  Play's plan is made and then held (tests/service/heldplans)
while another plan, one that has picks, replaces the shared status; then Play goes on.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from heldplans import HeldRecommender
from librarykit import library_index
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import CommandError
from moodspeaker.service.events import EventBus

pytestmark = pytest.mark.timeout(120)

WHY = "nothing left to offer: 5 tracks rejected in this mood (skipped or disliked)"


def test_a_refused_play_names_the_reason_of_its_own_plan(tmp_path: Path) -> None:
    cfg = config(tmp_path / "data", **{"recommend.profiles": ["default", "Kim"]})
    index = library_index(tmp_path)
    recommender = HeldRecommender.from_config(cfg, index)
    assert isinstance(recommender, HeldRecommender)
    for track in index.tracks():  # the active listener rejected everything (no face: mood unknown)
        recommender.feedback("default", track.id, "dislike", None, time.time())
    script = Script(None)
    parts = Parts(lambda: ScriptSource(script), lambda: ScriptPipeline(script), recommender)
    app = Appliance(cfg, EventBus(), parts, tmp_path / "data")
    app.start()
    refused: list[str] = []

    def press_play() -> None:
        try:
            app.play()
        except CommandError as exc:
            refused.append(str(exc))

    try:
        wait_for(lambda: script.reads > 0, what="the appliance running")
        recommender.hold_next(thread="play")
        play = threading.Thread(target=press_play, name="play")
        play.start()
        try:
            assert recommender.planned.wait(30), "Play never planned"
            assert recommender.status == WHY  # what Play's own plan said
            others, _ = recommender.plan_with_outcome(None, "Kim", "match", time.time(), 3)
            assert others and recommender.status == "ready"  # another plan, on another thread
        finally:
            recommender.release.set()
            play.join(30)
        assert refused == [f"nothing to play: {WHY}"]
        component = app.health_snapshot()["components"]["recommender"]
        assert (component["state"], component["detail"]) == ("empty", WHY)
    finally:
        app.stop()
