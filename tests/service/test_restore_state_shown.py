"""The state a page or MQTT reads in the first moments after a restart shows what was restored.

Why: the state (`ControlAPI.state`: the page's poll, MQTT's state topics, the control API) read the
player's live status, which shows nothing until the player thread has applied the restore.  On a
starved machine a phone opening the page just after a power cut saw "nothing playing" and an empty
queue, then the track a moment later; a test restarting the real service read `now_playing` as None.
Now the state takes the snapshot restored until the player shows it (`service.restored`), as the
commands and the saves do.

The player thread is held on a gate posted before the appliance starts (tests/service/restorekit), so
the window is the test's, not the machine's.  Real player on SDL's dummy driver, real recommender on
SQLite; only the camera is scripted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from restorekit import gated, held_back
from servicekit import Script

from moodspeaker.service.control import ControlAPI

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize(("playing", "shown"), [(False, "paused"), (True, "playing")])
def test_the_state_before_the_restore_is_applied_shows_the_restored_track_and_queue(
    tmp_path: Path, playing: bool, shown: str
) -> None:
    with gated(tmp_path, Script(None), playing=playing) as (app, _gate, _events):
        state = ControlAPI(app, app.bus).state()
        held_back(app)
        assert state["now_playing"] is not None, "the state showed nothing while the restore was held back"
        assert state["now_playing"]["track_id"] == "calm"
        assert state["now_playing"]["position_s"] == 12.0
        assert [e["track_id"] for e in state["queue"]] == ["happy2", "sad1"]
        assert (state["player"], state["playing"]) == (shown, playing)
