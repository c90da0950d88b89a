"""A switch of listener or strategy that is planning as the camera goes off queues no picks of the
mood read until then: it plans again, as for no particular mood.

Why: switching the camera off (the privacy switch) ends the mood reading: refills and re-plans under
way, made for the mood read, are dropped, and new picks say "camera off: ...".  A profile or strategy
switch plans with the mood in force when it starts, and its picks are mood-driven like any other
(under "match", music for the mood read, each explained "you look angry (..% sure)").  One that was
already planning when the camera went off still queued them: the new listener's whole queue was
chosen from, and quoted, a face reading the listener had just switched off.  Now the switch notices
the reading ended while it planned and plans once more with the mood then (the camera off); the
switch itself still happens.

Real parts: the running appliance (real player on SDL's dummy driver, real recommender on SQLite)
over a real library index of tone files, commands through ControlAPI on threads of their own (a
page's requests).  The switch's plan is made and then held (tests/service/heldplans) while the camera
goes off; then the switch goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from heldplans import HeldRecommender
from librarykit import library_index
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.events import Event, EventBus, StateChanged

pytestmark = pytest.mark.timeout(120)

#: How a pick planned while the camera is off begins (recommend.explain.mood_phrase).
OFF = "camera off: music for no particular mood; "


@dataclass
class Rig:
    app: Appliance
    control: ControlAPI
    recommender: HeldRecommender
    events: list[Event] = field(default_factory=list)
    answers: dict[str, object] = field(default_factory=dict)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    cfg = config(tmp_path / "data", **{"recommend.profiles": ["default", "Lee"]})
    recommender = HeldRecommender.from_config(cfg, library_index(tmp_path))
    assert isinstance(recommender, HeldRecommender)
    recommender.set_strategy("Lee", "match")
    script = Script("angry")
    bus = EventBus()
    parts = Parts(lambda: ScriptSource(script), lambda: ScriptPipeline(script), recommender)
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    rig = Rig(app, ControlAPI(app, bus), recommender)
    bus.subscribe(rig.events.append)
    app.start()
    try:
        wait_for(
            lambda: app.state()["mood"] == "angry" and app.state()["queue"], what="music for the angry face"
        )
        yield rig
    finally:
        app.stop()


def command(rig: Rig, name: str, args: dict[str, Any]) -> threading.Thread:
    """`name` run through the ControlAPI on a thread named after it; its answer (or refusal) is kept."""

    def run() -> None:
        try:
            rig.answers[name] = rig.control.execute(name, args)
        except CommandError as exc:
            rig.answers[name] = exc

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def finish(thread: threading.Thread) -> None:
    thread.join(60)
    assert not thread.is_alive()


def camera_said(rig: Rig) -> list[object]:
    """The camera switches so far (a switch off has ended the reading before its StateChanged)."""
    return [e.value for e in rig.events if isinstance(e, StateChanged) and e.key == "camera"]


def camera_switched(rig: Rig, said: list[object]) -> None:
    """Wait until the camera switches said so far are `said`."""
    wait_for(lambda: camera_said(rig) == said, what=f"the camera switched {said}")


@pytest.mark.parametrize(
    ("name", "args", "asked"),
    [
        ("set_profile", {"profile": "Lee"}, ("Lee", "match")),
        ("set_strategy", {"strategy": "steady"}, ("default", "steady")),
    ],
)
def test_a_switch_planning_as_the_camera_goes_off_plans_again_without_the_mood(
    rig: Rig, name: str, args: dict[str, Any], asked: tuple[str, str]
) -> None:
    rig.recommender.hold_next(thread=name)
    switch = command(rig, name, args)
    assert rig.recommender.planned.wait(30), "the switch never planned"
    camera = command(rig, "set_camera", {"enabled": False})
    camera_switched(rig, [False])
    rig.recommender.release.set()
    finish(switch)
    finish(camera)
    answer = rig.answers[name]
    assert isinstance(answer, dict), answer  # the switch happened
    reasons = [q["reason"] for q in answer["queue"]]
    assert reasons and all(r.startswith(OFF) for r in reasons), f"picks of the ended reading: {reasons}"
    assert rig.recommender.asked[-1] == asked  # planned again, for the switch
    state = rig.app.state()
    assert not any("angry" in q["reason"] for q in state["queue"]), state["queue"]


def test_a_switch_whose_reading_ends_twice_while_planning_is_refused(rig: Rig) -> None:
    before = rig.app.state()
    rig.recommender.hold_next(thread="set_profile")
    switch = command(rig, "set_profile", {"profile": "Lee"})
    assert rig.recommender.planned.wait(30), "the switch never planned"
    off = [command(rig, "set_camera", {"enabled": False})]
    camera_switched(rig, [False])
    first = rig.recommender.release
    rig.recommender.hold_next(thread="set_profile")  # hold its second plan too
    first.set()
    assert rig.recommender.planned.wait(30), "the switch never planned again"
    off.append(command(rig, "set_camera", {"enabled": True}))  # on and off again
    camera_switched(rig, [False, True])
    off.append(command(rig, "set_camera", {"enabled": False}))
    camera_switched(rig, [False, True, False])
    rig.recommender.release.set()
    finish(switch)
    for thread in off:
        finish(thread)
    answer = rig.answers["set_profile"]
    assert isinstance(answer, CommandError), f"the switch queued a plan of an ended reading: {answer}"
    assert "the mood reading ended twice while planning; try again" in str(answer)
    state = rig.app.state()
    assert state["profile"] == before["profile"] == "default"  # nothing changed
    assert not any(isinstance(e, StateChanged) and e.key == "profile" for e in rig.events)
