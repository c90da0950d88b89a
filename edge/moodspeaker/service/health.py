"""Health and stats: stage timings (moving averages), component states, reasons, uptime, memory.

Everything a person (the page) or a home-automation system (MQTT) needs to tell whether the speaker
is well, and why it played what it played.  Cheap enough to update on every capture: a few floats per
stage under one lock.  Memory comes from psutil when installed (the `system` extra).
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodspeaker.library.left_out import not_readable
from moodspeaker.service.component_states import UNKNOWN, ComponentState

#: Weight of the newest sample in the exponential moving average of stage timings.
EMA_ALPHA = 0.1


@dataclass
class _Timing:
    ema_ms: float
    last_ms: float
    max_ms: float
    count: int


class Health:
    """Thread-safe collector; `snapshot()` is the `health` key of state() and the HealthReport body."""

    def __init__(self, *, started: float | None = None) -> None:
        self._lock = threading.Lock()
        self._started = time.monotonic() if started is None else started
        self._timings: dict[str, _Timing] = {}
        self._states: dict[str, dict[str, Any]] = {}
        self._counters: dict[str, int] = {}
        self._reasons: deque[dict[str, Any]] = deque(maxlen=10)
        self._events: deque[dict[str, Any]] = deque(maxlen=20)
        #: by component, its detail without what ties it to the listening (a track's file): forget()
        self._redacted: dict[str, str] = {}
        #: by component, what its state was set for, when the setter said (set_state's `cause`)
        self._causes: dict[str, str] = {}
        #: by component, how many times its state was set (set_state's `unset_since`)
        self._sets: dict[str, int] = {}
        self._process: Any = None
        try:
            psutil = importlib.import_module("psutil")
            self._process = psutil.Process(os.getpid())
        except ImportError:  # the `system` extra is optional
            self._process = None

    def timing(self, stage: str, seconds: float) -> None:
        ms = seconds * 1000.0
        with self._lock:
            t = self._timings.get(stage)
            if t is None:
                self._timings[stage] = _Timing(ms, ms, ms, 1)
            else:
                t.ema_ms += EMA_ALPHA * (ms - t.ema_ms)
                t.last_ms, t.max_ms, t.count = ms, max(t.max_ms, ms), t.count + 1

    def set_state(
        self,
        component: str,
        state: ComponentState,
        detail: str = "",
        *,
        redacted: str | None = None,
        cause: str = "",
        replacing: Collection[ComponentState] | None = None,
        unset_since: int | None = None,
    ) -> bool:
        """Record a component's state (one of the declared ComponentState: the page has a badge for
        each); True when it changed.  Kept as its plain string, as the snapshot's readers had it.
        `redacted`: the detail to show instead once the listening data is deleted (`forget`), for a
        detail that names a track (with `since`, it says when that track was to play).  `cause`: what
        the state is about (`cause_of`), so the one who set it can tell it is still its own, e.g. a
        library server off, cleared when that server's track plays; any other state set clears it.
        `replacing`: set only while the component is in one of these states (checked under the lock,
        so a state set meanwhile by another thread is not overwritten); None: whatever it is.
        `unset_since`: set only if no state was set since `sets_of` said this (a state computed from
        data read after that call loses to one set meanwhile, which may come from newer data: a
        rescan's count wins over a health report's read before the rescan changed the library)."""
        state = ComponentState(state)  # a str of a declared state (via Any) is one too; others raise
        with self._lock:
            old = self._states.get(component)
            if replacing is not None and (old is None or old["state"] not in {s.value for s in replacing}):
                return False
            if unset_since is not None and self._sets.get(component, 0) != unset_since:
                return False
            self._sets[component] = self._sets.get(component, 0) + 1  # set, changed or not
            changed = old is None or old["state"] != state or old["detail"] != detail
            if changed:
                self._states[component] = {"state": state.value, "detail": detail, "since": time.time()}
                self._redacted.pop(component, None)
                if redacted is not None:
                    self._redacted[component] = redacted
                self._causes.pop(component, None)
                if cause:
                    self._causes[component] = cause
            return changed

    def sets_of(self, component: str) -> int:
        """How many times the component's state was set so far (calls of set_state that set it,
        changed or not): read before the data a state is computed from, for set_state's
        `unset_since`."""
        with self._lock:
            return self._sets.get(component, 0)

    def cause_of(self, component: str) -> str:
        """The `cause` the component's current state was set with ("" for none)."""
        with self._lock:
            return self._causes.get(component, "")

    def state_of(self, component: str) -> str:
        with self._lock:
            entry = self._states.get(component)
            return entry["state"] if entry else UNKNOWN

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + n

    def reason(self, track_id: str, title: str, reason: str) -> None:
        with self._lock:
            self._reasons.append({"ts": time.time(), "track_id": track_id, "title": title, "reason": reason})

    def reasons(self) -> list[str]:
        """The explanations of the tracks started last (shown as "why these tracks")."""
        with self._lock:
            return [r["reason"] for r in self._reasons]

    def forget_reasons(
        self, before: float | None = None, made_since: Callable[[str, str, float], bool] | None = None
    ) -> int:
        """Drop the explanations kept so far, or (the privacy retention) those made before `before`:
        they quote moods read and what was learned, which "delete everything" deletes (see
        service.forget) and retention deletes once older than its cut-off.  A record is dated by its
        track's start, but what it quotes was made when the track was picked, which can be long
        before (a queued track, a speaker paused overnight): `made_since(track_id, explanation,
        before)` (service.picked) says whether an explanation is known to be made since; one that is
        not goes whenever its track started.  Without it, the start's time decides.  Returns how many
        went (the retention logs the count)."""

        def kept(record: dict[str, Any], before: float) -> bool:
            if record["ts"] < before:
                return False
            reason = str(record["reason"])
            return not reason or made_since is None or made_since(str(record["track_id"]), reason, before)

        with self._lock:
            keep = [] if before is None else [r for r in self._reasons if kept(r, before)]
            gone = len(self._reasons) - len(keep)
            self._reasons.clear()
            self._reasons.extend(keep)
        return gone

    def incident(self, component: str, message: str) -> None:
        """Remember a notable event (restart, lost device, corrupt state) for the page."""
        with self._lock:
            self._events.append({"ts": time.time(), "component": component, "message": message})

    def forget(self, before: float | None = None) -> int:
        """The privacy retention (`before`) or "delete everything" (None): the incidents recorded
        before it go (they can name a track, "stopped the decoder on <track>", or a listener, "profile
        not changed to 'Kim'", with when), and a component's detail naming a track since before it
        (a file that could not be opened) says its `redacted` words instead; its state stays (the
        disk may still be unplugged).  Returns how many incidents went."""
        with self._lock:
            keep = [] if before is None else [e for e in self._events if e["ts"] >= before]
            gone = len(self._events) - len(keep)
            self._events.clear()
            self._events.extend(keep)
            for component, words in list(self._redacted.items()):
                entry = self._states[component]
                if before is None or entry["since"] < before:
                    entry["detail"] = words
                    del self._redacted[component]
        return gone

    def snapshot(self) -> dict[str, Any]:
        rss_mb = cpu_s = None
        if self._process is not None:
            try:
                rss_mb = round(self._process.memory_info().rss / 2**20, 1)
                times = self._process.cpu_times()
                cpu_s = round(times.user + times.system, 2)
            except Exception:  # the process table can be unreadable in odd containers
                rss_mb = cpu_s = None
        with self._lock:
            return {
                "uptime_s": round(time.monotonic() - self._started, 1),
                "memory_rss_mb": rss_mb,
                "cpu_time_s": cpu_s,
                "stages": {
                    name: {
                        "avg_ms": round(t.ema_ms, 2),
                        "last_ms": round(t.last_ms, 2),
                        "max_ms": round(t.max_ms, 2),
                        "count": t.count,
                    }
                    for name, t in self._timings.items()
                },
                "components": {name: dict(v) for name, v in self._states.items()},
                "counters": dict(self._counters),
                "reasons": list(self._reasons),
                "incidents": list(self._events),
            }


def tpu_state(classifier_type: str, classifier: Any) -> tuple[ComponentState, str]:
    """The `tpu` component's (state, detail) for a classifier: "off" when the CPU was asked for, "ok"
    while it runs on the Edge TPU, "fallback" with the classifier's reason once it uses the CPU
    instead (at load, or after the TPU failed while running: the classifier switches by itself)."""
    if classifier_type != "edgetpu":
        return ComponentState.OFF, f"classifier.type = {classifier_type}"
    backend = str(getattr(classifier, "backend", "cpu"))
    if backend == "edgetpu":
        return ComponentState.OK, backend
    return ComponentState.FALLBACK, str(getattr(classifier, "fallback_reason", "") or "") or "using the CPU"


#: The `library` component's detail without tracks: what to do about it, not a bare "0 tracks".
NO_TRACKS = "no tracks: add music and rescan"


def library_state(
    source: Any, folders: Sequence[str], ids: Sequence[str] | None = None
) -> tuple[ComponentState, str]:
    """The `library` component's (state, detail) after a rescan: "missing" while a music folder whose
    tracks are indexed is gone or left empty (an unplugged disk: the scan keeps its tracks, so the
    count alone would look healthy), else "ok", or "empty" without tracks.  The count is the feature
    matrix's (one id per analysed track, as tracks(), but kept by the index and rebuilt only when it
    changed: this runs at every health report), or `ids` when the caller has read them already (the
    count it set must be the one it read, or a newer count set meanwhile could not be told apart).

    Files that failed to decode and files or folders the last scan could not read follow the count
    ("120 tracks; 2 failed, 1 not readable"), from the same `stats()` read as the gone folders (no
    query more; the service asks again only when the library changed: feedback._library_followed)."""
    n_tracks = len(source.feature_matrix()[0] if ids is None else ids)
    stats_of = getattr(source, "stats", None)
    stats = stats_of() if callable(stats_of) else {}
    problems = stats.get("problems", [])
    gone = [f"{p['path']}: {p['reason']}" for p in problems if p.get("kind") in {"empty", "missing"}]
    failed = sum(1 for f in stats.get("failures", []) if f.get("status") == "failed")  # not `short`
    unread = not_readable(p.get("kind") for p in problems)
    left = [f"{failed} failed"] if failed else []
    left += [f"{unread} not readable"] if unread else []
    left_out = f"; {', '.join(left)}" if left else ""
    absent = [str(Path(f).expanduser()) for f in folders if not Path(f).expanduser().is_dir()]
    gone += [
        f"{folder}: not found (disk unmounted?); its tracks are kept"
        for folder in absent
        if _holds_tracks_under(source, folder)
    ]
    if gone:
        return ComponentState.MISSING, f"{n_tracks} tracks{left_out}; " + "; ".join(gone[:3])
    if n_tracks:
        return ComponentState.OK, f"{n_tracks} tracks{left_out}"
    return ComponentState.EMPTY, NO_TRACKS + left_out


def _holds_tracks_under(source: Any, folder: str) -> bool:
    """Whether the source keeps an analysed track of the missing music folder `folder`: asked of the
    index (`has_tracks_under`: one lookup; `Libraries` asks its parts) rather than by a Track built
    for every row to read its location (tens of thousands, at every health report while a disk is
    unplugged).  A source without it (a library server's mirror alone) has no track in a folder here."""
    has = getattr(source, "has_tracks_under", None)
    return callable(has) and bool(has(folder))
