"""`moodspeaker watch` does not open a camera the speaker switched off while it ran.

Why: watch checked camera.enabled alone, so a camera held off at the speaker's privacy button (only the
button switches it on, across restarts: state.json camera_held) or switched off from the page, the API
or MQTT (kept off across restarts too: state.json camera) was opened by the debugging command all the
same, its frames read.  Now watch refuses with the reason, as the speaker would; a camera switched on
again is watched.  Sources that are no camera (a video, an image folder) are not the speaker's camera.

The real Appliance (servicekit) saves its state on stop; the real command line reads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from servicekit import Script, build

from moodspeaker import cli
from moodspeaker.service.control import SOURCE_BUTTON, ControlAPI
from moodspeaker.service.playback import CAMERA_HELD_DETAIL


def switched(tmp_path: Path, enabled: bool, source: str) -> None:
    """The speaker run on tmp_path/data, its camera switched from `source`, then stopped (saved)."""
    app, bus = build(tmp_path, Script("happy"))
    app.start()
    try:
        ControlAPI(app, bus).execute("set_camera", {"enabled": enabled}, source=source)
    finally:
        app.stop()


def watch(tmp_path: Path, *source: str) -> int:
    config = tmp_path / "watch.toml"
    config.write_text(f'[device]\ndata_dir = "{tmp_path / "data"}"\n')
    return cli.main(["--config", str(config), "watch", *(source or ("--source", "0")), "--limit", "1"])


def test_a_camera_switched_off_at_the_speaker_is_not_watched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    switched(tmp_path, False, SOURCE_BUTTON)  # the privacy button: held off
    assert watch(tmp_path) == 2
    assert capsys.readouterr().err == f"moodspeaker watch: the camera was {CAMERA_HELD_DETAIL}\n"
    assert watch(tmp_path, "--source", "picamera2") == 2  # the Pi's camera module likewise
    assert "press its button" in capsys.readouterr().err

    switched(tmp_path, True, SOURCE_BUTTON)  # the button switched it on again
    switched(tmp_path, False, "web")  # then the page switched it off
    assert watch(tmp_path) == 2
    assert "the camera is switched off on the speaker: switch it on from its page" in capsys.readouterr().err

    switched(tmp_path, True, "mqtt")
    watch(tmp_path)  # this machine has no webcam 0: watched all the same (its frames missing), not refused
    assert "switched off" not in capsys.readouterr().err
