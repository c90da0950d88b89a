"""The page in front of the real service (Appliance from moodspeaker.service.app)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from realkit import RealService
from webkit import AppPage

from captureloop import CaptureLoop
from moodspeaker.cli import main
from moodspeaker.mood.calibration import calibration_file
from moodspeaker.service.events import MoodObserved

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"


@pytest.mark.timeout(120)
def test_status_controls_and_tell_against_the_real_service(real: tuple[RealService, AppPage]) -> None:
    service, page = real
    service.wait_for(lambda: service.appliance.state()["now_playing"], what="autoplay on the first mood")
    state = page.client.get("/api/state").get_json()
    assert state["mood"] == "happy" and state["playing"] and state["camera"]
    assert state["now_playing"]["title"] in {"Sunny Morning", "Dance All Night"}
    assert state["now_playing"]["reason"]
    assert set(state["profiles"]) == {"default", "Sam"}
    html = page.client.get("/").get_data(as_text=True)
    assert 'data-page="status"' in html and '<option value="Sam">' in html

    def api_state() -> Any:
        return page.client.get("/api/state").get_json()

    assert page.post_json("/api/command", {"command": "pause"}).get_json()["ok"]
    service.wait_for(lambda: api_state()["playing"] is False, what="pause")  # the player acts on its thread
    assert page.post_json("/api/command", {"command": "play"}).get_json()["ok"]
    service.wait_for(lambda: api_state()["playing"] is True, what="play")
    page.post_json("/api/command", {"command": "set_volume", "args": {"volume": 0.3}})
    service.wait_for(lambda: api_state()["volume"] == pytest.approx(0.3), what="volume")
    assert page.post_json("/api/command", {"command": "like"}).status_code == 200
    page.post_json("/api/command", {"command": "set_strategy", "args": {"strategy": "uplift"}})
    assert api_state()["strategy"] == "uplift"
    page.post_json("/api/command", {"command": "set_profile", "args": {"profile": "Sam"}})
    state = page.client.get("/api/state").get_json()
    # the strategy follows the listener: Sam never chose one, so the household default (match)
    assert state["strategy"] == "match" and state["profile"] == "Sam"
    refused = page.post_json("/api/command", {"command": "set_profile", "args": {"profile": "Nobody"}})
    assert refused.status_code == 400 and "existing profile" in refused.get_json()["error"]

    told = page.post_json("/api/tell", {"text": "I'm actually tired"}).get_json()
    assert told["ok"], told
    state = page.client.get("/api/state").get_json()
    assert state["mood"] == "sad"  # the correction overrides what the camera read
    told = page.post_json("/api/tell", {"text": "not this artist"}).get_json()
    assert told["ok"] and told["done"] == [{"command": "dislike", "args": {}}]

    # the plot's history comes from the service's MoodObserved events
    page.ctx.recorder.flush()
    samples = page.client.get("/api/history").get_json()["samples"]
    assert samples and samples[-1]["mood"] == "happy"


@pytest.mark.timeout(120)
def test_camera_switch_is_honoured_within_one_capture_interval(real: tuple[RealService, AppPage]) -> None:
    service, page = real
    loop = CaptureLoop(service.appliance.stage, service.config.camera.interval_s)
    service.wait_for(lambda: service.camera.reads > 2, what="captures")
    token = page.csrf("/privacy")
    page.client.post("/privacy/camera", data={"csrf_token": token, "enabled": "off"})
    assert service.appliance.state()["camera"] is False
    # at most the capture that was under way finishes (the switch closes the camera, which waits for
    # a read in progress); then nothing more is read, though the capture loop goes on and a capture
    # falls due while the camera is off
    service.wait_for(lambda: service.camera.open_sources == 0, what="the camera released")
    reads = service.camera.reads
    loop.went_round()
    assert service.camera.reads == reads and service.camera.open_sources == 0
    html = page.client.get("/privacy").get_data(as_text=True)
    assert "The camera is <strong>off</strong> right now" in html
    page.client.post("/privacy/camera", data={"csrf_token": token, "enabled": "on"})
    service.wait_for(lambda: service.camera.reads > reads, what="captures to resume")


@pytest.mark.timeout(120)
def test_export_delete_and_health_with_the_real_service(real: tuple[RealService, AppPage]) -> None:
    service, page = real
    service.wait_for(lambda: service.appliance.state()["now_playing"], what="autoplay")
    assert page.post_json("/api/command", {"command": "like"}).status_code == 200
    export = json.loads(page.client.get("/privacy/export").get_data())
    assert "default" in export["speaker_data"]["profiles"]
    assert export["mood_history"]
    assert any("like" in json.dumps(profile) for profile in export["speaker_data"]["profiles"].values()), (
        export["speaker_data"]
    )

    html = page.client.get("/health").get_data(as_text=True)
    assert "Stage timings" in html and "classify" in html and "the CPU" in html and "6 tracks" in html

    token = page.csrf("/privacy")
    deleted_at = time.time()
    page.client.post("/privacy/delete", data={"csrf_token": token, "confirm": "delete"})
    # the camera is still on, so new readings may arrive at once; nothing from before is left
    assert all(sample["ts"] >= deleted_at for sample in page.ctx.history.export())
    export = json.loads(page.client.get("/privacy/export").get_data())
    assert "like" not in json.dumps(export["speaker_data"])
    assert set(service.control.profiles()) <= {"default", "Sam"}


@pytest.mark.timeout(180)
def test_retention_each_keeper_deletes_its_own(real: tuple[RealService, AppPage]) -> None:
    """The page prunes its mood history; the service deletes its feedback on its own run (at start
    and hourly, page or no page): one keeper for each, nothing deleted twice."""
    service, page = real
    retention = service.appliance.retention
    service.wait_for(lambda: retention.runs >= 1, timeout=120.0, what="the service's run at start")
    recommender = service.appliance.parts.recommender
    now = time.time()
    recommender.feedback("default", "rain", "like", None, now - 40 * 86400)
    recommender.feedback("default", "sunny", "like", None, now - 60)
    page.bus.publish(
        MoodObserved(ts=now - 40 * 86400, mood="sad", confidence=0.9, valence=-0.5, arousal=-0.3, face=True)
    )
    page.ctx.recorder.flush()

    def liked() -> list[str]:
        profiles = page.client.get("/privacy/export").get_json()["speaker_data"]["profiles"]
        events = profiles["default"]["feedback"]
        return sorted(e["track_id"] for e in events if e["kind"] == "like")

    assert liked() == ["rain", "sunny"]
    page.ctx.enforce_retention()  # what the history thread runs at start and every hour
    assert all(s["ts"] > now - 31 * 86400 for s in page.ctx.history.export())
    assert liked() == ["rain", "sunny"]  # the page leaves the speaker's data to the speaker

    retention.run_now()  # the service's own hourly run, without waiting for the hour
    service.wait_for(lambda: retention.runs >= 2, timeout=120.0, what="the service's next run")
    assert liked() == ["sunny"]


def _calibrate(service: RealService, profile: str, frames: Path) -> Path:
    """`moodspeaker calibrate-neutral --profile PROFILE` with the service's config, a photo as the
    camera (as tests/service/test_delete_calibration makes them): the real detector, shipped model
    and save."""
    args = ["--config", str(service.config_path), "--set", "detector.type=haar", "calibrate-neutral"]
    # --force: the photo smiles, which calibrate-neutral refuses as a resting face (what is tested
    # here is the file's export and deletion, not the face)
    assert main([*args, "--profile", profile, "--source", str(frames), "--frames", "3", "--force"]) == 0
    return calibration_file(service.data_dir, profile)


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model")
@pytest.mark.timeout(180)
def test_export_has_the_neutral_face_calibrations(real: tuple[RealService, AppPage], tmp_path: Path) -> None:
    """A calibration is fitted to a listener's resting face (personal data, deleted by "delete
    everything"), so "Export my data" gives each one saved: Sam's (a configured listener) and ann's
    (not one: a calibration made for a name never configured is still kept on the speaker)."""
    service, page = real
    photo = pytest.importorskip("skimage.data").astronaut()[:, :, ::-1]  # NASA, public domain
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:02d}.png"), np.roll(np.ascontiguousarray(photo), 4 * i, axis=1))
    saved = {profile: _calibrate(service, profile, frames) for profile in ("Sam", "ann")}

    export = page.client.get("/privacy/export").get_json()
    calibrations = export["speaker_data"]["neutral_calibrations"]
    assert set(calibrations) == {"Sam", "ann"}, calibrations
    for profile, path in saved.items():
        assert calibrations[profile]["file"] == f"calibration/{path.name}"
        assert calibrations[profile]["calibration"] == json.loads(path.read_text()), profile

    token = page.csrf("/privacy")
    page.client.post("/privacy/delete", data={"csrf_token": token, "confirm": "delete"})
    export = page.client.get("/privacy/export").get_json()
    assert export["speaker_data"]["neutral_calibrations"] == {}
