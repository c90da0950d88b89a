"""A profile switch whose storage fails is a clear refusal, with the previous profile still active and
the service still playing.  Real failing storage, not a mock:
- the recommender's SQLite file turned to garbage on disk while the service runs (another connection
  checkpoints first, so the service's own connection really reads the damaged file);
- the data directory read-only (a read-only bind mount over it in a private mount namespace, so the
  state file cannot be written; needs root and `unshare`, as the stress suite's full-disk test).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.config import with_changes
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.events import CommandRejected, ErrorReported, Event
from sqlitefaults import corrupt

pytestmark = pytest.mark.timeout(120)

REFUSED = "set_profile: the listener profiles cannot be read: storage error (file is not a database)"


def test_set_profile_with_a_corrupt_profile_database_is_a_clear_refusal(tmp_path: Path) -> None:
    profiles: dict[str, Any] = {"recommend.profiles": ["default", "Kim"]}
    app, bus = build(tmp_path, Script("happy"), **profiles)
    events: list[Event] = []
    bus.subscribe(events.append)
    api = ControlAPI(app, bus)
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "happy", what="the mood read (no flip re-plans later)")
        wait_for(lambda: app.state()["now_playing"] is not None, what="a track playing (autoplay)")
        queue = [q["track_id"] for q in app.state()["queue"]]
        corrupt(tmp_path / "data" / "recommend.sqlite")
        for _ in range(3):  # the page and Home Assistant may try again: each is refused the same way
            with pytest.raises(CommandError) as refused:
                api.execute("set_profile", {"profile": "Kim"})
            assert str(refused.value) == REFUSED
        state = app.state()  # still answers: the last profile list read, the previous profile
        assert state["profile"] == "default" and sorted(state["profiles"]) == ["Kim", "default"]
        assert [q["track_id"] for q in state["queue"]] == queue
        assert [e.error for e in events if isinstance(e, CommandRejected)] == [REFUSED] * 3
        reported = [e.message for e in events if isinstance(e, ErrorReported)]
        assert reported.count(REFUSED.removeprefix("set_profile: ")) == 1  # once, not on every try
        # a new profile listed in the saved settings is reported as not created; the service goes on
        app.apply_config(with_changes(app.config, {"recommend.profiles": ["default", "Kim", "Lee"]}))
        reported = [e.message for e in events if isinstance(e, ErrorReported)]
        assert any("Lee" in m and "file is not a database" in m for m in reported), reported
        position = app.player.status().position_s
        wait_for(lambda: app.player.status().position_s > position + 0.3, what="the music going on")
        assert app.liveness_problem() == ""
    finally:
        app.stop()


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root for a private read-only mount"
)
def test_set_profile_on_a_read_only_data_directory_is_a_clear_refusal(tmp_path: Path) -> None:
    kid = Path(__file__).with_name("readonly_profile_kid.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent), "SDL_AUDIODRIVER": "dummy"}
    started = time.monotonic()
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", sys.executable, str(kid), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=110,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    state_file = tmp_path / "data" / "state.json"
    assert lines["refused"] == (
        f"profile not changed to 'Kim': cannot save state to {state_file}: Read-only file system"
    ), proc.stdout
    assert lines["page"].startswith("400 ") and "Read-only file system" in lines["page"], lines["page"]
    assert lines["kept"] == "default same-queue playing", lines["kept"]
    assert lines["writable"] == "Kim", lines["writable"]  # with a writable disk again, it switches
    assert time.monotonic() - started < 110
