"""Whether a file that failed to open, and is unchanged since, opens now: a rescan's last look.

A "missing" mark made with the file there (service.file_seen) is lifted once the file changes: a
damaged one fails again as it is.  But a failure to open is not always the file's fault: ffmpeg
missing for a while (removed, being upgraded), its decoder killed (the OOM killer) or starved and given
up on before any audio.  Such a file, unchanged, was held back for the whole feedback horizon (about
six weeks).  So a rescan opens it as the player does (`player.decode.open_decoder`) and reads its
first audio: a file that gives audio now is offered again; one that fails (damaged, unreadable) stays
held back until it changes.  Only for marks whose file is there and unchanged, on the rescan's thread
(never the player's), each read given up on after OPEN_TIMEOUT_S (a decoder that hangs) or when the
speaker stops, the decoder (ffmpeg's process group) killed.

Opening costs (about 80 ms a damaged file on a PC, several times that on a Pi, up to OPEN_TIMEOUT_S
for a hung decoder), and a damaged file fails every time: opened at every rescan, a library with a
thousand of them kept every rescan "running" minutes longer.  So `OpenAgain` opens a file again only
when what opens it may have changed since it failed here: once after the speaker starts (how it
failed before is not known), then only when the ffmpeg on PATH is another (`decoder_setup`: one
appeared, went, or was upgraded).  A genuinely damaged file, nothing changed, costs no open.  And a
rescan's pass spends at most PASS_BUDGET_S on opening: the files left wait for the next pass.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from moodspeaker.player.deck import CHUNK_S, RATE
from moodspeaker.player.decode import open_decoder
from moodspeaker.player.stream import Decoder

log = logging.getLogger(__name__)

#: How long the look may take (opening, first audio) before the decoder is given up on; ffmpeg on a
#: Pi starts in well under a second
OPEN_TIMEOUT_S = 10.0
#: How long one rescan pass may spend opening files again; those left are opened at the next pass
PASS_BUDGET_S = 5.0
#: How often a look that takes long checks whether the speaker is stopping
_POLL_S = 0.1


def opens_now(
    location: str,
    *,
    duration_s: float = 0.0,
    timeout_s: float = OPEN_TIMEOUT_S,
    stop: threading.Event | None = None,
) -> bool:
    """Whether the file at `location` opens and gives audio now, as the player would play it from its
    start; False when it fails (logged at debug), hangs for `timeout_s`, or `stop` is set meanwhile:
    the decoder is aborted (an ffmpeg's process group killed) and closed."""
    if stop is not None and stop.is_set():
        return False
    try:
        decoder = open_decoder(Path(location), RATE, name=location, duration_s=duration_s)
    except Exception as exc:  # DecodeError, OSError; anything else a decoder raises is a failure too
        log.debug("%s still does not open: %s", location, exc)
        return False
    done = threading.Event()
    watcher = threading.Thread(
        target=_give_up, args=(decoder, done, timeout_s, stop), name="open-watch", daemon=True
    )
    watcher.start()
    try:
        audio = len(decoder.read(round(RATE * CHUNK_S))) > 0
    except Exception as exc:  # as above
        log.debug("%s still gives no audio: %s", location, exc)
        return False
    finally:
        done.set()
        watcher.join()
        decoder.close()
    if not audio:
        log.debug("%s has no audio in it", location)
    return audio


def _give_up(decoder: Decoder, done: threading.Event, timeout_s: float, stop: threading.Event | None) -> None:
    """Abort `decoder` once `timeout_s` is over or `stop` is set, until its read is `done`: again at
    every poll, as a decoder carrying on past damage (player.carryon) may have opened another."""
    deadline = time.monotonic() + timeout_s
    while not done.wait(_POLL_S):
        if stop is not None and stop.is_set():
            decoder.abort("the speaker is stopping")
        elif time.monotonic() >= deadline:
            decoder.abort(f"no audio within {timeout_s:g} s")


def decoder_setup() -> str:
    """What opens a file libsndfile cannot read, as text to compare: the ffmpeg on PATH (its real
    place, size, mtime and inode: another once installed, upgraded or PATH changed), "" when none."""
    binary = shutil.which("ffmpeg")
    if binary is None:
        return ""
    real = os.path.realpath(binary)
    try:
        st = os.stat(real)
    except OSError:
        return real
    return f"{real} {st.st_size} {st.st_mtime_ns} {st.st_dev}:{st.st_ino}"


class OpenAgain:
    """Which unchanged files of tracks marked "missing" a rescan opens again, and opening them (see the
    module doc).  `begin_pass` before each pass's marks; then called per mark.  One rescan thread at a
    time uses it.  `clock`: the monotonic clock the pass's budget is counted on."""

    def __init__(self, stop: threading.Event, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._stop = stop
        self._clock = clock
        self._failed: dict[tuple[str, str], str] = {}  # (track id, mark's seen): decoder_setup then
        self._asked: set[tuple[str, str]] = set()
        self._setup = ""
        self._deadline = 0.0
        self._left = 0  # files not opened this pass for the budget

    def begin_pass(self) -> None:
        """A pass starts: the setup looked at now, its budget counted from now; a failure remembered of
        a mark not asked about in the last pass (lifted, or its file changed) is forgotten."""
        self._failed = {k: v for k, v in self._failed.items() if k in self._asked}
        self._asked = set()
        self._setup = decoder_setup()
        self._deadline = self._clock() + PASS_BUDGET_S
        self._left = 0

    def __call__(self, track_id: str, location: str, seen: str, duration_s: float = 0.0) -> bool:
        """Whether the track's file at `location`, unchanged since its mark (`seen`), opens now; False
        without opening it when it failed here already with the same setup, when the pass's budget is
        spent (opened at the next pass), or when the speaker is stopping."""
        key = (track_id, seen)
        self._asked.add(key)
        if self._failed.get(key) == self._setup or self._stop.is_set():
            return False
        if self._clock() >= self._deadline:
            self._left += 1
            if self._left == 1:
                log.info("files that failed to open: the rest are opened again at the next rescan")
            return False
        if opens_now(location, duration_s=duration_s, timeout_s=OPEN_TIMEOUT_S, stop=self._stop):
            self._failed.pop(key, None)
            return True
        if not self._stop.is_set():
            self._failed[key] = self._setup
        return False
