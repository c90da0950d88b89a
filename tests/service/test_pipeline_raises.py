"""A vision step that raises is a failed step, not a stuck one.

The heartbeat was marked busy before the pipeline's step and marked done only after it returned: a
step that raised left it busy, so the watchdog took the failure for a hang and restarted the stage
(a fresh pipeline, on the Edge TPU a costly reload) and reported it stuck.  The stage here is the
real InferenceStage with the real Heartbeat and Watchdog; the watchdog's ticks are driven by the test
at a time far past its timeout, so no timing decides the outcome.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from servicekit import failing_stage

from polling import until


class Raising:
    def __init__(self, steps: list[int]) -> None:
        self.steps = steps

    def step(self, frame: np.ndarray, now: float) -> Any:
        self.steps.append(1)
        raise RuntimeError("the interpreter failed on this frame")


def test_a_step_that_raises_is_an_error_not_a_stuck_step() -> None:
    steps: list[int] = []
    stage, health, heartbeat, watchdog = failing_stage(lambda: Raising(steps))
    stage.start()
    try:
        until(lambda: health.state_of("vision") == "error", 30, "the failed step reported")
        assert "the interpreter failed" in health.snapshot()["components"]["vision"]["detail"]
        assert not watchdog.check(time.monotonic() + 3600.0)  # an hour on: still not stuck
        assert watchdog.restarts == 0
        assert heartbeat.generation == 0
        assert steps == [1]
    finally:
        stage.stop(timeout=30)
