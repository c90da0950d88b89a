"""Library rescans: one at a time, requests while one runs merged into one more pass, progress reported.

Why a module of its own: a rescan runs in the background for seconds to hours (analysis of a new
library on a Pi), and everything that shows it (the page, the control API's state, the CLI) must see
one scan from the first request to the end of the last merged pass.  The bookkeeping is
`service.scan_state.ScanRun`; this runs the passes and announces the changes on the EventBus:
`StateChanged("scan", snapshot)` when a run starts, when one more pass is asked for, when each pass
starts and when the run is over, and `StateChanged("library", sentence)` after each pass (the
library changed; the recommender has reloaded it).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Mapping
from functools import cached_property

from moodspeaker.service.core import ApplianceCore
from moodspeaker.service.events import StateChanged
from moodspeaker.service.file_opens import OpenAgain
from moodspeaker.service.file_seen import changed, file_seen
from moodspeaker.service.health import library_state
from moodspeaker.service.moved_tracks import follow_library
from moodspeaker.service.scan_state import ClosingRescan, ScanRun

log = logging.getLogger(__name__)


def file_back(source: object, track_id: str, seen: str | None, opens: OpenAgain | None = None) -> bool:
    """Whether a track marked "missing" can be offered again: `source` (its `get(id)`) has it as a file
    of this speaker's that is there now and was not when it failed (`seen` None: a disk back, a file
    found moved), or is another file now (moved, rewritten, its permissions fixed; service.file_seen).
    A file that was there and is unchanged is opened by `opens` (service.file_opens, which opens it
    only when what opens it may have changed): one that failed not by its fault (ffmpeg gone for a
    while, a decoder killed) gives audio now, yes; a damaged or unreadable one fails again, no (and
    no without `opens`).  A LAN server's track is not (its mark goes when a track of it plays); an
    index that cannot be read says no (logged)."""
    get = getattr(source, "get", None)
    try:
        track = get(track_id) if callable(get) else None
    except (sqlite3.Error, OSError) as exc:
        log.warning("missing tracks not looked up in the library: %s", exc)
        return False
    location, origin = getattr(track, "location", None), getattr(track, "source", "")
    duration = float(getattr(track, "duration_s", 0.0) or 0.0)
    if not isinstance(location, str) or "://" in str(origin):
        return False
    if changed(seen, location):
        return True
    if opens is None or seen is None or file_seen(location) is None:
        return False
    return opens(track_id, location, seen, duration)


class ScanStoppedError(Exception):
    """The speaker is stopping: the scan stops at its next step (the next file checked or analysed).

    Raised from the progress callback, in the scanning thread: the index keeps what was finished and
    leaves the rest `pending` for the next scan, and the analysis workers are shut down now, not by
    the interpreter's exit under a scan still submitting work ("cannot schedule new futures after
    shutdown")."""


class LibraryRescans(ApplianceCore):
    """`rescan_library` of the Speaker protocol (see the module doc)."""

    _scans: ScanRun  # set by Appliance.__init__

    def rescan_library(self) -> None:
        """Rescan in the background.  One scan at a time: a request while one runs (Rescan pressed
        again, or during the start-up scan) makes it go once more when it ends, instead of a second
        scan with its own analysis workers beside it (double the CPU and memory on a Pi).  The state
        says "running" (and "queued" for the pass to come) until the last pass is done."""
        start = self._scans.request(time.time())
        self._announce_scan()
        if start:
            threading.Thread(target=self._scan_passes, name="rescan", daemon=True).start()

    def _announce_scan(self) -> None:
        self.bus.publish(StateChanged(ts=time.time(), key="scan", value=self._scans.snapshot()))

    def _scan_passes(self) -> None:
        """The run's passes, one after another while more are asked for.  Its analysis workers are
        stopped before the run is declared over, and only this thread declares it over: once it is,
        a new request starts a new run (and thread) that nothing here may touch any more."""
        reason = "the scan stopped unexpectedly"
        ended = False
        try:
            while True:
                self._scans.begin_pass()
                self._announce_scan()
                result = self._scan_pass()
                if not self._scans.more_asked():
                    self._close_rescan()  # asked for after this, the next pass starts its own workers
                if self._scans.end_pass(result, time.time()):
                    ended = True
                    break
        except ScanStoppedError:
            log.info("library rescan stopped: the speaker is stopping (what is left waits for the next scan)")
            reason = "the speaker stopped during the scan"
        except Exception as exc:  # a broken pass must not leave the run "running" for ever
            log.exception("library rescan stopped")
            reason = str(exc) or type(exc).__name__
            self._report("library", f"rescan failed: {reason}")
        finally:
            if not ended:
                self._close_rescan()
                self._scans.abort(reason, time.time())
            self._announce_scan()

    def _close_rescan(self) -> None:
        """The run's workers go (a rescan that keeps them across its passes; see ClosingRescan)."""
        if isinstance(self.parts.rescan, ClosingRescan):
            try:
                self.parts.rescan.close()
            except Exception:
                log.exception("library rescan: stopping the analysis workers failed")

    def _scan_pass(self) -> str:
        """One pass: the library brought up to date, reloaded and re-checked; its one-sentence result."""
        result = "library reloaded"
        self._check_stop()
        try:
            if self.parts.rescan is not None:
                result = self.parts.rescan(self._progress)
        except ScanStoppedError:
            raise
        except Exception as exc:
            log.exception("library rescan failed")
            result = f"failed: {exc}"
            self._report("library", f"rescan failed: {exc}")
        self._recommender.refresh()
        # a queued (or restored) track whose file moved kept its id: it plays from its new place
        follow_library(self.player, self._status(), self._recommender.source)
        # one that failed to open before the scan found it moved (or its disk back, or its file
        # replaced) is offered again
        # (an unchanged one is opened again only when that may now go otherwise: service.file_opens)
        opens = self._opens_again
        opens.begin_pass()

        def back(track_id: str, seen: str | None) -> bool:
            self._check_stop()  # between files: a speaker stopping ends the pass here
            return file_back(self._recommender.source, track_id, seen, opens)

        found = self._recommender.found_again(back)
        if found:
            log.info("library rescan: %d tracks that could not be opened are found again", len(found))
        self.conductor.retry_soon()
        self.health.set_state(
            "library", *library_state(self._recommender.source, self.config.library.folders)
        )
        self.bus.publish(StateChanged(ts=time.time(), key="library", value=result))
        return result

    @cached_property
    def _opens_again(self) -> OpenAgain:
        """What the passes open again of the files that failed and are unchanged (and what failed
        here, as things were): kept from pass to pass, made at the first."""
        return OpenAgain(self._stop)

    def _progress(self, phase: str, counts: Mapping[str, int]) -> None:
        """The pass's progress (a ScanListener), and where it stops when the speaker stops."""
        self._check_stop()
        self._scans.progress(phase, counts)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise ScanStoppedError
