"""The capture/inference stage: camera -> vision pipeline -> mood filter, on a fixed interval.

Runs in its own thread so the player and the page never wait on it.  Each step marks the heartbeat
around the camera's read (held_capture), around building the pipeline (a wedged USB Coral hangs in
`load_delegate`) and around the vision pipeline (detect + classify): what can hang (a wedged camera
driver, a wedged accelerator); the watchdog then abandons the thread and `restart()` starts a fresh
one with a freshly built pipeline.  A capture that gives nothing to classify (the camera retrying or
missing, the pipeline failing) counts as no face, so the mood fades to unknown; a source that ran out
of frames (a replay that ended) fades it the same way, and then the reading ends (`on_ended`).
A frame lives only inside `_step`: it is passed to the pipeline and dropped, its pixels zeroed first
(vision.wipe: freed memory keeps its bytes, for a core dump or swap to find); it is never stored,
queued, logged or written anywhere; when the reading ends (camera off, "delete everything", stop)
the models run once on a blank input, so their tensors keep nothing of the last one (`_forget`).
The source's closing, a capture without a frame and a source that ran out: inference_source.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from moodspeaker.mood.calibration import NeutralCalibration
from moodspeaker.mood.filter import MoodFilter
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.health import Health
from moodspeaker.service.held_capture import HeldCapture
from moodspeaker.service.inference_source import FrameSource, OnResult, SourceEnding
from moodspeaker.service.source_info import camera_missing, source_name
from moodspeaker.service.watchdog import Heartbeat
from moodspeaker.vision.wipe import wipe

#: FrameSource and OnResult live in inference_source.py (with the source's handling), imported from here
__all__ = ["BUILD_TIMEOUT_S", "FrameSource", "InferenceStage", "OnResult", "Pipeline"]

log = logging.getLogger(__name__)

#: How long building the vision pipeline may take before the watchdog takes it for hung; its own
#: limit, not `classifier.stuck_timeout_s` (a few seconds, sized for one capture or classification).
#: The build loads the Edge TPU delegate, on every restart after the first: a healthy USB Coral that
#: re-enumerated uploads its firmware then, which takes seconds, and a build restarted for that would
#: load it again, in a row, up to the systemd restart.  A wedged stick hangs for good, so a minute
#: still finds it.
BUILD_TIMEOUT_S = 60.0


class Pipeline(Protocol):
    """The vision helper's VisionPipeline: one frame in, an observation (numbers only) out."""

    def step(self, frame: np.ndarray, now: float) -> Any: ...


class InferenceStage(SourceEnding):
    """Owns the camera and the pipeline; reports each filtered mood through `on_result`."""

    def __init__(
        self,
        make_source: Callable[[], FrameSource],
        make_pipeline: Callable[[], Pipeline],
        mood_filter: MoodFilter,
        *,
        interval_s: float,
        on_result: OnResult,
        health: Health,
        heartbeat: Heartbeat,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        on_ended: Callable[[], None] | None = None,
    ) -> None:
        self._make_source = make_source
        self._make_pipeline = make_pipeline
        self._filter = mood_filter
        self._interval_s = interval_s
        self._on_result = on_result
        self._health = health
        self._hb = heartbeat
        self._clock = clock
        self._enabled = enabled
        self._lock = threading.Lock()
        # The filter's update and the result's delivery, and ending the reading (end_reading): a
        # result is either out before a reading ends or dropped, never published after it.
        self._filter_lock = threading.Lock()
        self._reading = 0  # readings ended so far: a capture taken during an earlier one is dropped
        self._source: FrameSource | None = None
        # The source said it has no more frames (a replay without camera.replay_loop): no new one is
        # opened (it would start the replay again) until the camera is switched off and on.
        self._ended = False
        # Its mood has faded since and the reading was ended (`_ran_out`), once per source.
        self._ran_out_done = False
        self._on_ended = on_ended
        self._pipeline: Pipeline | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._capture_now = False  # switched on: the next capture is due at once, not at its slot
        # The camera's read, watched on the heartbeat, and a capture that never returned (held_capture)
        self._capture = HeldCapture(heartbeat)
        self._forget_due = False  # the reading ended: the pipeline runs once on a blank input
        self.forgets = 0  # how often it did
        self._thread: threading.Thread | None = None
        self.frames = 0
        self.first_result_at: float | None = None
        self._calibration: NeutralCalibration | None = None

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def pipeline(self) -> Pipeline | None:
        """The pipeline in use (None before the first frame and right after a restart)."""
        return self._pipeline

    def start(self) -> None:
        self.restart(self._hb.generation)

    def restart(self, generation: int) -> None:
        """Start a thread for `generation` with a new pipeline (the watchdog's restart hook)."""
        self._pipeline = None  # a stuck pipeline is abandoned with its thread
        self._thread = threading.Thread(
            target=self._run, args=(generation,), name=f"inference-{generation}", daemon=True
        )
        self._thread.start()

    def set_calibration(self, calibration: NeutralCalibration | None) -> None:
        """The active listener's resting-face correction, applied before the mood filter."""
        self._calibration = calibration

    def end_reading(self, then: Callable[[], None] | None = None) -> None:
        """End the mood reading (the camera switched off, "delete everything"): the filter forgets
        what it holds, so the next capture starts a fresh reading from unknown, and a capture under
        way (taken before, still being classified) is dropped, not fed to the new reading nor
        reported.  A result being delivered meanwhile goes out first; `then` (the reader's own
        "ended": mood unknown) runs before any result of the new reading."""
        with self._filter_lock:
            self._reading += 1
            self._filter.reset()
            if then is not None:
                then()
            self._forget_due = True  # done by the stage's thread, the one that runs the models
        self._wake.set()

    def set_interval(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._wake.set()

    def set_enabled(self, enabled: bool) -> None:
        """Camera on/off. Off closes the source at once: no frame is captured while off.  On captures
        at once: whoever switched it on wants the mood read now, not after up to one interval (the
        loop, idling while off, has its next run scheduled an interval ahead).

        The camera's state changes with the switch only: switched on while on already (the page's or
        MQTT's switch sent again) the state stays what the camera does ("retrying", "error"), not "ok"
        over it.  It is set under the lock the capture opens the camera and sets its state under, with
        the switch: a capture started by the switch sets its state after this one, never before."""
        with self._lock:
            was_enabled, self._enabled = self._enabled, enabled
            if enabled != was_enabled:
                self._ended = False  # switched off and on again: a source that ended starts afresh
                self._ran_out_done = False
                state = ComponentState.OK if enabled else ComponentState.OFF
                detail = source_name(self._source) if enabled else "privacy switch"
                self._health.set_state("camera", state, detail)
        if not enabled:
            self._close_source()
        elif not was_enabled:
            self._capture_now = True  # set before the wake below, so the woken loop sees it
        self._wake.set()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout)
        self._close_source()
        if thread is None or not thread.is_alive():  # a thread stuck in a step still holds the models
            self._forget(None)

    def _run(self, generation: int) -> None:
        next_at = self._clock()
        failures = 0
        while not self._stop.is_set() and self._hb.generation == generation:
            if self._forget_due:
                self._forget_due = False
                self._forget(generation)
            now = self._clock()
            if self._capture_now:
                self._capture_now = False
                next_at = min(next_at, now)
            if now < next_at:
                self._wake.wait(next_at - now)
                self._wake.clear()
                continue
            next_at = max(next_at + self._interval_s, now)
            if not self._enabled:
                self._capture.let_go(generation)  # off: no capture is waited for, none is stuck
                next_at = now + max(self._interval_s, 0.2)
                continue
            reading = self._reading
            try:
                if not self._step(generation):
                    return  # replaced by the watchdog while we were stuck
                failures = 0
            except Exception as exc:
                if self._hb.generation != generation:
                    return  # replaced meanwhile: the new thread reports for the camera
                failures += 1
                self._health.count("inference_errors")
                # Under the lock the switch sets the camera's state under, and only while it is on: a
                # camera that failed to open as the privacy switch turned it off stays "off", not
                # "error" over it (the failure says nothing about a camera no one may use now).
                with self._lock:
                    component = "camera" if self._source is None else "vision"
                    off = component == "camera" and not self._enabled
                    changed = not off and self._health.set_state(
                        component, ComponentState.ERROR, str(exc)[:200]
                    )
                if off:
                    log.info("camera: %s (switched off meanwhile)", exc)
                elif not changed:
                    pass  # said when the state changed: not again on every retry
                elif component == "camera" and camera_missing(exc):
                    # no camera (yet) is an ordinary state, not a bug: the reason, no traceback
                    log.warning("camera: %s (retrying with back-off)", exc)
                else:
                    log.exception("capture step failed (retrying with back-off)")
                self._no_capture(reading)
                next_at = self._clock() + min(30.0, max(1.0, self._interval_s) * failures)

    def _step(self, generation: int) -> bool:
        with self._lock:
            reading = self._reading
            if not self._enabled or self._stop.is_set():
                # switched off (or stopping) since `_run` looked: opening a source now would leave the
                # camera on behind the privacy switch, which closed the last one and will not again
                self._capture.let_go(generation)
                return True
            if self._source is None and not self._ended:  # an ended one's camera state stays "ended"
                self._source = self._make_source()
                self._health.set_state("camera", ComponentState.OK, source_name(self._source))
            source = self._source
        if source is None:  # it has no more frames
            self._ran_out(reading)
            return True
        # built before the capture, so a build that hangs holds no frame
        pipeline = self._pipeline if self._pipeline is not None else self._build(generation)
        if pipeline is None:
            return False
        t0 = self._clock()
        frame, current = self._capture.read(source, generation)
        if not current:
            wipe(frame)  # a thread given up on: its frame is dropped, zeroed
            return False
        t1 = self._clock()
        self._health.timing("capture", t1 - t0)
        # What the read says about the camera is set under the lock, and only while this source is
        # still the one in use and the switch on: switched off meanwhile, the state is "off" for good.
        if frame is None:
            with self._lock:
                if self._source is not source or not self._enabled:
                    # switched off (or replaced) during the read: a closed source gives no frame, which
                    # says nothing about the camera (and must not close a source opened since)
                    return True
                if getattr(source, "state", "ended") == "retrying":
                    # A live camera that dropped out reopens itself with back-off on later reads: keep
                    # it (a new one every interval would lose the back-off and repeat the warning).
                    error = str(getattr(source, "last_error", "") or "no frame from the camera")
                    self._health.set_state("camera", ComponentState.RETRYING, error)
                    retrying = True
                else:
                    retrying = False
                    ended = "the frame source has no more frames"
                    self._health.set_state("camera", ComponentState.ENDED, ended)
                    self._ended = True
            if retrying:
                # a camera that cannot deliver sees no face: the mood fades as when no one is there
                self._no_capture(reading)
            else:
                self._close_source()
            return True
        with self._lock:
            if self._source is source and self._health.state_of("camera") == ComponentState.RETRYING:
                self._health.set_state("camera", ComponentState.OK, source_name(source))  # it is back
        if not self._hb.begin(generation):
            wipe(frame)
            return False
        try:
            observation = pipeline.step(frame, t1)
        finally:
            wipe(frame)  # the frame ends here, its pixels zeroed (vision.wipe)
            del frame
            # also when the step raised: a failed step is over, not stuck (the watchdog would restart it)
            current = self._hb.end(generation)
        if not current:
            return False
        t2 = self._clock()
        self._health.timing("vision", t2 - t1)
        for stage, seconds in (getattr(observation, "timings", None) or {}).items():
            self._health.timing(str(stage), float(seconds))
        probs = observation.probs if getattr(observation, "face", False) else None
        calibration = self._calibration
        if probs is not None and calibration is not None:
            probs = calibration.apply_mapping(probs)
        with self._filter_lock:
            if reading != self._reading or not self._enabled:
                # taken before the reading ended (camera off, "delete everything"), or the camera is
                # off now: no part of a reading that has ended
                return True
            state = self._filter.update(probs, t2)
            self._health.timing("filter", self._clock() - t2)
            self.frames += 1
            if self.first_result_at is None:
                self.first_result_at = self._clock()
                log.info("first classification done (face: %s)", bool(probs))
            self._health.set_state("vision", ComponentState.OK)
            self._on_result(state, observation, t2)
        return True

    def _build(self, generation: int) -> Pipeline | None:
        """A new pipeline, built as a watched step: loading the Edge TPU delegate hangs on a wedged USB
        Coral as an invoke does, and the watchdog restarts (and escalates) the same, past its own
        limit (BUILD_TIMEOUT_S: a healthy load can take seconds).  None when the
        thread was replaced meanwhile: its late pipeline is dropped, not put over the new thread's.  A
        build that raises is a failed step, not a stuck one (reported by `_run`, retried)."""
        if not self._hb.begin(generation, "building the vision pipeline", BUILD_TIMEOUT_S):
            return None
        try:
            pipeline = self._make_pipeline()
        finally:
            current = self._hb.end(generation)
        if not current:
            return None
        self._pipeline = pipeline
        return pipeline

    def _forget(self, generation: int | None) -> None:
        """Run the pipeline's models once on a blank input (VisionPipeline.forget) on the thread that
        runs them (`generation`; watched as a step: a wedged accelerator hangs here too), or with None
        once that thread has ended.  No pipeline (none yet, or since a restart): nothing to do."""
        forget = getattr(self._pipeline, "forget", None)
        watched = generation if generation is not None and self._capture.generation != generation else None
        if not callable(forget) or (watched is not None and not self._hb.begin(watched)):
            return
        try:
            forget()
            self.forgets += 1
        except Exception:
            log.exception("clearing the vision models of the last frame failed")
        finally:
            if watched is not None:
                self._hb.end(watched)
