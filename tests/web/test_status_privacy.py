"""Status API, live history, "tell the speaker", privacy (camera, export, delete, retention), health."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from webkit import Page

from moodspeaker.config import load
from moodspeaker.service.events import ErrorReported
from moodspeaker_web.context import json_safe

DAY = 86400.0

#: Magic numbers of image formats and the data-URI prefix: none may ever appear in a response.
IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM6", b"data:image", b"base64,")


def test_state_api_has_what_the_page_shows(owner: Page) -> None:
    state = owner.client.get("/api/state").get_json()
    for key in (
        "mood",
        "confidence",
        "valence",
        "arousal",
        "camera",
        "playing",
        "now_playing",
        "queue",
        "volume",
    ):
        assert key in state
    assert state["profiles"] == ["default", "Sam"] and state["speaker_name"] == "Kitchen"


def test_commands_through_the_api(owner: Page) -> None:
    assert owner.post_json("/api/command", {"command": "play"}).get_json()["state"]["playing"] is True
    owner.post_json("/api/command", {"command": "set_volume", "args": {"volume": 0.25}})
    owner.post_json("/api/command", {"command": "like"})
    owner.post_json("/api/command", {"command": "correct_mood", "args": {"mood": "sad"}})
    assert owner.speaker.volume == 0.25 and owner.speaker.mood == "sad"
    assert [f["kind"] for f in owner.speaker.feedback] == ["like", "wrong_mood"]


def test_tell_the_speaker_turns_words_into_commands(owner: Page) -> None:
    reply = owner.post_json("/api/tell", {"text": "I'm actually tired"}).get_json()
    assert reply["ok"] and reply["done"] == [{"command": "correct_mood", "args": {"mood": "sad"}}]
    assert owner.speaker.mood == "sad"
    owner.speaker.volume = 0.6
    reply = owner.post_json("/api/tell", {"text": "louder"}).get_json()
    assert owner.speaker.volume == pytest.approx(0.7)
    reply = owner.post_json("/api/tell", {"text": "not this artist"}).get_json()
    assert owner.speaker.feedback[-1]["kind"] == "dislike"
    reply = owner.post_json("/api/tell", {"text": "what is the weather"}).get_json()
    assert not reply["ok"] and reply["done"] == [] and "only act on requests" in reply["reply"]
    reply = owner.post_json("/api/tell", {"text": "the weather is grim"}).get_json()
    assert not reply["ok"] and reply["done"] == [] and "did not understand" in reply["reply"]
    assert owner.post_json("/api/tell", {"text": ""}).status_code == 400
    assert owner.post_json("/api/tell", {"text": 42}).status_code == 400


def test_history_feeds_the_plot_of_the_last_hour(owner: Page) -> None:
    now = owner.clock.now
    owner.mood("happy", now - 7200, 0.8, 0.4)  # two hours ago: not in the plot
    for i in range(0, 600, 1):
        owner.mood("neutral" if i < 300 else "sad", now - 600 + i, -0.1, -0.3)
    owner.ctx.recorder.flush()
    samples = owner.client.get("/api/history?minutes=60").get_json()["samples"]
    assert 100 <= len(samples) <= 130  # one per 5 s, plus the change of mood
    assert {s["mood"] for s in samples} == {"neutral", "sad"}
    assert set(samples[0]) == {"ts", "mood", "confidence", "valence", "arousal", "face"}
    assert owner.client.get("/api/history?minutes=abc").status_code == 400
    assert len(owner.client.get("/api/history?minutes=999999").get_json()["samples"]) == len(samples) + 1


def test_camera_switch(owner: Page) -> None:
    token = owner.csrf("/privacy")
    html = owner.client.get("/privacy").get_data(as_text=True)
    assert "The camera is <strong>on</strong> right now" in html
    owner.client.post("/privacy/camera", data={"csrf_token": token, "enabled": "off"})
    assert owner.speaker.camera is False
    html = owner.client.get("/privacy").get_data(as_text=True)
    assert "The camera is <strong>off</strong> right now" in html and 'aria-checked="false"' in html
    owner.client.post("/privacy/camera", data={"csrf_token": token, "enabled": "on"})
    assert owner.speaker.camera is True


def test_privacy_page_says_the_calibrations_are_stored_and_deleted(owner: Page) -> None:
    """`moodspeaker calibrate-neutral` keeps a correction fitted to each listener's resting face, and
    "delete everything" deletes it: the page lists it with what is stored and in what is deleted."""
    html = owner.client.get("/privacy").get_data(as_text=True)
    assert (
        "<li><strong>Neutral-face calibrations</strong>: a small correction per listener, made by "
        '<code class="command"><span>moodspeaker</span> <span>calibrate-neutral</span></code>, '
        "so a resting face is not read as sad.</li>"
    ) in html
    assert (
        "To delete the mood history, all feedback, all profiles, the neutral-face calibrations, what "
        "played, the downloaded tracks (but those playing or up next) and the recent problems, type "
        "<strong>delete</strong>:"
    ) in html
    # retention deletes old mood history and feedback only; the calibrations stay (the service keeps
    # them, tests/service/test_delete_calibration), so the page may not say "all of it" goes
    assert "All of it is deleted automatically" not in html
    assert (
        "The mood history and the feedback (and what was learned from it), what played, the downloaded "
        "tracks not played since and the recent problems are deleted automatically after "
        "<strong>30 days</strong>"
    ) in html
    assert "the profile names and the neutral-face calibrations stay until you delete everything" in html


def test_export_my_data(owner: Page) -> None:
    owner.mood("happy", owner.clock.now - 30, 0.7, 0.3)
    owner.post_json("/api/command", {"command": "like"})
    response = owner.client.get("/privacy/export")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data())
    assert data["mood_history"][0]["mood"] == "happy"
    assert data["speaker_data"]["feedback"][0]["kind"] == "like"
    assert data["settings"]["device"]["name"] == "Kitchen"


def test_delete_everything_really_deletes(owner: Page) -> None:
    for i in range(20):
        owner.mood(["happy", "sad"][i % 2], owner.clock.now - 1000 + i * 10, 0.5, 0.5)
    owner.post_json("/api/command", {"command": "like"})
    token = owner.csrf("/settings")
    owner.client.post(
        "/settings/recommend", data={"csrf_token": token, "recommend.profiles": "default\nGrandma"}
    )
    assert load(owner.config_path).recommend.profiles == ("default", "Grandma")
    owner.ctx.recorder.flush()
    assert owner.ctx.history.count() == 20

    token = owner.csrf("/privacy")
    response = owner.client.post("/privacy/delete", data={"csrf_token": token, "confirm": "no"})
    assert response.status_code == 302 and owner.ctx.history.count() == 20  # needs the word

    done = owner.client.post(
        "/privacy/delete", data={"csrf_token": token, "confirm": " Delete "}, follow_redirects=True
    )
    # the service deletes the neutral-face calibrations too, and the page says so
    said = done.get_data(as_text=True)
    assert "Everything is deleted: mood history, feedback, profiles, neutral-face calibrations, " in said
    assert owner.ctx.history.count() == 0
    assert owner.speaker.feedback == [] and owner.speaker.profile_names == ["default"]
    assert load(owner.config_path).recommend.profiles == ("default",)
    assert "Grandma" not in owner.config_path.read_text()
    # the database file itself holds no trace (vacuumed), checked with a separate connection
    db = sqlite3.connect(owner.ctx.history.path)
    assert db.execute("SELECT COUNT(*) FROM mood").fetchone()[0] == 0
    db.close()
    for file in owner.ctx.history.path.parent.glob(owner.ctx.history.path.name + "*"):  # db, -wal, -shm
        blob = file.read_bytes()
        assert b"happy" not in blob and b"sad" not in blob, file
    export = json.loads(owner.client.get("/privacy/export").get_data())
    assert export["mood_history"] == [] and export["speaker_data"]["feedback"] == []


def test_retention_is_enforced(owner: Page) -> None:
    """The page prunes its own mood history; the speaker's data is the speaker's to delete (the
    service runs the retention itself, page or no page: tests/service/test_retention_service), so the
    page does not ask for it a second time."""
    now = owner.clock.now
    owner.mood("happy", now - 40 * DAY)
    owner.mood("sad", now - 10 * DAY)
    owner.speaker.feedback.append({"kind": "like", "ts": now - 40 * DAY})
    owner.speaker.feedback.append({"kind": "skip", "ts": now - 1})
    owner.ctx.recorder.flush()
    owner.ctx.enforce_retention()  # the recorder runs this at start and every hour
    assert [s["mood"] for s in owner.ctx.history.export()] == ["sad"]
    assert [f["kind"] for f in owner.speaker.feedback] == ["like", "skip"]  # not the page's
    owner.ctx.config = owner.ctx.config.__class__(
        **{**owner.ctx.config.__dict__, "privacy": owner.ctx.config.privacy.__class__(retention_days=7)}
    )
    owner.ctx.enforce_retention()
    assert owner.ctx.history.count() == 0


def test_health_page_shows_timings_backend_states_and_errors(owner: Page) -> None:
    owner.bus.publish(
        ErrorReported(ts=owner.clock.now, component="camera", message="camera unplugged; retrying")
    )
    owner.post_json("/api/command", {"command": "set_volume", "args": {"volume": 9}})
    html = owner.client.get("/health").get_data(as_text=True)
    for text in (
        "detect",
        "12.5",
        "the CPU",
        "no Edge TPU found",
        "not usable",
        "replay",
        "42 tracks",
        "camera unplugged; retrying",
        "volume must be",
        "you look neutral (72% sure)",
        "as it was when its track was picked",
    ):
        assert text.lower() in html.lower(), text


def test_json_safe_drops_images_and_odd_values() -> None:
    frame = np.zeros((48, 48), dtype=np.uint8)
    cleaned = json_safe(
        {
            "frame": frame,
            "jpeg": b"\xff\xd8\xff\xe0",
            "conf": np.float32(0.5),
            "bad": float("nan"),
            "nested": {"crop": frame},
            "list": [b"x", 1],
        }
    )
    assert cleaned == {"conf": 0.5, "bad": None, "nested": {}, "list": [1]}


def test_no_route_returns_or_stores_image_data(owner: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = np.full((480, 640, 3), 200, dtype=np.uint8)
    # a careless service
    monkeypatch.setattr(owner.speaker, "state", _with_images(owner.speaker.state, frame))
    for i in range(30):
        owner.mood("happy", owner.clock.now - i, 0.5, 0.5)
    owner.ctx.recorder.flush()
    bodies = []
    for path in (
        "/",
        "/settings",
        "/privacy",
        "/health",
        "/api/state",
        "/api/history",
        "/privacy/export",
        "/api/guest",
    ):
        response = owner.client.get(path)
        assert response.status_code == 200, path
        assert not response.mimetype.startswith("image/")
        bodies.append(response.get_data())
    bodies.append(owner.post_json("/api/command", {"command": "pause"}).get_data())
    state = owner.client.get("/api/state").get_json()
    assert "last_frame" not in state and "face_crop" not in state and "preview" not in state["health"]
    assert "Preview" not in owner.client.get("/health").get_data(as_text=True)
    for body in bodies:
        for signature in IMAGE_SIGNATURES:
            assert signature not in body
        assert len(body) < 200_000  # a 640x480 frame would not fit
    for file in owner.data_dir.rglob("*"):
        if file.is_file():
            assert file.suffix not in {".jpg", ".jpeg", ".png", ".bmp", ".npy"}
            data = file.read_bytes()
            assert not any(data.startswith(sig) for sig in IMAGE_SIGNATURES[:5]), file
            assert bytes(frame[0, :64].tobytes()) not in data


def _with_images(state_fn: Callable[[], dict[str, Any]], frame: np.ndarray) -> Callable[[], dict[str, Any]]:
    def state() -> dict[str, Any]:
        s = state_fn()
        s["last_frame"] = frame
        s["face_crop"] = frame[:48, :48, 0].tobytes()
        s["health"]["preview"] = frame
        return s

    return state


def test_a_speaker_in_trouble_does_not_take_the_page_down(
    owner: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("player thread died")

    monkeypatch.setattr(owner.speaker, "state", broken)
    monkeypatch.setattr(owner.speaker, "profiles", broken)
    for path in ("/", "/settings", "/privacy", "/health"):
        assert owner.client.get(path).status_code == 200, path
    assert "not answering" in owner.client.get("/api/state").get_json()["unavailable"]
