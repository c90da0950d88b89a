"""Proving that a camera switched off stays unread without guessing how long that takes: a test
waits until the service's capture loop has gone round with a capture due, and only then checks that
nothing was read.  A fixed sleep instead passes wrongly on a busy machine, where the loop may not
have run at all during the sleep (and a capture that should not be there would come after the check).
Imported from tests/, which pytest puts on sys.path for tests/conftest.py."""

from __future__ import annotations

import threading

from moodspeaker.service.inference import InferenceStage
from polling import until

#: How many looks at the clock a capture round makes at most: one at the top of the round, one before
#: and one after the frame is read, then after the vision, the filter and the first result.  Counting
#: twice as many looks after a capture fell due covers a capture already under way before it.
LOOKS_PER_ROUND = 8


class CaptureLoop:
    """Watches the capture loop of `stage` through its clock: the loop looks at the clock every round,
    before and after each read.  After a look at time t its next capture is due by t plus one slot
    (the interval, at least 0.2 s while the camera is off), so once it has looked LOOKS_PER_ROUND
    times a slot after its first look since `went_round` began, a round with a capture due has begun
    and, had it captured, the frame was read."""

    def __init__(self, stage: InferenceStage, interval_s: float) -> None:
        self._slot_s = max(interval_s, 0.2)
        self._clock = stage._clock
        self._lock = threading.Lock()
        self._looks: list[float] = []  # when the capture loop's threads looked at the clock
        stage._clock = self._look

    def _look(self) -> float:
        now = self._clock()
        if threading.current_thread().name.startswith("inference"):  # not a thread asking health
            with self._lock:
                self._looks.append(now)
        return now

    def went_round(self, timeout: float = 60.0) -> None:
        """Wait until the loop has gone round with a capture due since this call (see the class)."""
        with self._lock:
            start = len(self._looks)

        def due_round_done() -> bool:
            with self._lock:
                looks = self._looks[start:]
            return bool(looks) and sum(t >= looks[0] + self._slot_s for t in looks) >= LOOKS_PER_ROUND

        until(due_round_done, timeout, "the capture loop to go round with a capture due")
