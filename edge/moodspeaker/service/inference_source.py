"""The inference stage's frame source and what a capture without a frame means (service.inference).

The source's protocol (FrameSource), closing it (the privacy switch, a source that ended, stop), a
capture that gave nothing to classify (the mood fades as when no one is there: `_no_capture`) and a
source that ran out of frames (a replay that ended: the mood fades, then the reading ends,
`_ran_out`).  `SourceEnding` is a part of InferenceStage, kept here so the stage's module stays
small; it uses the stage's attributes, declared below.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodFilter, MoodState
from moodspeaker.service.held_capture import HeldCapture

log = logging.getLogger("moodspeaker.service.inference")  # the stage's own log, as before the split


class FrameSource(Protocol):
    """The vision helper's frame sources. Those that can say why `read()` gave None also carry
    `state` ("retrying": a live camera backing off, keep it; "ended": no more frames) and
    `last_error`; a source without `state` is treated as ended when it gives None."""

    def read(self) -> np.ndarray | None: ...
    def close(self) -> None: ...


OnResult = Callable[[MoodState, Any, float], None]


class SourceEnding:
    """InferenceStage's handling of its source closing and giving no frames (module doc)."""

    _lock: threading.Lock
    _filter_lock: threading.Lock
    _source: FrameSource | None
    _capture: HeldCapture
    _filter: MoodFilter
    _on_result: OnResult
    _on_ended: Callable[[], None] | None
    _clock: Callable[[], float]
    _stop: threading.Event
    _reading: int
    _enabled: bool
    _ended: bool
    _ran_out_done: bool

    def _close_source(self) -> None:
        with self._lock:
            source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception:
                log.exception("closing the camera failed")
            self._capture.closed(source)  # a hung capture of it still holds the device

    def _no_capture(self, reading: int) -> None:
        """A capture that gave nothing to classify (the camera retrying or missing, the pipeline
        failing) counts as a capture without a face: the mood fades to unknown after
        `mood.no_face_timeout_s`, as it does when the listener walks away, instead of staying at its
        last value for as long as the camera is gone.  Same checks as a classified capture."""
        now = self._clock()
        with self._filter_lock:
            if reading != self._reading or not self._enabled or self._stop.is_set():
                return
            state = self._filter.update(None, now)
            self._on_result(state, None, now)

    def _ran_out(self, reading: int) -> None:
        """A capture due from a source with no more frames (a replay that ended) counts as one that gave
        nothing (`_no_capture`): the mood fades as when the camera gives no frames; once it is unknown
        (at once when none was read) the reading ends (`on_ended`: the service ends it as "delete
        everything" does, published as no reading), once per source.  Before, the last mood read
        stood live for good (MQTT's mood topics, the page, the picks)."""
        with self._filter_lock:
            fading = self._filter.mood != UNKNOWN
        if fading:
            self._no_capture(reading)
            return
        with self._lock:
            if self._ran_out_done or not self._ended or not self._enabled:
                return  # ended already, or switched off (and maybe on again) meanwhile
            self._ran_out_done = True
        log.info("the frame source has no more frames and the mood has faded: the reading ends")
        if self._on_ended is not None:
            self._on_ended()
