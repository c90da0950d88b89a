"""A queue refill planned under a profile or strategy that a switch has since replaced is dropped.

The housekeeping's refill reads the active profile and strategy, plans, and queues the picks.  A
switch (set_profile, set_strategy) that takes effect while such a plan is under way used to be undone
by it: the refill queued picks of the previous listener or strategy after the switch had set the new
queue (after a switch to "off": picks although automatic picks are off, and the music started by
autoplay), and it left health's `recommender` component with its outcome ("ok" under "off").  Holding
off only the refills that waited at the time of the switch (`retry_soon`) could not stop one already
planning.  Now a plan records the conductor's generation before it starts and is queued only if no
switch took effect since; else it is dropped, and the next housekeeping tick plans again under the
new profile and strategy.

Real parts: the conductor drives a real player (pygame on SDL's dummy driver) and asks a real
recommender (SQLite feedback store) over a real library index of tone files.  The recommender's only
change is that the test can hold a plan once it is made, until the test lets it go: so the switch
happens deterministically while the refill is between planning and queueing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from heldplans import HeldRecommender
from librarykit import library_index
from servicekit import config

from moodspeaker.config import Config
from moodspeaker.mood.filter import MoodState
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.conductor import Conductor
from moodspeaker.service.events import EventBus
from moodspeaker.service.health import Health

pytestmark = pytest.mark.timeout(60)

HAPPY = MoodState("happy", 0.9, 0.8, 0.5, face=True, changed=True)


@dataclass
class Rig:
    conductor: Conductor
    player: Player
    recommender: HeldRecommender
    health: Health


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    cfg: Config = config(tmp_path / "data", **{"recommend.profiles": ["default", "Kim", "Lee"]})
    recommender = HeldRecommender.from_config(cfg, library_index(tmp_path))
    assert isinstance(recommender, HeldRecommender)
    recommender.set_strategy("Kim", "off")
    recommender.set_strategy("Lee", "steady")
    player = Player(cfg.player, EventBus().publish)
    player.start()
    health = Health()
    conductor = Conductor(cfg, player, recommender, health)
    conductor.follow_profile()  # default: the household default, "match"
    try:
        yield Rig(conductor, player, recommender, health)
    finally:
        player.close()


@contextmanager
def refill_held(rig: Rig, what: str = "refill") -> Iterator[None]:
    """A refill (on a thread of its own, as the housekeeping's) whose plan is made and then held for
    the body of the `with`; on leaving it the plan is let go and the refill finishes.  `what`:
    "react" for a new mood's re-plan instead (the inference thread's)."""
    rig.recommender.hold_next()
    run = rig.conductor.react if what == "react" else rig.conductor.refill
    refill = threading.Thread(target=run, args=(HAPPY,), name=what)
    refill.start()
    try:
        assert rig.recommender.planned.wait(30), "the refill never planned"
        assert rig.conductor.strategy == "match"  # it planned under the strategy active then
        yield
    finally:
        rig.recommender.release.set()
        refill.join(30)
    assert not refill.is_alive()
    assert rig.player.when_idle().wait(30), "the player never ran the posted commands"


def queued(rig: Rig) -> list[str]:
    return [i.track.id for i in rig.player.status().queue]


def recommender_health(rig: Rig) -> tuple[str, str]:
    entry = rig.health.snapshot()["components"]["recommender"]
    return entry["state"], entry["detail"]


@pytest.mark.parametrize(
    ("what", "how"), [("refill", "set_strategy"), ("refill", "set_profile"), ("react", "set_profile")]
)
def test_a_plan_made_before_a_switch_to_off_queues_nothing(rig: Rig, what: str, how: str) -> None:
    with refill_held(rig, what):
        if how == "set_strategy":
            rig.conductor.change_strategy(
                lambda: HAPPY, "off", lambda: rig.recommender.set_strategy("default", "off")
            )
        else:
            assert rig.conductor.switch_profile(lambda: HAPPY, "Kim", lambda _queue: True)
    assert rig.conductor.strategy == "off"
    status = rig.player.status()
    assert queued(rig) == [], "picks of the previous strategy queued after the switch to off"
    assert status.state == "stopped" and status.current is None, "autoplay started a stale pick"
    assert recommender_health(rig) == ("off", "automatic picks are off for this profile")
    rig.conductor.refill(HAPPY)  # the next housekeeping tick: nothing to plan under "off"
    assert rig.player.when_idle().wait(30)
    assert queued(rig) == [] and recommender_health(rig)[0] == "off"


def test_a_refill_planned_for_the_previous_listener_is_planned_again_for_the_new_one(rig: Rig) -> None:
    """Lee's strategy plans picks too: the queue is exactly Lee's plan, not Lee's plus the picks of
    default's refill; once it runs short, the next refill plans under Lee's profile and strategy."""
    plans: list[list[str]] = []

    def save(upcoming: list[QueueItem] | None) -> bool:
        plans.append([i.track.id for i in upcoming or []])
        return True

    with refill_held(rig):
        assert rig.conductor.switch_profile(lambda: HAPPY, "Lee", save)
    assert (rig.conductor.profile, rig.conductor.strategy) == ("Lee", "steady")
    [lees] = plans
    assert lees, "Lee's plan under steady has picks"
    status = rig.player.status()
    playing = [status.current.track.id] if status.current is not None else []
    assert playing + queued(rig) == lees, "the previous listener's refill added to Lee's queue"
    assert recommender_health(rig)[0] == "ok"
    rig.player.set_queue([])  # played through (as far as the refill can tell)
    assert rig.player.when_idle().wait(30)
    asked = len(rig.recommender.asked)
    rig.conductor.refill(HAPPY)
    assert rig.recommender.asked[asked:] == [("Lee", "steady")]
    assert rig.player.when_idle().wait(30)
    assert queued(rig) or rig.player.status().current is not None
