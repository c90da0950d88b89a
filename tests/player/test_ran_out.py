"""The player says when it stopped because nothing queued could be played any more (`ran_out`), as
opposed to being paused or stopped: the rest of the queue was on a disk that went away."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playerkit import Recorder, item, write_tone

from moodspeaker.player.engine import Player
from moodspeaker.service.events import ErrorReported, StateChanged, TrackEnded


def test_a_queue_of_vanished_files_runs_out_and_says_so(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    player, rec = make_player()
    good = write_tone(tmp_path / "good.wav", 440, 0.5)
    gone = [tmp_path / "usb" / f"gone{i}.ogg" for i in range(2)]  # never there: an unmounted disk
    player.set_queue([item(good, "good"), *(item(p, p.stem) for p in gone)])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "good")
    rec.wait(lambda e: isinstance(e, StateChanged) and e.key == "playing" and e.value is False)
    assert player.wait_idle(30)
    status = player.status()
    assert status.state == "stopped" and status.ran_out
    assert [f["error"] for f in status.failures] == [f"{p}: no such file" for p in gone]
    errors = [e.message for e in rec.of("error") if isinstance(e, ErrorReported)]
    assert all(any(str(p) in m for m in errors) for p in gone), errors

    player.set_queue([item(good, "good")])
    player.play()  # the listener (or the conductor) carries on: no longer ran out
    rec.wait(lambda e: e.kind == "track_started" and e.ts > status.failures[-1]["ts"])
    assert player.wait_idle(30)
    assert not player.status().ran_out
    player.stop()
    assert player.wait_idle(30)
    assert player.status().state == "stopped" and not player.status().ran_out  # asked to stop
