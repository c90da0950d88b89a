"""Retention (ControlAPI.delete_data with `before`) trims the moods the tracks were picked for by date.

Why: the conductor notes the mood each track was picked for (up to 200 tracks, service.picked), and
state.json keeps the notes of the tracks playing and queued: mood readings tied to a time of listening.
privacy.retention_days deletes the moods read before its cut-off, but these notes carried no date and
stayed until "delete everything".  A note from a state saved before notes had times counts as older
than any cut-off: the service's own retention drops it at start.  Real player on SDL's dummy driver,
real recommender on SQLite; only the camera is scripted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, make_tracks, running, wait_for

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import StateChanged
from moodspeaker.service.state import Snapshot, to_json

pytestmark = pytest.mark.timeout(120)

DAY_S = 86400.0


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI]]:
    with running(tmp_path, Script("happy")) as (app, control, _):
        yield app, control


def _held(state: dict[str, Any]) -> list[str]:
    playing = state["now_playing"]
    return [*([playing["track_id"]] if playing else []), *(q["track_id"] for q in state["queue"])]


def _saved(app: Appliance) -> dict[str, Any]:
    return dict(json.loads((Path(app.config.device.data_dir) / "state.json").read_text()))


def test_notes_older_than_the_cut_off_go_in_memory_and_in_the_saved_state(
    started: tuple[Appliance, ControlAPI],
) -> None:
    app, control = started
    wait_for(lambda: control.state()["health"]["reasons"], what="the first track started")
    early = set(_held(control.state()))  # planned for the first reading, before the first track started
    first = control.state()["health"]["reasons"][-1]["ts"]
    wait_for(lambda: time.time() > first, what="the clock past the first track's start")
    cut = time.time()
    control.execute("next", {})
    control.execute("next", {})  # the queue is empty now: the next refill plans after the cut
    wait_for(lambda: control.state()["queue"], what="the refill after the cut")
    state = control.state()
    refilled = {q["track_id"] for q in state["queue"]}
    older = early - refilled
    assert older, (early, refilled)  # there is something older to trim (the track playing, at least)
    assert all(app.conductor.picked_for(t) == "happy" for t in early | refilled)

    assert control.delete_data(before=cut)  # the privacy retention

    assert {t: app.conductor.picked_for(t) for t in older} == dict.fromkeys(older)
    assert all(app.conductor.picked_for(t) == "happy" for t in refilled), "newer notes must stay"
    saved = _saved(app)  # at once: a power cut now must not bring the older notes back
    held = set(_held(state))
    assert set(saved["picked_for"]) == held & refilled, saved["picked_for"]
    assert set(saved["picked_at"]) == held & refilled
    assert all(at >= cut for at in saved["picked_at"].values())


def test_a_state_saved_without_times_counts_as_older_than_any_cut_off(tmp_path: Path) -> None:
    # A state written before the notes had times: the same file without `picked_at`.
    library = {t.id: t for t in make_tracks(tmp_path)}  # the files build() writes again, the same
    snap = Snapshot(
        current=QueueItem(library["happy1"], "you look happy (90% sure)"),
        queue=(QueueItem(library["happy2"], "you look happy (90% sure)"),),
        picked_for={"happy1": "happy", "happy2": "happy"},
        picked_at={"happy1": time.time(), "happy2": time.time()},
    )
    body = json.loads(to_json(snap))
    del body["picked_at"]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "state.json").write_text(json.dumps(body))
    app, bus = build(tmp_path, Script(None))  # no face: nothing is planned or noted anew
    runs: list[float] = []
    bus.subscribe(
        lambda e: runs.append(e.ts) if isinstance(e, StateChanged) and e.key == "data_expired" else None
    )
    app.start()  # the service's own retention runs at start, however far back its cut-off
    try:
        # from the start on, before a first reading could use them (tests/service/test_retention_service)
        assert (app.conductor.picked_for("happy1"), app.conductor.picked_for("happy2")) == (None, None)
        wait_for(lambda: runs, what="the retention run at start")
        assert app.state()["now_playing"]["track_id"] == "happy1"  # restored, and it carries on
        assert _saved(app)["picked_for"] == {}
    finally:
        app.stop()
