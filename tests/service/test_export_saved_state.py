"""The data export gives state.json and the set-aside copies of unreadable ones, as they are on disk.

Why: state.json keeps the track playing and its position, the queue with the explanations of its
picks (they quote the mood read), the moods they were picked for and when it was saved; a copy of a
state file the service could not read at a start is kept beside it (`state.json.corrupt-<time>`) and
holds the same.  The retention and "delete everything" delete them (service.forget), but the export
("everything this speaker keeps about its listeners") gave only the moods of the picks held.  Real
player on SDL's dummy driver, real recommender on SQLite; only the camera is scripted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, running, wait_for

pytestmark = pytest.mark.timeout(120)

SET_ASIDE = '{"current": {"reason": "you look happy (90% sure)"'  # cut short: why it was set aside


def _saved(data: Path) -> dict[str, Any]:
    path = data / "state.json"
    return dict(json.loads(path.read_text())) if path.exists() else {}


def test_the_export_gives_the_saved_state_and_the_set_aside_copies(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "state.json.corrupt-20261201-120000").write_text(SET_ASIDE)
    with running(tmp_path, Script("happy")) as (_app, control, _events):
        wait_for(lambda: (_saved(data).get("current") or {}).get("reason"), what="a pick saved")
        before = _saved(data)
        export = control.export_data()
        after = _saved(data)  # the file as the export read it: one or the other (atomic saves)
        json.dumps(export)
    assert export["saved_state"] in (before, after), export.get("saved_state")
    assert export["saved_state"]["current"]["reason"]  # the pick's explanation, as saved
    copies = export["set_aside_states"]
    assert [(c["file"], c["text"]) for c in copies] == [("state.json.corrupt-20261201-120000", SET_ASIDE)]
