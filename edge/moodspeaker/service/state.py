"""What the speaker must remember across a power cut: queue, position, profile, camera (and whether its
privacy button switched it off: then only the button switches it on, after a restart too).

And the mood each restored pick was made for: a track picked for the mood the camera reads first
after the restart suits it, and is not cut for a "new" mood that is the one it was chosen for.  With
when it was made (`picked_at`), so the privacy retention can drop it once older than its cut-off
(service.picked); a state saved before the times were kept has none (read as older than any cut-off).

One small JSON document in the data folder, written atomically (temp file, fsync, rename), so after a
crash there is either the previous snapshot or the new one.  A file that cannot be understood is moved
aside (kept for a person to look at) and the speaker starts clean, saying so.  A full disk never stops
the music: the failure is reported once, the snapshot stays in memory and is written when it can be.
Feedback is not here: the recommender writes it to SQLite before acknowledging it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moodspeaker.library.lan.subsonicapi import bare_location
from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.util.atomic import atomic_write_text

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
STATE_VERSION = 1


class StateError(ValueError):
    """The state file exists but does not hold a valid snapshot."""


@dataclass(frozen=True)
class Snapshot:
    """Everything restored at start-up (no frames, no mood history: those are never persisted; only
    `picked_for`, the mood name each track playing or queued was picked for, by track id, and
    `picked_at`, when, where known: service.picked)."""

    current: QueueItem | None = None
    position_s: float = 0.0
    queue: tuple[QueueItem, ...] = ()
    playing: bool = False
    volume: float | None = None  # at the save, for the record: a start plays at player.volume instead
    profile: str | None = None
    strategy: str | None = None
    camera: bool | None = None
    #: the camera was switched off at the speaker (its privacy button): only the button switches it on
    camera_held: bool = False
    saved_at: float = 0.0
    picked_for: dict[str, str] = field(default_factory=dict)
    picked_at: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _item_to_json(item: QueueItem) -> dict[str, Any]:
    body: dict[str, Any] = {"track": dataclasses.asdict(item.track), "reason": item.reason}
    if item.start_s > 0:  # a restored track a switch put back unheard resumes there (QueueItem)
        body["start_s"] = item.start_s
    return body


_TRACK_FIELDS = {f.name: f for f in dataclasses.fields(Track)}


def _item_from_json(raw: Any) -> QueueItem:
    if not isinstance(raw, dict) or not isinstance(raw.get("track"), dict):
        raise StateError("queue entry is not an object with a track")
    track = raw["track"]
    unknown = set(track) - set(_TRACK_FIELDS)
    if unknown:
        raise StateError(f"track has unknown fields {sorted(unknown)}")
    for name in ("id", "location", "title", "artist"):
        if not isinstance(track.get(name), str):
            raise StateError(f"track field {name!r} missing or not text")
    start_s = raw.get("start_s", 0.0)  # absent: from its start
    if not _is_time(start_s) or start_s < 0:
        raise StateError(f"start_s {start_s!r} is not a position in seconds")
    # a location an older OpenSubsonic mirror kept carried the user's token: not restored, so not
    # saved again (library.lan.subsonicapi.bare_location; the client serves either form)
    track = {**track, "location": bare_location(track["location"])}
    try:
        return QueueItem(Track(**track), str(raw.get("reason", "")), start_s=float(start_s))
    except TypeError as exc:
        raise StateError(f"track is malformed ({exc})") from exc


def to_json(snap: Snapshot) -> str:
    body = {
        "version": STATE_VERSION,
        "saved_at": snap.saved_at,
        "current": _item_to_json(snap.current) if snap.current else None,
        "position_s": snap.position_s,
        "queue": [_item_to_json(i) for i in snap.queue],
        "playing": snap.playing,
        "volume": snap.volume,
        "profile": snap.profile,
        "strategy": snap.strategy,
        "camera": snap.camera,
        "camera_held": snap.camera_held,
        "picked_for": snap.picked_for,
        "picked_at": snap.picked_at,
        "extra": snap.extra,
    }
    return json.dumps(body, indent=1, sort_keys=True)


def _typed(raw: dict[str, Any], key: str, kinds: tuple[type, ...]) -> Any:
    value = raw.get(key)
    if value is not None and (not isinstance(value, kinds) or isinstance(value, bool) is not (bool in kinds)):
        raise StateError(f"{key!r} has the wrong type ({type(value).__name__})")
    return value


def _is_time(value: Any) -> bool:
    """A finite number (NaN would never be older than a retention cut-off)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def from_json(text: str) -> Snapshot:
    """Parse and check a snapshot; raises StateError naming what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateError(f"not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise StateError("not a JSON object")
    if raw.get("version") != STATE_VERSION:
        raise StateError(f"unknown version {raw.get('version')!r}")
    queue = raw.get("queue", [])
    if not isinstance(queue, list):
        raise StateError("'queue' is not a list")
    volume = _typed(raw, "volume", (int, float))
    if volume is not None and not 0.0 <= volume <= 1.0:
        raise StateError(f"volume {volume!r} is outside 0..1")
    position = _typed(raw, "position_s", (int, float)) or 0.0
    extra = raw.get("extra") or {}
    if not isinstance(extra, dict):
        raise StateError("'extra' is not an object")
    picked_for = raw.get("picked_for") or {}  # absent in a state saved before it was kept
    if not isinstance(picked_for, dict) or not all(isinstance(m, str) for m in picked_for.values()):
        raise StateError("'picked_for' is not an object of mood names")
    picked_at = raw.get("picked_at") or {}  # absent in a state saved before notes had times
    if not isinstance(picked_at, dict) or not all(_is_time(t) for t in picked_at.values()):
        raise StateError("'picked_at' is not an object of times")
    return Snapshot(
        current=_item_from_json(raw["current"]) if raw.get("current") is not None else None,
        position_s=max(0.0, float(position)),
        queue=tuple(_item_from_json(i) for i in queue),
        playing=bool(_typed(raw, "playing", (bool,))),
        volume=None if volume is None else float(volume),
        profile=_typed(raw, "profile", (str,)),
        strategy=_typed(raw, "strategy", (str,)),
        camera=_typed(raw, "camera", (bool,)),
        camera_held=bool(_typed(raw, "camera_held", (bool,))),  # absent in a state saved before: False
        saved_at=float(_typed(raw, "saved_at", (int, float)) or 0.0),
        picked_for=dict(picked_for),
        picked_at={t: float(at) for t, at in picked_at.items()},
        extra=extra,
    )


class StateStore:
    """Loads the snapshot once and saves new ones atomically; never raises on a failed save."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE
        self.last_error = ""
        self._last_text = ""

    def load(self) -> tuple[Snapshot, str]:
        """The saved snapshot (or a clean one) and a notice for a person ('' when all is well)."""
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return Snapshot(), ""
        except (OSError, UnicodeDecodeError) as exc:
            return Snapshot(), self._set_aside(f"cannot be read ({exc})")
        try:
            snap = from_json(text)
        except StateError as exc:
            return Snapshot(), self._set_aside(str(exc))
        self._last_text = text
        return snap, ""

    def _set_aside(self, problem: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        keep = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            self.path.replace(keep)
            where = f"kept a copy at {keep}"
        except OSError as exc:
            where = f"could not keep a copy ({exc.strerror})"
        notice = f"saved state {self.path} is corrupt: {problem}; {where}; starting clean"
        log.error("%s", notice)
        return notice

    def save(self, snap: Snapshot) -> bool:
        """Write `snap` if it changed; False (and `last_error` set) when the disk refused."""
        text = to_json(dataclasses.replace(snap, saved_at=0.0))
        if text == self._last_text:
            return True
        try:
            atomic_write_text(self.path, to_json(snap), mode=0o600)
        except OSError as exc:
            message = f"cannot save state to {self.path}: {exc.strerror or exc}"
            if message != self.last_error:
                log.error("%s; keeping it in memory and retrying", message)
            self.last_error = message
            return False
        self._last_text = text
        if self.last_error:
            log.warning("state saved again after: %s", self.last_error)
        self.last_error = ""
        return True
