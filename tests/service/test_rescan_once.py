"""One library scan at a time: Rescan pressed while a scan runs (or during the start-up scan) runs it
once more afterwards, never a second scan (with its own analysis workers) beside the first."""

from __future__ import annotations

import threading
from pathlib import Path

from servicekit import Script, build, wait_for

from moodspeaker.service.events import StateChanged


def test_rescans_asked_for_while_one_runs_are_coalesced_into_one_more(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script(None))
    release = threading.Event()
    running, most, calls = [0], [0], [0]
    let_go: list[bool] = []  # False: a scan let go by the timeout, not by the test
    lock = threading.Lock()

    def rescan(_progress: object = None) -> str:
        with lock:
            running[0] += 1
            calls[0] += 1
            most[0] = max(most[0], running[0])
        let_go.append(release.wait(60))
        with lock:
            running[0] -= 1
        return f"scan {calls[0]}"

    app.parts.rescan = rescan
    done: list[object] = []
    bus.subscribe(
        lambda e: done.append(e.value) if isinstance(e, StateChanged) and e.key == "library" else None
    )
    app.rescan_library()
    wait_for(lambda: calls[0] == 1, what="the first scan")
    for _ in range(3):  # pressed three more times while it runs
        app.rescan_library()
    release.set()
    wait_for(lambda: len(done) == 2, what="the first scan and one more")
    app.rescan_library()  # idle again: a new request scans at once
    wait_for(lambda: len(done) == 3, what="a later scan")
    assert (most[0], calls[0], done) == (1, 3, ["scan 1", "scan 2", "scan 3"])
    assert let_go == [True] * 3, "a scan ended before the test let it go"


def test_a_rescan_that_fails_does_not_block_later_ones(tmp_path: Path) -> None:
    app, bus = build(tmp_path, Script(None))
    done: list[object] = []
    bus.subscribe(
        lambda e: done.append(e.value) if isinstance(e, StateChanged) and e.key == "library" else None
    )

    def broken(_progress: object = None) -> str:
        raise OSError("disk on fire")

    app.parts.rescan = broken
    app.rescan_library()
    wait_for(lambda: len(done) == 1, what="the failed scan reported")
    assert "disk on fire" in str(done[0])
    app.parts.rescan = lambda _progress=None: "fine"
    app.rescan_library()
    wait_for(lambda: done[-1] == "fine", what="a later scan")
