"""Helpers for player tests: real tone files (soundfile) and an event recorder on a real EventBus."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import Event, EventBus

SR = 44100


def write_tone(
    path: Path, freq: float, seconds: float, *, amp: float = 0.3, sr: int = SR, fmt: str | None = None
) -> Path:
    t = np.arange(int(sr * seconds)) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    sf.write(str(path), np.stack([x, x], 1), sr, format=fmt)
    return path


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
        bus.subscribe(self._on)

    def _on(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def of(self, kind: str) -> list[Event]:
        with self._cond:
            return [e for e in self.events if e.kind == kind]

    def wait(self, pred: Callable[[Event], bool], timeout: float = 10.0) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no matching event in {timeout}s; got {[e.kind for e in self.events]}"
                    )
                self._cond.wait(left)
