"""A command without arguments takes `PRESS` as plain text, and no other text.

Why: any plain text sent to `next`, `dislike`, `rescan` (…) counted as a press, so a switch's `OFF` or
a stray `hello` published to the wrong topic skipped the track or taught the recommender a dislike,
while the JSON `1` or `true` was refused.  Now only `PRESS` (any case, surrounding whitespace aside),
empty and `{}` run such a command; other text is refused with `command_rejected` as other bad payloads
are, and changes nothing.  Also: a number typed for `set_volume` is read only in ASCII digits (0.5 in
Arabic-Indic digits, U+0660 U+002E U+0665, was read as 0.5).

The real Appliance (player on SDL's dummy driver) and its bridge on a real Mosquitto; only the camera
and classifier are scripted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher

from moodspeaker.mqtt.payloads import parse_command
from moodspeaker.service.control import COMMANDS

pytestmark = pytest.mark.timeout(180)

REJECTED = f"{ROOT}/event/command_rejected"


def test_only_press_presses(tmp_path: Path, broker: Mosquitto, watcher: Watcher) -> None:
    with bridged(tmp_path, broker, Shown("happy"), player__autoplay=False) as (app, _bridge):
        sent = ["OFF", "hello", "1", "true"]
        for text in sent:
            watcher.publish(f"{ROOT}/play/set", text)

        def all_answered(msgs: list[Message]) -> list[Message] | None:
            refusals = [m for m in msgs if m.topic == REJECTED]
            return refusals if len(refusals) >= len(sent) else None

        errors = [m.json()["error"] for m in watcher.wait(all_answered, BUSY)]
        assert app.state()["playing"] is not True  # none of them played
        watcher.publish(f"{ROOT}/play/set", " press\n")
        watcher.wait_for(f"{ROOT}/state/playing", lambda m: m.json()["value"] is True, BUSY)
    assert len(errors) == len(sent), errors
    assert all(e.startswith("play: play takes no arguments") for e in errors), errors
    assert "'OFF'" in errors[0] and "'hello'" in errors[1], errors


@pytest.mark.parametrize("text", ["OFF", "hello", "pressed", "PRESS PRESS"])
def test_other_text_is_no_press(text: str) -> None:
    for name in ("next", "dislike", "rescan"):
        with pytest.raises(ValueError, match=f"{name} takes no arguments: send nothing, {{}} or PRESS"):
            parse_command(COMMANDS[name], name, text.encode())


@pytest.mark.parametrize("raw", [b"", b"{}", b"PRESS", b"press", b" Press \r\n"])
def test_press_empty_and_empty_object_press(raw: bytes) -> None:
    assert parse_command(COMMANDS["next"], "next", raw) == {}


def test_volume_reads_ascii_digits_only() -> None:
    arabic_indic = "\u0660.\u0665"  # 0.5 in Arabic-Indic digits
    assert parse_command(COMMANDS["set_volume"], "set_volume", arabic_indic.encode()) == {
        "volume": arabic_indic
    }  # as typed, for the ControlAPI to refuse
    assert parse_command(COMMANDS["set_volume"], "set_volume", b"0.5") == {"volume": 0.5}
