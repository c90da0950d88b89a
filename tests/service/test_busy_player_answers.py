"""A command the busy player has not applied yet is answered as pending, never as done.

Why: set_volume, set_profile and set_strategy answer with the state once the player thread has run
what they posted (`Player.when_idle`).  They used to wait one second and answer whatever the status
said then, so on a loaded machine the answer showed the previous volume (or queue) as if the command
had done it.  Here the real player thread is held, by a command on its own queue (as
tests/player/test_wait_idle.py holds it), for as long as the test wants: the command's wait
(`PLAYER_WAIT_S`, shortened so the test does not sit it out) runs out while the player is held, so
the answer must show what is in effect plus the change under `pending`; released, the player applies
it and the state, the StateChanged and the saved state follow.  Only the order of events is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import HeldPlayer, Script, running, wait_for

from moodspeaker.config import with_changes
from moodspeaker.service import core
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, StateChanged


@pytest.fixture
def started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Appliance, ControlAPI, list[Event]]]:
    monkeypatch.setattr(core, "PLAYER_WAIT_S", 0.05)  # the player is held however long the wait is
    with running(tmp_path, Script("happy"), **{"player.volume": 0.5}) as started:
        yield started


def _volume_changes(events: list[Event]) -> list[object]:
    return [e.value for e in events if isinstance(e, StateChanged) and e.key == "volume"]


def test_set_volume_on_a_busy_player_is_answered_pending(
    started: tuple[Appliance, ControlAPI, list[Event]],
) -> None:
    app, control, events = started
    answer = control.execute("set_volume", {"volume": 0.4})  # an idle player: done at once
    assert (answer["volume"], answer["pending"]) == (0.4, {})
    held = HeldPlayer(app)
    try:
        answer = control.execute("set_volume", {"volume": 0.3})
        assert _volume_changes(events) == [0.4]  # nothing announced the new volume as in effect
        assert answer["volume"] == 0.4  # what plays now, not the volume asked for
        assert answer["pending"] == {"volume": 0.3}
        assert control.state()["pending"] == {"volume": 0.3}  # the page's poll says so too
        assert app.store.load()[0].volume == 0.3  # saved for the record (a start plays at player.volume)
    finally:
        held.release()
    wait_for(lambda: _volume_changes(events) == [0.4, 0.3], what="the new volume announced once applied")
    state = control.state()
    assert (state["volume"], state["pending"]) == (0.3, {})


def test_set_strategy_on_a_busy_player_answers_the_queue_pending(
    started: tuple[Appliance, ControlAPI, list[Event]],
) -> None:
    app, control, _events = started
    wait_for(lambda: control.state()["queue"], what="music planned for the happy face")
    held = HeldPlayer(app)
    try:
        before = control.state()["queue"]
        answer = control.execute("set_strategy", {"strategy": "off"})  # "off": no planned queue
        assert answer["strategy"] == "off"  # stored with the profile and active: true at once
        assert answer["queue"] == before  # the player still holds the previous queue ...
        snap = app.store.load()[0]
        assert (snap.strategy, snap.queue) == ("off", ())  # saved as one: never "off" with the old queue
        assert answer["pending"] == {"queue": []}  # ... and the command's empty one is under way
    finally:
        held.release()
    wait_for(lambda: control.state()["queue"] == [], what="the empty queue applied")
    assert control.state()["pending"] == {}


def test_set_profile_on_a_busy_player_answers_their_queue_pending(
    started: tuple[Appliance, ControlAPI, list[Event]],
) -> None:
    app, control, _events = started
    app.apply_config(with_changes(app.config, {"recommend.profiles": ["default", "Kim"]}))
    app._recommender.set_strategy("Kim", "off")  # Kim's choice: no planned queue
    wait_for(lambda: control.state()["queue"], what="music planned for the happy face")
    held = HeldPlayer(app)
    try:
        before = control.state()["queue"]
        answer = control.execute("set_profile", {"profile": "Kim"})
        assert (answer["profile"], answer["strategy"]) == ("Kim", "off")  # in effect at once
        snap = app.store.load()[0]
        assert (snap.profile, snap.strategy, snap.queue) == ("Kim", "off", ())  # Kim with Kim's queue
        assert answer["queue"] == before  # the player still holds the previous listener's queue ...
        assert answer["pending"] == {"queue": []}  # ... and Kim's is under way
    finally:
        held.release()
    wait_for(lambda: control.state()["queue"] == [], what="Kim's queue applied")
    assert control.state()["pending"] == {}
