"""What the demo prints when the camera, audio or MQTT changes is said in words: it printed raw
values ("demo: camera: False" after the privacy switch)."""

from __future__ import annotations

import pytest

from moodspeaker.commands.demo import _printer, state_words
from moodspeaker.service.events import StateChanged, TrackStarted


@pytest.mark.parametrize(
    ("key", "value", "webcam", "words"),
    [
        ("camera", False, False, "camera: off (privacy switch): no face is read"),
        ("camera", True, False, "camera: on, replaying a public-domain face"),
        ("camera", True, True, "camera: on, the webcam"),
        ("audio", "lost", False, "audio: the output device is gone"),
        ("audio", "ok", False, "audio: playing"),
        ("broker", "ok", False, "MQTT: connected"),
        ("broker", "disconnected", False, "MQTT: disconnected"),
    ],
)
def test_state_changes_are_worded(key: str, value: object, webcam: bool, words: str) -> None:
    said = state_words(StateChanged(ts=0.0, key=key, value=value), webcam=webcam)
    assert said == words
    assert "True" not in said and "False" not in said


@pytest.mark.parametrize(
    ("artist", "line"),
    [
        ("", "demo: playing tone440 - first tune\n"),  # untagged: it printed "tone440 by  - first tune"
        ("Ann", "demo: playing tone440 by Ann - first tune\n"),
    ],
)
def test_track_started_names_an_untagged_track_by_its_title(
    capsys: pytest.CaptureFixture[str], artist: str, line: str
) -> None:
    _printer(webcam=False)(
        TrackStarted(ts=0.0, track_id="t1", title="tone440", artist=artist, reason="first tune")
    )
    assert capsys.readouterr().out == line
