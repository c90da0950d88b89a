"""A state.json as a speaker saves it, and a gate that holds its restore back: for tests of what the
service does in the first moments after start, before the player has applied what was restored.

Why a gate and not a wait: on a starved machine the player thread may run the restore late; a command
posted to the player before the appliance starts holds the thread there (the restore queued behind
it) for as long as the test says, whatever the load, so the window is the test's, not the machine's.
`gated` starts the appliance on such a state.json behind the gate; the rest reads what followed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from servicekit import Script, build, make_tracks, wait_for

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, TrackStarted
from moodspeaker.service.state import Snapshot, to_json
from polling import until

TRACK_S = 60.0  # long enough that the resumed track is still playing when the test looks
HAPPY = {"happy1", "happy2"}  # far from calm (0.3, -0.6): the best pick for happy clashes with it
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


@contextmanager
def gated(
    tmp_path: Path, script: Script, *, playing: bool = True
) -> Iterator[tuple[Appliance, PlayerGate, list[Event]]]:
    """The appliance started on a restored state.json (calm at 12 s, happy2 and sad1 queued), its
    player thread held before the restore until the gate opens (at the latest on the way out), and
    the events it publishes."""
    write_state(tmp_path, playing=playing)
    app, bus = build(tmp_path, script, track_s=TRACK_S)
    events: list[Event] = []
    bus.subscribe(events.append)
    gate = PlayerGate(app)
    app.start()
    try:
        try:
            wait_for(gate.holding.is_set, what="the player thread to be held before the restore")
            yield app, gate, events
        finally:
            gate.open()
    finally:
        app.stop()


def held_back(app: Appliance) -> None:
    """The gate still holds the restore back (else the test proves nothing)."""
    status = app.player.status()
    assert status.current is None and not status.queue, "the gate must hold the restore back"


def feedback(app: Appliance, kind: str) -> list[str]:
    """The tracks given `kind` feedback, as on disk now."""
    with sqlite3.connect(Path(app.config.device.data_dir) / "recommend.sqlite") as db:
        rows = db.execute("SELECT track_id FROM feedback WHERE kind = ? ORDER BY id", (kind,))
        return [r[0] for r in rows]


def playing_now(app: Appliance) -> str | None:
    current = app.player.status().current
    return None if current is None else current.track.id


def a_happy_track_plays_first(events: list[Event]) -> None:
    """The clash with the restored calm was checked: a happy track is the first to start.  The player
    runs the restore and the switch in one go once the gate opens, so calm is cut before its first
    chunk is out (it goes back to the queue, not heard); without the check calm starts, and plays on."""

    def first() -> str | None:
        return next((e.track_id for e in events if isinstance(e, TrackStarted)), None)

    started = until(first, 60, "a track to start")
    assert started in HAPPY, f"the restored calm played on (the clash was not checked): {started}"
