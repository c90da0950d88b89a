"""The pick explanations taken back, kept out of everything reported: by "delete everything", and by
the privacy retention once older than its cut-off.

Why: an explanation quotes the mood the camera read ("you look happy (95% sure)") and what was learned
from the listener ("you liked this when happy"): personal data derived from what was deleted.  The
tracks planned before the deletion still play (the listener asked to delete their data, not to stop
the music), and the player keeps them with their explanations (the track playing, the queue, the one a
replay goes back to).  So the service remembers the explanations it had then and reports none of them
again: not in the state, the saved state, health's "why these tracks", nor a TrackStarted (MQTT).
Plans made after the deletion explain themselves from what is read and learned from then on, also
in the same words as one taken back (the same track picked again for the same face at the same
confidence, common with a steady reading): an explanation is taken back by its words only where it is
not known to be made since the deletion (the conductor's notes of the picks, which the deletion
cleared, date each one queued after it).  It used to be hidden by its words alone, forever, so such
a new pick showed no explanation.

The retention (`privacy.retention_days`) deletes what is older than its cut-off, and a track can stay
queued, or paused, past it (a speaker left paused for a weekend, with retention_days 1): from a
retention run on, an explanation is reported only while the notes of the picks (service.picked, which
that run trimmed by the same cut-off) say it was made at or after the cut-off; one older, or of a time
not known, is reported as none.  It is replaced by nothing rather than by the rest of its words: those
say what was learned from the feedback, which the retention deletes too.

A state file that could not be read at start is kept beside it as `state.json.corrupt-<time>` (for a
person to look at): it holds the queue's explanations and the moods the tracks were picked for, as
state.json does, so "delete everything" deletes those copies too (`delete_set_aside_states`, called by
the service's own `delete_data(None)`, last: so every caller, the page or MQTT, deletes them), and the
retention those older than its cut-off (the service's `_expire`).  The data
export gives state.json and those copies as they are on disk (`export_saved_states`): what is kept
about the listeners is what the export shows.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.picked import PickedFor
from moodspeaker.service.state import STATE_FILE


class ForgottenReasons:
    """The explanations taken back by deletions so far (a few per deletion) and the cut-off of the
    last retention run, dated by the conductor's notes of the picks; thread-safe."""

    def __init__(self, picked: PickedFor) -> None:
        self._lock = threading.Lock()
        self._reasons: set[str] = set()
        self._picked = picked
        self._before: float | None = None  # the last retention run's cut-off
        self._forgot_at = 0.0  # when the last deletion took explanations back

    def forget(self, reasons: Iterable[str], at: float | None = None) -> None:
        """A deletion at `at` (now) takes `reasons` back: made before it, they are not reported."""
        with self._lock:
            self._reasons.update(r for r in reasons if r)
            self._forgot_at = time.time() if at is None else at

    def expire(self, before: float) -> None:
        """A retention run with the cut-off `before`: explanations made before it are not reported."""
        with self._lock:
            self._before = before

    def reason(self, reason: str, track_id: str) -> str:
        """`reason`, the explanation of an item of `track_id`, as it may be reported: "" when it was
        taken back, or made before the last retention cut-off (or at a time not known)."""
        if not reason:
            return reason
        with self._lock:
            forgotten, forgot_at, before = reason in self._reasons, self._forgot_at, self._before
        if forgotten and not self._picked.made_since(track_id, reason, forgot_at):
            return ""
        if before is not None and not self._picked.made_since(track_id, reason, before):
            return ""
        return reason

    def item(self, item: QueueItem) -> QueueItem:
        """`item` as it may be reported or saved: without an explanation that was taken back."""
        shown = self.reason(item.reason, item.track.id)
        return item if shown == item.reason else dataclasses.replace(item, reason=shown)


def delete_set_aside_states(data_dir: Path, before: float | None = None) -> list[Path]:
    """Delete the copies of unreadable state files kept in the data folder (`state.json.corrupt-*`):
    all of them, or those last written before `before` (the retention's cut-off).  Returns what went.
    An OSError (a read-only card) propagates: the deletion is not reported as done."""
    gone: list[Path] = []
    for path in sorted(Path(data_dir).glob(f"{STATE_FILE}.corrupt-*")):
        try:
            if before is not None and path.stat().st_mtime >= before:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        gone.append(path)
    return gone


def export_saved_states(data_dir: Path) -> dict[str, Any]:
    """state.json as saved (the track playing and its position, the queue with its explanations, the
    moods they were picked for, when it was saved: what a restart resumes from), and the copies of
    unreadable state files set aside beside it, each with when it was last written and its text, for
    the data export.  A file that cannot be read is left out; one that is not JSON is given as text."""
    folder = Path(data_dir)
    saved: Any = None
    try:
        text = (folder / STATE_FILE).read_text("utf-8", errors="replace")
    except OSError:
        text = ""
    if text:
        try:
            saved = json.loads(text)
        except ValueError:
            saved = text
    copies: list[dict[str, Any]] = []
    for path in sorted(folder.glob(f"{STATE_FILE}.corrupt-*")):
        try:
            copies.append(
                {
                    "file": path.name,
                    "modified_at": path.stat().st_mtime,
                    "text": path.read_text("utf-8", errors="replace"),
                }
            )
        except OSError:
            continue
    return {"saved_state": saved, "set_aside_states": copies}
