"""What a profile switch leaves in the state file (what the speaker comes back to after a power cut).

Before the fix a switch saved the state file with the new listener but the previous listener's queue
(the save came before the new queue was applied, and the housekeeping could save in between too): a
power cut then brought the new listener back with music planned for someone else.  Now a switch saves
once, the new listener with their own queue, and a refused switch saves nothing.  The real appliance
and its real state file, watched by a thread that reads every version of it written meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.state import Snapshot
from sqlitefaults import corrupt

pytestmark = pytest.mark.timeout(90)


def saved(app: Appliance) -> tuple[str, list[str]]:
    """The profile and the queued track ids in the state file (none yet: nothing)."""
    if not app.store.path.exists():
        return "", []
    raw: dict[str, Any] = json.loads(app.store.path.read_text("utf-8"))
    return raw["profile"], [item["track"]["id"] for item in raw["queue"]]


def queued(app: Appliance) -> list[str]:
    return [q["track_id"] for q in app.state()["queue"]]


class Versions:
    """Every version of the state file seen while it runs (atomic writes: each read is a whole one)."""

    def __init__(self, app: Appliance) -> None:
        self.app, self.seen = app, [saved(app)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            self._look()
        self._look()  # the last save too, however late the watcher was scheduled

    def _look(self) -> None:
        version = saved(self.app)
        if version != self.seen[-1]:
            self.seen.append(version)

    def __enter__(self) -> Versions:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "the state file watcher never stopped"


def housekeeping_saves(app: Appliance, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """When the housekeeping thread saved the state file from now on (it does every second, after its
    refill): once it has saved twice after a command, what the command left for the housekeeping has
    been saved, and the watcher has seen every version written meanwhile."""
    times: list[float] = []
    save = app.store.save

    def counted(snap: Snapshot) -> bool:
        ok = save(snap)
        if threading.current_thread().name == "housekeeping":
            times.append(time.monotonic())
        return ok

    monkeypatch.setattr(app.store, "save", counted)
    return times


def settled(saves: list[float]) -> None:
    """Wait for two whole housekeeping saves from now (one under way now may have begun before)."""
    wanted = len(saves) + 3
    wait_for(lambda: len(saves) >= wanted, what="two housekeeping saves after the command")


@contextlib.contextmanager
def playing_with_queue_saved(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI, list[str]]]:
    """The appliance playing for the default profile (Kim is known too), its queue saved."""
    profiles: dict[str, Any] = {"recommend.profiles": ["default", "Kim"]}
    app, bus = build(tmp_path, Script("happy"), **profiles)
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "happy", what="the mood read (no flip re-plans later)")
        wait_for(lambda: app.state()["now_playing"] is not None and len(queued(app)) >= 2, what="a queue")
        before = queued(app)
        wait_for(lambda: saved(app) == ("default", before), what=f"the queue saved: {before}")
        yield app, ControlAPI(app, bus), before
    finally:
        app.stop()


def test_a_switch_saves_the_new_listener_with_their_own_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with playing_with_queue_saved(tmp_path) as (app, api, before):
        saves = housekeeping_saves(app, monkeypatch)
        for tid in before:  # Kim does not want what default has queued: their plan is another one
            app.parts.recommender.feedback("Kim", tid, "dislike", app._current_mood(), time.time())
        with Versions(app) as versions:
            api.execute("set_profile", {"profile": "Kim"})
            after = saved(app)  # as the command answers
            settled(saves)  # and the housekeeping's saves after it
        assert after == ("Kim", queued(app)), (after, queued(app), before)
        assert after[1] and not set(after[1]) & set(before), (after, before)
        assert ("Kim", before) not in versions.seen, versions.seen  # never Kim with default's queue
        assert all(v in [("default", before), after] for v in versions.seen), versions.seen


def test_a_refused_switch_saves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with playing_with_queue_saved(tmp_path) as (app, api, before):
        saves = housekeeping_saves(app, monkeypatch)
        corrupt(tmp_path / "data" / "recommend.sqlite")  # Kim's strategy and plan cannot be read
        with Versions(app) as versions:
            with pytest.raises(CommandError, match="file is not a database"):
                api.execute("set_profile", {"profile": "Kim"})
            settled(saves)
        assert saved(app) == ("default", before) and queued(app) == before
        assert versions.seen == [("default", before)], versions.seen
