"""A state.json as a speaker saves it, and a gate that holds its restore back: for tests of what the
service does in the first moments after start, before the player has applied what was restored.

Why a gate and not a wait: on a starved machine the player thread may run the restore late; a command
posted to the player before the appliance starts holds the thread there (the restore queued behind
it) for as long as the test says, whatever the load, so the window is the test's, not the machine's.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from servicekit import make_tracks

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.state import Snapshot, to_json

TRACK_S = 60.0  # long enough that the resumed track is still playing when the test looks
REASONS = ("calm for a calm face", "happy next", "sad after")  # what the restored picks said, and why


class PlayerGate:
    """Holds the player thread in its first command until `open()`: posted before the appliance
    starts, it runs before anything the start-up posts (the restore among them), whatever the load."""

    def __init__(self, app: Appliance) -> None:
        self.holding, self._open = threading.Event(), threading.Event()

        def hold() -> None:
            self.holding.set()
            self._open.wait(120)

        app.player._post(hold)

    def open(self) -> None:
        self._open.set()


def write_state(tmp_path: Path, *, playing: bool = True) -> None:
    """A state.json as a speaker saves it: calm at 12 s (playing, or paused), happy2 and sad1 queued,
    volume 0.4; the tracks are those `servicekit.build(tmp_path, ..., track_s=TRACK_S)` writes."""
    library = {t.id: t for t in make_tracks(tmp_path, TRACK_S)}  # the files build() writes again
    now = time.time()
    snap = Snapshot(
        current=QueueItem(library["calm"], REASONS[0]),
        position_s=12.0,
        queue=(QueueItem(library["happy2"], REASONS[1]), QueueItem(library["sad1"], REASONS[2])),
        playing=playing,
        volume=0.4,
        picked_for={"calm": "neutral", "happy2": "happy", "sad1": "sad"},
        picked_at={"calm": now, "happy2": now, "sad1": now},
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "state.json").write_text(to_json(snap))


def saved(tmp_path: Path) -> dict[str, Any]:
    """state.json as saved now."""
    body: dict[str, Any] = json.loads((tmp_path / "data" / "state.json").read_text())
    return body
