"""The watchdog restarts a really stuck stage thread; health collects timings and states."""

from __future__ import annotations

import threading
import time

from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.health import Health
from moodspeaker.service.watchdog import Heartbeat, Watchdog


def test_stuck_stage_is_replaced_and_its_late_result_discarded() -> None:
    hb = Heartbeat()
    release = threading.Event()
    results: list[tuple[int, int]] = []
    threads: list[threading.Thread] = []
    reports: list[str] = []

    def stage(generation: int) -> None:
        step = 0
        while hb.begin(generation):
            if generation == 0 and step == 2:
                release.wait()  # the first stage hangs on its third step (a wedged TPU)
            step += 1
            if hb.end(generation):
                results.append((generation, step))
            time.sleep(0.01)

    def restart(generation: int) -> None:
        t = threading.Thread(target=stage, args=(generation,), daemon=True)
        threads.append(t)
        t.start()

    restart(0)
    # a loaded CI machine: a step of gen 1 (nothing between begin and end) stalled for the watchdog's
    # 5 s would be restarted too; the wait for gen 1's first result is generous
    dog = Watchdog(hb, restart, timeout_s=5.0, period_s=0.05, on_restart=reports.append)
    dog.start()
    deadline = time.monotonic() + 60
    while not any(g == 1 for g, _ in results) and time.monotonic() < deadline:
        time.sleep(0.02)
    dog.stop()
    assert dog.restarts == 1 and "stuck" in reports[0]
    assert any(g == 1 for g, _ in results)
    release.set()  # the old thread wakes up late: its result is discarded and it exits
    threads[0].join(30)
    assert not threads[0].is_alive()
    assert max(s for g, s in results if g == 0) == 2


def test_health_snapshot() -> None:
    health = Health()
    for ms in (10, 20, 30):
        health.timing("classify", ms / 1000)
    assert health.set_state("camera", ComponentState.OK)
    assert not health.set_state("camera", ComponentState.OK)
    assert health.set_state("camera", ComponentState.OFF, "privacy switch")
    health.reason("t1", "Song", "fits a happy mood")
    health.count("restarts")
    snap = health.snapshot()
    stage = snap["stages"]["classify"]
    assert stage["count"] == 3 and stage["max_ms"] == 30 and 10 < stage["avg_ms"] < 20
    assert snap["components"]["camera"]["state"] == "off"
    assert snap["reasons"][0]["reason"] == "fits a happy mood"
    assert snap["memory_rss_mb"] > 10 and snap["uptime_s"] >= 0
