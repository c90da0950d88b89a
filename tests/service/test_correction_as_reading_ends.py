"""A mood correction made while the camera's switch-off ends the reading is published in the order the
mood in force changed.

Why: the reading's end (`_end_reading`) set the mood in force to unknown under the appliance's lock
but published it (MoodObserved unknown, MoodChanged to unknown) after releasing it.  A correction
(`correct_mood`, from the page or MQTT, on another thread) made in that gap published its
MoodChanged(sad) first, then the end's events: Home Assistant's mood showed unknown while the
correction, made after the end, held.  Here the correction runs on its own thread, started from the
end's gap (a hook on the stage's `enabled`, read there); the end goes on once that thread has finished
or waits for the appliance's lock (a lock that says who waits for it: no timing decides).  The events,
folded as MQTT's state topics fold them, must end on the mood in force.  Real appliance (real mood
filter, player on SDL's dummy driver, recommender on SQLite); only the camera is scripted.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, wait_for
from test_correction_during_reading import shown

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged
from moodspeaker.service.inference import InferenceStage

pytestmark = pytest.mark.timeout(120)


class SayingLock:
    """An RLock that says which threads wait for it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition()
        self.waiting: set[int] = set()
        self.finished: set[int] = set()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._lock.acquire(blocking=False):
            return True
        with self._changed:
            self.waiting.add(threading.get_ident())
            self._changed.notify_all()
        try:
            return self._lock.acquire(blocking, timeout)
        finally:
            with self._changed:
                self.waiting.discard(threading.get_ident())

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_: object) -> None:
        self.release()

    def ended(self) -> None:
        """The calling thread (one `wait_for` may wait for) is done."""
        with self._changed:
            self.finished.add(threading.get_ident())
            self._changed.notify_all()

    def wait_for(self, thread: threading.Thread) -> None:
        """Until `thread` has ended (it calls `ended` last) or waits for this lock."""
        with self._changed:
            ok = self._changed.wait_for(lambda: thread.ident in self.finished | self.waiting, 60)
        assert ok, "the correction neither finished nor waited for the appliance's lock"


def test_a_correction_as_the_reading_ends_is_published_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Script("happy")
    app, bus = build(tmp_path, script)
    lock = SayingLock()
    app._lock = lock  # type: ignore[assignment]  # the same RLock, saying who waits for it
    control = ControlAPI(app, bus)
    events: list[Event] = []
    bus.subscribe(events.append)
    armed = threading.Event()
    correcting: list[threading.Thread] = []
    enabled = InferenceStage.enabled

    def correct() -> None:
        try:
            app.correct_mood("sad")
        finally:
            lock.ended()

    def hooked(stage: InferenceStage) -> Any:
        if armed.is_set() and sys._getframe(1).f_code.co_name == "ended":  # the end's gap
            armed.clear()
            thread = threading.Thread(target=correct, name="correction")
            correcting.append(thread)
            thread.start()
            lock.wait_for(thread)
        return enabled.fget(stage)  # type: ignore[attr-defined]  # property's getter

    monkeypatch.setattr(InferenceStage, "enabled", property(hooked))
    app.start()
    try:
        wait_for(lambda: any(isinstance(e, MoodChanged) and e.mood == "happy" for e in list(events)))
        armed.set()
        control.execute("set_camera", {"enabled": False})
        assert correcting, "the reading's end did not read the camera's switch"
        correcting[0].join(60)
        assert not correcting[0].is_alive()
        assert app._current_mood().mood == "sad"  # told while the camera is off: it holds
        assert shown(list(events)) == "sad", list(events)[-3:]
    finally:
        app.stop()
