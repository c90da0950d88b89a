"""A rescan asked for while one runs is merged into one more pass: the real service (real library
index, real analysis workers, real tone files) says "running" from the first request to the end of
that pass, with counts that add up over both passes, and "finished" once, at the end.  The passes
of one run share one set of analysis workers (each new worker pays librosa's JIT warm-up), stopped
when the run ends.

The first pass is held at a real boundary: another connection holds the library database's write
lock (as `moodspeaker library index` run by hand would), so the scan has walked the folder and waits
for the database; the second request is therefore certainly made while the first pass runs.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from librarykit import scan_finished, started_service
from servicekit import wait_for

from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import StateChanged
from polling import until
from tonetracks import tone_file, tone_folder


class Sampler:
    """Every scan state the control API reports, read as often as it can (a page polling hard)."""

    def __init__(self, control: ControlAPI) -> None:
        self.samples: list[dict[str, Any]] = []
        self._control = control
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.samples.append(self._control.state()["scan"])

    def stop(self) -> list[dict[str, Any]]:
        """Stop sampling; one last read after the thread ended, so the samples end with the state as it
        is now (the loop may have left between the scan finishing and its next read)."""
        self._stop.set()
        self._thread.join(5)
        self.samples.append(self._control.state()["scan"])
        return self.samples


def test_status_says_scanning_until_the_merged_pass_ends_and_the_counts_add_up(tmp_path: Path) -> None:
    music = tone_folder(tmp_path / "music", 4, name="old")
    with started_service(tmp_path, music) as service:
        app, control, bus = service.app, service.control, service.bus
        scan_events: list[dict[str, Any]] = []
        library_events: list[str] = []
        bus.subscribe(
            lambda e: scan_events.append(e.value) if isinstance(e, StateChanged) and e.key == "scan" else None
        )
        bus.subscribe(
            lambda e: (
                library_events.append(e.value) if isinstance(e, StateChanged) and e.key == "library" else None
            )
        )
        assert control.state()["scan"] == {}  # nothing asked for yet

        control.execute("rescan")  # a plain scan first: four new files
        wait_for(lambda: scan_finished(control), 120, "the first scan")
        first = control.state()["scan"]
        assert (first["pass"], first["added"], first["analysed"], first["seen"]) == (1, 4, 4, 4), first
        assert first["result"].startswith("4 files, 4 new, 0 changed, 4 analysed, 0 removed"), first
        rescan = service.rescan
        assert app.parts.rescan is rescan
        assert rescan.workers_started == 1
        until(lambda: not rescan.holds_workers, what="the run's analysis workers to stop")
        scan_events.clear()
        library_events.clear()

        # what the listener did before pressing Rescan: one file gone, one re-encoded, two new
        (music / "old0.ogg").unlink()
        (music / "old1.ogg").unlink()
        tone_file(music, "old1", 660.0)
        tone_folder(music, 2, name="new", first_hz=700.0)

        holder = sqlite3.connect(db_path(app.config), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the library database
        try:
            control.execute("rescan")
            sampler = Sampler(control)  # from here on: this run (before it, the first one's end)
            wait_for(
                lambda: (
                    control.state()["scan"].get("seen") == 5
                    and control.state()["scan"]["phase"] == "checking"
                ),
                60,
                "the first pass to walk the folder and wait for the database",
            )
            control.execute("rescan")  # pressed again after copying one more file
            held = control.state()["scan"]
            assert (held["running"], held["queued"], held["pass"]) == (True, True, 1), held
            tone_file(music, "new2", 780.0)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        wait_for(lambda: scan_finished(control), 120, "the merged scan to end")
        samples = sampler.stop()
        # both passes analysed (new0, new1, old1; then new2) on one set of workers, stopped at the end
        assert rescan.workers_started == 2
        until(lambda: not rescan.holds_workers, what="the run's analysis workers to stop")

    end = samples[-1]
    assert (end["running"], end["queued"], end["pass"], end["phase"]) == (False, False, 2, "finished"), end
    # over both passes: new0, new1 (first) and new2 (second) added; old1 changed; old0 removed
    counts = {k: end[k] for k in ("seen", "added", "updated", "removed", "analysed", "failed")}
    assert counts == {"seen": 6, "added": 3, "updated": 1, "removed": 1, "analysed": 4, "failed": 0}, end
    assert end["result"] == (
        "2 passes, 3 new, 1 changed, 1 removed in all; "
        "last pass: 6 files, 1 new, 0 changed, 1 analysed, 0 removed"
    ), end
    assert len(library_events) == 2 and library_events[1] in end["result"]  # one per pass

    # never "finished" before the merged pass ended: every report until then says running
    first_done = next(i for i, s in enumerate(samples) if not s["running"])
    assert all(s == end for s in samples[first_done:]), samples[first_done:]
    assert samples[first_done - 1]["pass"] == 2
    running = samples[:first_done]
    assert {1, 2} <= {s["pass"] for s in running} <= {0, 1, 2}, "the sampler saw both passes"
    assert any(s["queued"] for s in running if s["pass"] == 1)
    assert not any(s["queued"] for s in running if s["pass"] == 2)
    for key in ("added", "updated", "removed", "analysed"):  # the run's counts only ever grow
        values = [s.get(key, 0) for s in running]
        assert values == sorted(values), (key, values)
        assert values[-1] <= end[key]
    # the events: started, merged (queued), pass 1, pass 2, over: "finished" only in the last one
    assert [e["running"] for e in scan_events] == [True] * (len(scan_events) - 1) + [False], scan_events
    assert [e["pass"] for e in scan_events] == [0, 1, 1, 2, 2], scan_events
    assert scan_events[-1] == end

    index = LibraryIndex(db_path(app.config))
    names = sorted(Path(t.location).name for t in index.tracks())
    assert names == ["new0.ogg", "new1.ogg", "new2.ogg", "old1.ogg", "old2.ogg", "old3.ogg"]
