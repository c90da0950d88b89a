"""Helpers for player tests: real tone files (soundfile), an event recorder on a real EventBus, and
the set-up and readings the player tests share (a queue playing its first track, the tracks started,
how each play of a track ended)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from moodspeaker.library.track import Track
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import Event, EventBus, StateChanged, TrackEnded, TrackStarted

SR = 44100


def write_tone(
    path: Path, freq: float, seconds: float, *, amp: float = 0.3, sr: int = SR, fmt: str | None = None
) -> Path:
    t = np.arange(int(sr * seconds)) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    sf.write(str(path), np.stack([x, x], 1), sr, format=fmt)
    return path


def encode(source: Path, target: Path, codec: str, bitrate: str) -> Path:
    """`source` encoded by the real ffmpeg (on PATH) with `codec` at `bitrate` (e.g. "libmp3lame",
    "128k") into `target`, whose suffix picks the container; `target`."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-c:a", codec, "-b:a", bitrate]
    subprocess.run([*cmd, str(target)], check=True)
    return target


def item(path: Path, track_id: str, *, lufs: float = -16.0, reason: str = "test") -> QueueItem:
    return QueueItem(
        Track(id=track_id, location=str(path), title=track_id, artist="tone", loudness_lufs=lufs),
        reason,
    )


class Recorder:
    """Collects events from a real EventBus and waits for one that matches."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()
        self._hooks: list[tuple[Callable[[Event], bool], Callable[[], None]]] = []
        bus.subscribe(self._on)

    def _on(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            due = [hook for hook in self._hooks if hook[0](event)]
            self._hooks = [hook for hook in self._hooks if hook not in due]
            self._cond.notify_all()
        for _, action in due:  # on the announcing thread (the player's), as the event goes out
            action()

    def on(self, pred: Callable[[Event], bool], action: Callable[[], None]) -> None:
        """Run `action` once, on the thread announcing it, at the first event to come that `pred`
        matches."""
        with self._cond:
            self._hooks.append((pred, action))

    def of(self, kind: str) -> list[Event]:
        with self._cond:
            return [e for e in self.events if e.kind == kind]

    def wait(self, pred: Callable[[Event], bool], timeout: float = 60.0) -> Event:
        """The first event so far or to come that `pred` matches."""
        found: list[Event] = []

        def matched(events: list[Event]) -> bool:
            found[:] = [e for e in events if pred(e)][:1]
            return bool(found)

        self.wait_until(matched, timeout)
        return found[0]

    def wait_until(self, check: Callable[[list[Event]], bool], timeout: float = 60.0) -> None:
        """Until `check` holds on every event so far (in order): for a sequence, not one event."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not check(list(self.events)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no matching events in {timeout}s; got {[e.kind for e in self.events]}"
                    )
                self._cond.wait(left)


def tone(folder: Path, track_id: str, freq: float, seconds: float) -> QueueItem:
    """A queue item for a tone file `<track_id>.wav` written in `folder`."""
    return item(write_tone(folder / f"{track_id}.wav", freq, seconds), track_id)


def tones(folder: Path, *seconds: float) -> list[QueueItem]:
    """Tracks a, b, c (440, 550, 660 Hz), as many as lengths given: the usual queue of the player tests."""
    return [tone(folder, t, f, s) for t, f, s in zip("abc", (440, 550, 660), seconds, strict=False)]


def playing(
    make_player: Callable[..., tuple[Player, Recorder]],
    queue: list[QueueItem],
    *,
    then: Callable[[Player], None] | None = None,
    **settings: Any,
) -> tuple[Player, Recorder]:
    """A new player (the conftest's `make_player`, with `settings`) given `queue` and Play, returned
    once the queue's first track has started, so a test's command lands while it plays.  `then` runs
    on the player thread as that start is announced: the commands it posts run in the player's next
    turn, before any chunk moves on.  A command the test must land while a short track plays goes
    there: sent from the test thread, a busy machine could delay it past the track's end."""
    player, rec = make_player(**settings)
    first = queue[0].track.id
    if then is not None:
        rec.on(lambda e: isinstance(e, TrackStarted) and e.track_id == first, lambda: then(player))
    player.set_queue(queue)
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == first)
    return player, rec


def started(rec: Recorder) -> list[str]:
    """The track ids of every announced start, in order (a play resumed after a lost device is
    not announced again: it continues)."""
    return [e.track_id for e in rec.of("track_started") if isinstance(e, TrackStarted)]


def end_events(rec: Recorder, track_id: str) -> list[TrackEnded]:
    """Every announced end of `track_id`, in order."""
    return [e for e in rec.of("track_ended") if isinstance(e, TrackEnded) and e.track_id == track_id]


def ends(rec: Recorder, track_id: str) -> list[tuple[bool, bool]]:
    """(skipped, completed) of each announced end of `track_id`."""
    return [(e.skipped, e.completed) for e in end_events(rec, track_id)]


def audio_announced(events: list[Event]) -> list[object]:
    """The values of every `StateChanged("audio")` in `events`, in order."""
    return [e.value for e in events if isinstance(e, StateChanged) and e.key == "audio"]


def audio_back(rec: Recorder, timeout: float = 60.0) -> None:
    """Wait until the output is announced back ("ok") after its last announced loss.  A wait for any
    "ok" would not do: the first opening of the output is announced "ok" too."""

    def back(events: list[Event]) -> bool:
        said = audio_announced(events)
        return "lost" in said and said[-1] == "ok"

    rec.wait_until(back, timeout)
