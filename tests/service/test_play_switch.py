"""A Play planned across a switch of listener or strategy queues the new one's plan, never the old one's.

Play with nothing playing or queued plans, then queues and starts the plan.  Refills and re-plans
check the conductor's generation (bc73dc8) and drop a plan made under a profile or strategy that a
switch replaced meanwhile; Play did not: a Play whose plan was under way while set_profile switched
to a listener whose automatic picks are off queued and played the previous listener's picks.  Now
Play's plan is checked the same way: one made before a switch is planned again, under the new
listener and strategy; when that one too is overtaken by a switch, Play plays what the last switch
queued, or is refused with a reason when it queued nothing.

Real parts: the running appliance (real player on SDL's dummy driver, real recommender on SQLite)
over a real library index of tone files, commands through ControlAPI.  Play's plan is made and then
held (tests/service/heldplans) while the switch happens; then Play goes on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from heldplans import HeldRecommender
from librarykit import library_index
from servicekit import HeldPlayer, Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.events import EventBus

pytestmark = pytest.mark.timeout(120)


@dataclass
class Rig:
    app: Appliance
    control: ControlAPI
    recommender: HeldRecommender
    answers: list[object] = field(default_factory=list)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    cfg = config(tmp_path / "data", **{"recommend.profiles": ["default", "Kim", "Lee"]})
    recommender = HeldRecommender.from_config(cfg, library_index(tmp_path))
    assert isinstance(recommender, HeldRecommender)
    recommender.set_strategy("Kim", "off")
    recommender.set_strategy("Lee", "steady")
    script = Script(None)  # nobody in view: no mood, so nothing plans before Play
    bus = EventBus()
    parts = Parts(lambda: ScriptSource(script), lambda: ScriptPipeline(script), recommender)
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    app.start()
    try:
        yield Rig(app, ControlAPI(app, bus), recommender)
    finally:
        app.stop()


def press_play(rig: Rig) -> threading.Thread:
    """Play on a thread of its own (a page's request), its plan held once made (`rig.recommender`)."""
    rig.recommender.hold_next(thread="play")

    def press() -> None:
        try:
            rig.answers.append(rig.control.execute("play"))
        except CommandError as exc:
            rig.answers.append(exc)

    play = threading.Thread(target=press, name="play")
    play.start()
    assert rig.recommender.planned.wait(30), "Play never planned"
    return play


def finish(play: threading.Thread) -> None:
    play.join(60)
    assert not play.is_alive()


def test_a_play_planned_before_a_switch_to_off_plays_nothing(rig: Rig) -> None:
    play = press_play(rig)
    rig.control.execute("set_profile", {"profile": "Kim"})  # automatic picks off for Kim
    rig.recommender.release.set()
    finish(play)
    [answer] = rig.answers
    assert isinstance(answer, CommandError), f"Play queued the previous listener's picks: {answer}"
    assert str(answer) == "nothing to play: automatic picks are off for this profile"
    state = rig.app.state()
    assert state["queue"] == [] and state["now_playing"] is None and state["player"] != "playing"
    assert rig.recommender.asked[-1] == ("Kim", "off")


def test_a_play_planned_before_a_switch_plays_the_new_listeners_plan(rig: Rig) -> None:
    """Lee rejected three of the five tracks: a Play planned for default has at least one of them."""
    rejected = {t.id for t in rig.recommender.source.tracks()[:3]}
    for track_id in rejected:
        # now, not at 0.0: the service's own retention (at start, then hourly) deletes 1970's feedback
        rig.recommender.feedback("Lee", track_id, "dislike", None, time.time())
    play = press_play(rig)
    rig.control.execute("set_profile", {"profile": "Lee"})
    rig.recommender.release.set()
    finish(play)
    [answer] = rig.answers
    assert isinstance(answer, dict), answer
    played = [answer["now_playing"]["track_id"]] + [q["track_id"] for q in answer["queue"]]
    assert not rejected & set(played), "Play queued the previous listener's plan"
    assert rig.recommender.asked[-1] == ("Lee", "steady")  # planned again, for Lee


def overtaken_twice(rig: Rig, last: str) -> dict[str, Any]:
    """Play pressed, its plan overtaken by a switch to Lee, its second plan by a switch to `last`
    (whose answer is returned); Play is done."""
    play = press_play(rig)
    rig.control.execute("set_profile", {"profile": "Lee"})
    first = rig.recommender.release
    rig.recommender.hold_next(thread="play")  # hold Play's second plan too
    first.set()
    assert rig.recommender.planned.wait(30), "Play never planned again"
    switched = rig.control.execute("set_profile", {"profile": last})
    rig.recommender.release.set()
    finish(play)
    return switched


def test_a_play_overtaken_twice_plays_what_the_last_switch_queued(rig: Rig) -> None:
    """Play was refused ('try again') although the last switch had queued the new listener's music:
    it plays that (planned under what is in effect, never Play's own outdated plans)."""
    switched = overtaken_twice(rig, "default")
    assert switched["queue"], "the last switch queued music"
    [answer] = rig.answers
    assert isinstance(answer, dict), f"Play refused although music was queued: {answer}"
    queued = [q["track_id"] for q in switched["queue"]]
    played = [answer["now_playing"]["track_id"]] + [q["track_id"] for q in answer["queue"]]
    assert played == queued, "Play plays the queue the last switch planned"
    assert answer["profile"] == "default" and answer["player"] == "playing"


def test_a_play_overtaken_twice_with_nothing_queued_is_refused_with_the_reason(rig: Rig) -> None:
    switched = overtaken_twice(rig, "Kim")  # automatic picks off: the switch queues nothing
    assert switched["queue"] == []
    [answer] = rig.answers
    assert isinstance(answer, CommandError), f"Play queued a plan made before a switch: {answer}"
    assert str(answer) == (
        "nothing to play: the listener, strategy or mood reading changed twice while planning; try again"
    )
    state = rig.app.state()
    assert state["now_playing"] is None and state["player"] != "playing" and state["queue"] == []


def test_a_play_overtaken_twice_waits_for_the_switch_still_under_way(rig: Rig) -> None:
    """Play's first plan overtaken by a switch to Kim (automatic picks off: the queue emptied), its
    second by a switch to default whose queue is not in effect yet (the player is held: the switch
    waits for it, then lists its queue as pending).  Play waits for that switch, then plays its
    queue, rather than finding nothing queued and being refused ("try again")."""
    play = press_play(rig)
    rig.control.execute("set_profile", {"profile": "Kim"})
    first = rig.recommender.release
    rig.recommender.hold_next(thread="play")  # hold Play's second plan too
    first.set()
    assert rig.recommender.planned.wait(30), "Play never planned again"
    held = HeldPlayer(rig.app)  # the next switch's queue is posted, not applied, until released
    switched: list[dict[str, Any]] = []
    switch = threading.Thread(
        target=lambda: switched.append(rig.control.execute("set_profile", {"profile": "default"})),
        name="switch",
    )
    switch.start()
    try:
        wait_for(lambda: rig.app.conductor.profile == "default", what="the switch to take effect")
        rig.recommender.release.set()  # Play's plan, overtaken: the switch may still be under way
        finish(play)
        switch.join(60)
    finally:
        held.release()
    [answer] = rig.answers
    assert isinstance(answer, dict), f"Play refused while the switch was queuing music: {answer}"
    [done] = switched
    queued = [q["track_id"] for q in done["pending"]["queue"]]
    assert queued, "the switch queued music (pending: the player was held)"
    assert [q["track_id"] for q in answer["pending"]["queue"]] == queued, answer["pending"]
    assert answer["pending"]["playing"] is True


def test_a_play_overtaken_twice_does_not_wait_for_a_save(rig: Rig) -> None:
    """Play waits for the switches under way, nothing else: overtaken twice by the camera going off
    (no switch; nothing queued), it is refused at once even while a save is under way (held here,
    as a slow SD card holds it).  Play used to wait for the save lock, and sat out the save."""
    play = press_play(rig)
    with rig.app._saving:  # a save under way, until the end of the block
        rig.control.execute("set_camera", {"enabled": False})  # the mood reading ends: plans dropped
        first = rig.recommender.release
        rig.recommender.hold_next(thread="play")
        first.set()
        assert rig.recommender.planned.wait(30), "Play never planned again"
        rig.control.execute("set_camera", {"enabled": False})  # pressed again: the reading ends again
        rig.recommender.release.set()
        play.join(60)
        answered = not play.is_alive()
    finish(play)
    assert answered, "Play waited for the save to end"
    [answer] = rig.answers
    assert isinstance(answer, CommandError), answer
    assert str(answer) == (
        "nothing to play: the listener, strategy or mood reading changed twice while planning; try again"
    )
