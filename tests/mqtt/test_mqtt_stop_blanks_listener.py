"""What the broker keeps of the listener once the speaker has stopped, or its data was deleted while it
was stopped: no mood, no profile, no track with its reason.

Why: the broker keeps a retained message for ever.  A clean stop published only `availability offline`,
so the last mood (a correction to "fear"), the profile's name and the track's reason quoting the mood
stayed for every client to read; "delete everything" run with the speaker stopped never touched the
broker, so they outlived the deletion too (one run while the speaker runs was already blanked).  Now a
clean stop blanks them before `offline`, and the offline deletion blanks what the broker holds (as a
speaker that ended without a clean stop, a power cut, leaves it) or says the broker was out of reach
and which command to run.  The real Appliance behind the real bridge, a real Mosquitto, the real
`moodspeaker privacy delete-everything` through the CLI's main; HA's templates rendered as HA does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto, free_port
from mqtt_helpers import Message, Watcher, ha_render, retained

from moodspeaker.cli import main
from moodspeaker.config import save, with_changes
from moodspeaker.config.schema import Config
from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.topics import Topics

pytestmark = pytest.mark.timeout(180)

PROFILE = "quokkaprof"
PERSONAL = ("mood", "confidence", "valence", "arousal", "face", "asked", "now_playing", "profile")


def _told(m: Message) -> bool:
    body: dict[str, Any] = m.json()
    return (body.get("value"), body.get("source")) == ("fear", "corrected")


def _run_and_correct(tmp_path: Path, broker: Mosquitto, watcher: Watcher) -> dict[str, bytes]:
    """The speaker runs as profile quokkaprof, the listener corrects the mood to fear, a track plays
    with its reason; then it stops cleanly.  What it published last on each personal topic."""
    with bridged(tmp_path, broker, Shown("happy"), recommend__profiles=["default", PROFILE]):
        watcher.publish(f"{ROOT}/set_profile/set", json.dumps({"profile": PROFILE}))
        watcher.wait_for(f"{ROOT}/state/profile", lambda m: m.json()["value"] == PROFILE, BUSY)
        watcher.wait_for(f"{ROOT}/state/mood", lambda m: m.json()["value"] == "happy", BUSY)
        watcher.publish(f"{ROOT}/correct_mood/set", '{"mood": "fear"}')
        watcher.wait_for(f"{ROOT}/state/mood", _told, BUSY)
        watcher.wait_for(f"{ROOT}/state/now_playing", lambda m: bool((m.json()["value"] or {}).get("reason")))
        live = {key: watcher.last(f"{ROOT}/state/{key}") for key in PERSONAL}
    return {key: m.payload for key, m in live.items() if m is not None}


def _tells_nothing(kept: dict[str, bytes]) -> None:
    """No retained message under the speaker names the mood corrected, the profile or a reason."""
    for topic, payload in kept.items():
        for word in (b"fear", PROFILE.encode(), b"reason"):
            assert word not in payload, (topic, payload)


def _shown_in_ha(kept: dict[str, bytes]) -> dict[str, str]:
    cmps = discovery_config(Topics("moodspeaker", "living-room"), name="x", profiles=[PROFILE])["cmps"]
    return {
        key: ha_render(cmps[key]["value_template"], json.loads(kept[f"{ROOT}/state/{key}"]))
        for key in PERSONAL
    }


def test_a_clean_stop_leaves_no_mood_profile_or_reason_on_the_broker(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    live = _run_and_correct(tmp_path, broker, watcher)
    assert b"fear" in live["mood"] and PROFILE.encode() in live["profile"]  # what was there to blank
    kept = retained(broker.port, f"{ROOT}/#")
    assert kept[f"{ROOT}/availability"] == b"offline"
    _tells_nothing(kept)
    mood = json.loads(kept[f"{ROOT}/state/mood"])
    assert (mood["status"], mood["value"], mood["source"]) == ("no_reading", "unknown", None)
    # Home Assistant shows them unknown (the Music mood select: the camera's), no template error
    shown = _shown_in_ha(kept)
    assert shown == {**dict.fromkeys(PERSONAL, "None"), "asked": "camera"}, shown


def _config_file(tmp_path: Path, port: int) -> Path:
    from appliancekit import appliance_config  # noqa: PLC0415

    config: Config = appliance_config(tmp_path, port, device__id="Living Room")
    path = tmp_path / "moodspeaker.toml"
    save(with_changes(config, {"mqtt.port": port}), path)
    return path


def test_delete_everything_with_the_speaker_stopped_blanks_what_the_broker_kept(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher, capsys: pytest.CaptureFixture[str]
) -> None:
    live = _run_and_correct(tmp_path, broker, watcher)
    for key, payload in live.items():  # as a speaker that ended without a clean stop leaves them
        watcher.publish(f"{ROOT}/state/{key}", payload, retain=True)
    assert b"fear" in retained(broker.port, f"{ROOT}/state/mood")[f"{ROOT}/state/mood"]
    path = _config_file(tmp_path, broker.port)
    assert main(["-c", str(path), "privacy", "delete-everything", "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"blanked on the MQTT broker at 127.0.0.1:{broker.port}: " in out, out
    kept = retained(broker.port, f"{ROOT}/#")
    _tells_nothing(kept)
    assert json.loads(kept[f"{ROOT}/state/mood"])["status"] == "no_reading"
    assert _shown_in_ha(kept) == {**dict.fromkeys(PERSONAL, "None"), "asked": "camera"}


def test_delete_everything_with_the_broker_out_of_reach_says_so_and_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    path = _config_file(tmp_path, free_port())  # nothing listens there
    code = main(["-c", str(path), "privacy", "delete-everything", "--yes", "--timeout", "2"])
    captured: Any = capsys.readouterr()
    assert code == 1, captured
    assert "may still keep this speaker's last mood, profile and track" in captured.err, captured.err
    assert "privacy delete-everything --yes` again once it can be reached" in captured.err
    assert "Everything is deleted" in captured.out  # the files went all the same
