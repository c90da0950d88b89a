"""Commands take the plain-text payloads Home Assistant and others send by default, not only JSON.

Why: `ON` to set_camera, `steady` to set_strategy and `PRESS` to next were all refused with "payload
is not valid JSON", yet they are what Home Assistant's own MQTT entities send unless told otherwise
(a switch's payload_on/payload_off `ON`/`OFF`, a button's payload_press `PRESS`, a select's bare
option) and what Frigate's `…/set` topics take, so anyone writing `mqtt.publish` by hand hit it.  Now a
command without arguments takes `PRESS` (other text is refused), and a one-argument command takes the
text as its argument (`ON`/`OFF` as true/false, a number as a number), checked exactly as the JSON
argument is: a bad value gets the same refusal, in the same words.  Binary data and broken JSON
are still refused.

The real Appliance (player on SDL's dummy driver, recommender on SQLite) and its bridge on a real
Mosquitto, commanded as Home Assistant would; only the camera and classifier are scripted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher

from moodspeaker.mqtt.payloads import PayloadError, parse_command
from moodspeaker.service.control import COMMANDS, Arg, Command
from polling import until

pytestmark = pytest.mark.timeout(180)

REJECTED = f"{ROOT}/event/command_rejected"


def _value(m: Message) -> Any:
    return m.json()["value"]


def test_home_assistants_plain_payloads_drive_the_speaker(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(tmp_path, broker, Shown("happy"), player__autoplay=False) as (app, _bridge):
        watcher.publish(f"{ROOT}/set_camera/set", "OFF")  # a switch's payload_off
        watcher.wait_for(f"{ROOT}/state/camera", lambda m: _value(m) is False, BUSY)
        watcher.publish(f"{ROOT}/set_camera/set", "on")  # case aside
        watcher.wait_for(f"{ROOT}/state/camera", lambda m: _value(m) is True, BUSY)
        watcher.publish(f"{ROOT}/set_profile/set", "alex\n")  # a line, as `mosquitto_pub -l` sends
        watcher.wait_for(f"{ROOT}/state/profile", lambda m: _value(m) == "alex", BUSY)
        watcher.publish(f"{ROOT}/set_volume/set", ".25")  # a number as written by hand
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: _value(m) == 0.25, BUSY)
        # a select's bare option (after the switch of listener: the strategy follows the listener)
        watcher.publish(f"{ROOT}/set_strategy/set", "steady")
        watcher.wait_for(f"{ROOT}/state/strategy", lambda m: _value(m) == "steady", BUSY)
        watcher.publish(f"{ROOT}/play/set", "PRESS")  # a button's payload_press
        watcher.wait_for(f"{ROOT}/state/playing", lambda m: _value(m) is True, BUSY)
        first = until(lambda: app.state()["now_playing"], BUSY, what="a track")["track_id"]
        watcher.publish(f"{ROOT}/next/set", "PRESS")
        watcher.wait_for(
            f"{ROOT}/state/now_playing", lambda m: bool(_value(m)) and _value(m)["track_id"] != first, BUSY
        )
        state = app.state()
    assert (state["camera"], state["strategy"], state["profile"]) == (True, "steady", "alex")
    assert not watcher.on(REJECTED), [m.payload for m in watcher.on(REJECTED)]


#: (command, plain text, the same value sent as JSON): refused, and in the same words either way.
BAD_VALUES = [
    ("set_camera", "maybe", '{"enabled": "maybe"}'),
    ("set_volume", "loud", '{"volume": "loud"}'),
    ("set_volume", "7", '{"volume": 7}'),
    ("set_strategy", "faster", '{"strategy": "faster"}'),
    ("set_profile", "nobody", '{"profile": "nobody"}'),
    ("correct_mood", "bored", '{"mood": "bored"}'),
]
#: (command, payload, what the refusal says): still refused before the ControlAPI sees them.
STILL_REFUSED = [
    ("set_camera", b"{not json", "not valid JSON"),  # begins as JSON: a broken JSON object, not text
    ("set_strategy", b'"steady', "not valid JSON"),
    ("next", b"\xff\xfe\x00", "not UTF-8"),
    ("next", b"PR\x00ESS", "not text"),  # binary data that happens to decode
    ("set_volume", b"0.3\x07", "not text"),
]


def test_a_bad_plain_value_is_refused_as_its_json_form_is(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(tmp_path, broker, Shown("happy")) as (app, _bridge):
        before = {k: app.state()[k] for k in ("camera", "volume", "strategy", "profile")}
        sent = [(name, payload) for name, text, js in BAD_VALUES for payload in (text.encode(), js.encode())]
        sent += [(name, raw) for name, raw, _ in STILL_REFUSED]
        for name, raw in sent:
            watcher.publish(f"{ROOT}/{name}/set", raw)

        def all_answered(msgs: list[Message]) -> list[Message] | None:
            refusals = [m for m in msgs if m.topic == REJECTED]
            return refusals if len(refusals) >= len(sent) else None

        answers = watcher.wait(all_answered, BUSY)
        after = {k: app.state()[k] for k in ("camera", "volume", "strategy", "profile")}
    errors = [m.json()["error"] for m in answers]
    assert len(errors) == len(sent), errors
    for i, (name, _text, _js) in enumerate(BAD_VALUES):
        plain, as_json = errors[2 * i], errors[2 * i + 1]
        assert plain == as_json and plain.startswith(f"{name}: "), (plain, as_json)
    for error, (name, _raw, why) in zip(errors[2 * len(BAD_VALUES) :], STILL_REFUSED, strict=True):
        assert error.startswith(f"{name}: ") and why in error, error
    assert after == before


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("next", b"PRESS", {}),
        ("pause", b" press\n", {}),  # case and surrounding whitespace aside
        ("set_camera", b"ON", {"enabled": True}),
        ("set_camera", b" Off ", {"enabled": False}),
        ("set_camera", b"True", {"enabled": True}),  # a template rendering a test
        ("set_camera", b"maybe", {"enabled": "maybe"}),  # for the ControlAPI to refuse
        ("set_volume", b"+.5", {"volume": 0.5}),
        ("set_volume", b"5.", {"volume": 5.0}),  # for the ControlAPI to refuse (over 1)
        ("set_volume", b"inf", {"volume": "inf"}),  # no number: for the ControlAPI to refuse
        ("set_strategy", b"uplift", {"strategy": "uplift"}),
        ("correct_mood", b"contempt", {"mood": "contempt"}),
        ("set_profile", b"1984", {"profile": "1984"}),  # a select's bare option that looks like JSON
        ("set_profile", b"true", {"profile": "true"}),
        ("set_profile", b"Kid's room", {"profile": "Kid's room"}),
        ("nonsense", b"PRESS", {}),  # left to the ControlAPI, which names the known commands
        # JSON as before
        ("set_camera", b"false", {"enabled": False}),
        ("set_strategy", b'"steady"', {"strategy": "steady"}),
        ("set_volume", b"0.3", {"volume": 0.3}),
    ],
)
def test_parse_command_reads_plain_text(name: str, raw: bytes, expected: dict[str, object]) -> None:
    assert parse_command(COMMANDS.get(name), name, raw) == expected


TWO_ARGS = Command(
    "two", "A command of two arguments.", (Arg("a", "str"), Arg("b", "str")), lambda s, a: None
)


@pytest.mark.parametrize(
    ("command", "raw", "error"),
    [
        (COMMANDS["set_volume"], b"{volume: 0.2", "not valid JSON"),
        (COMMANDS["next"], b"[PRESS", "not valid JSON"),
        (COMMANDS["next"], b"\x1b[1mPRESS", "not text: a control character at position 0"),
        (COMMANDS["set_camera"], b"\xc0ON", "not UTF-8"),
        (TWO_ARGS, b"hello", "not valid JSON"),  # which of the two would it be?
        (COMMANDS["pause"], b"anything at all", "pause takes no arguments"),  # only PRESS is a press
    ],
)
def test_parse_command_still_refuses(command: Command, raw: bytes, error: str) -> None:
    with pytest.raises(PayloadError, match=error):
        parse_command(command, command.name, raw)
