"""Pure parts of the MQTT bridge: topic layout, device ids, payloads, command parsing, discovery."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from moodspeaker.config import Config, with_changes
from moodspeaker.mood.classes import EXPRESSIONS
from moodspeaker.mqtt.client import ConnectionSettings, MqttSetupError
from moodspeaker.mqtt.discovery import MOOD_OPTIONS, discovery_config
from moodspeaker.mqtt.identity import reachable_url
from moodspeaker.mqtt.payloads import (
    CAMERA_OFF,
    MAX_COMMAND_BYTES,
    MAX_PUBLISH_BYTES,
    PayloadError,
    encode,
    event_payload,
    parse_command,
    state_values,
)
from moodspeaker.mqtt.topics import (
    GROUP_ID,
    STATE_KEYS,
    TopicError,
    Topics,
    check_device_id,
    resolve_device_id,
    slug,
)
from moodspeaker.service.control import COMMANDS, STRATEGIES
from moodspeaker.service.events import PAYLOAD_SCHEMA, MoodChanged

T = Topics("moodspeaker", "kitchen")


def test_topic_layout() -> None:
    assert T.availability == "moodspeaker/kitchen/availability"
    assert T.state("mood") == "moodspeaker/kitchen/state/mood"
    assert T.event("mood_changed") == "moodspeaker/kitchen/event/mood_changed"
    assert T.command("set_volume") == "moodspeaker/kitchen/set_volume/set"
    assert T.group_command("pause") == "moodspeaker/all/pause/set"
    assert T.discovery == "homeassistant/device/kitchen/config"
    assert T.command_of("moodspeaker/kitchen/next/set") == ("next", False)
    assert T.command_of("moodspeaker/all/next/set") == ("next", True)
    assert T.command_of("moodspeaker/bedroom/next/set") is None
    assert T.command_of("moodspeaker/kitchen/state/mood") is None
    assert T.command_of("moodspeaker/kitchen/a/b/set") is None


def test_device_ids_are_unique_stable_and_safe() -> None:
    a = resolve_device_id("", "3d1219c7c4c5404aaa1f6d2a48adfda4")
    b = resolve_device_id("", "0000000000000000000000000000beef")
    assert a != b
    assert a == resolve_device_id("", "3d1219c7c4c5404aaa1f6d2a48adfda4")
    assert "3d1219" not in a  # the machine id itself is never published
    assert re.fullmatch(r"moodspeaker-[0-9a-f]{12}", a)
    assert resolve_device_id("Living Room", "x") == "living-room"
    assert slug("  Küche #2 ") == "k-che-2"
    with pytest.raises(TopicError, match="reserved"):
        resolve_device_id("All", "x")
    with pytest.raises(TopicError, match="no machine id"):
        resolve_device_id("", "")
    for bad in ("", "Upper", "with space", "a/b", "x" * 65, "+"):
        with pytest.raises(TopicError):
            check_device_id(bad)
    with pytest.raises(TopicError, match="base_topic"):
        Topics("home/#", "kitchen")
    assert GROUP_ID == "all"


def _state(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "mood": "happy",
        "confidence": 0.81234,
        "valence": 0.6,
        "arousal": np.float32(0.25),
        "face": True,
        "camera": True,
        "playing": True,
        "now_playing": {"track_id": "t1", "title": "Song", "artist": "Band", "reason": "fits happy"},
        "volume": 0.5,
        "strategy": "match",
        "profile": "default",
        "audio": "lost",
        "queue": ["t2", "t3"],
        "health": {"fps": 1.0},
    }
    base.update(over)
    return base


def test_state_values_cover_every_state_topic_with_schema() -> None:
    values = state_values(_state())
    assert set(values) == set(STATE_KEYS)
    assert all(v["schema"] == PAYLOAD_SCHEMA for v in values.values())
    assert values["mood"]["value"] == "happy" and values["mood"]["status"] == "live"
    assert values["confidence"]["value"] == 0.812
    assert values["arousal"]["value"] == 0.25  # numpy scalar unwrapped
    assert values["now_playing"]["value"]["reason"] == "fits happy"
    assert values["volume"]["value"] == 0.5
    assert values["audio"]["value"] == "lost"
    assert [state_values(_state(audio=a))["audio"]["value"] for a in ("ok", "starting", None, 1)] == [
        "ok", None, None, None]  # fmt: skip
    assert "queue" not in values and "health" not in values  # whitelist only
    encode(values["arousal"])  # JSON-safe


def test_camera_off_blanks_the_mood_topics_instead_of_repeating_stale_values() -> None:
    values = state_values(_state(camera=False))
    assert values["mood"]["value"] == "unknown"
    for key in ("mood", "confidence", "valence", "arousal", "face"):
        assert values[key]["status"] == CAMERA_OFF
    for key in ("confidence", "valence", "arousal", "face"):
        assert values[key]["value"] is None
    assert values["camera"]["value"] is False
    assert values["volume"]["value"] == 0.5  # unrelated state stays


def test_encode_refuses_image_data_and_oversized_payloads() -> None:
    with pytest.raises(PayloadError, match="binary"):
        encode({"frame": b"\xff\xd8\xff\xe0"})
    with pytest.raises(PayloadError, match="arrays"):
        encode({"frame": np.zeros((48, 48), np.uint8)})
    with pytest.raises(PayloadError, match="publish limit"):
        encode({"text": "x" * MAX_PUBLISH_BYTES})
    with pytest.raises(PayloadError, match="not JSON"):
        encode({"obj": object()})
    assert json.loads(encode({"v": float("nan"), "t": (1, 2)})) == {"v": None, "t": [1, 2]}


def test_mood_changed_payload_has_event_type_for_home_assistant() -> None:
    payload = event_payload(MoodChanged(ts=1.0, mood="sad", previous="happy", confidence=0.7, valence=-0.5,
                                        arousal=-0.2))  # fmt: skip
    assert payload["event_type"] == "sad" and payload["event"] == "mood_changed"
    assert payload["schema"] == PAYLOAD_SCHEMA


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("next", b"", {}),
        ("next", b"{}", {}),
        ("set_volume", b'{"volume": 0.3}', {"volume": 0.3}),
        ("set_volume", b"0.3", {"volume": 0.3}),  # shorthand for one-argument commands
        ("set_camera", b"false", {"enabled": False}),
        ("set_strategy", b'"steady"', {"strategy": "steady"}),
        ("nonsense", b'{"a": 1}', {"a": 1}),  # left to ControlAPI, which names the known commands
    ],
)
def test_parse_command_accepts(name: str, raw: bytes, expected: dict[str, object]) -> None:
    assert parse_command(COMMANDS.get(name), name, raw) == expected


@pytest.mark.parametrize(
    ("name", "raw", "error"),
    [
        ("set_volume", b"{nope", "not valid JSON"),
        ("set_volume", b"\xff\xfe", "not UTF-8"),
        ("set_volume", b"x" * (MAX_COMMAND_BYTES + 1), "command limit"),
        ("next", b"[1, 2]", "takes no arguments"),
        ("nonsense", b"1", "takes no arguments"),
        ("set_volume", b"[" * 3000 + b"]" * 3000, "command limit"),
    ],
)
def test_parse_command_rejects(name: str, raw: bytes, error: str) -> None:
    with pytest.raises(PayloadError, match=error):
        parse_command(COMMANDS.get(name), name, raw)


def test_discovery_is_device_based_and_complete() -> None:
    cfg = discovery_config(
        T, name="Kitchen", profiles=["default", "alex"], web_url="http://kitchen.local:8080/"
    )
    assert cfg["dev"]["identifiers"] == ["moodspeaker_kitchen"]
    assert cfg["dev"]["configuration_url"] == "http://kitchen.local:8080/"
    assert cfg["o"]["name"] == "moodspeaker" and cfg["o"]["sw"]
    assert cfg["availability_topic"] == T.availability
    cmps = cfg["cmps"]
    platforms = {key: c["p"] for key, c in cmps.items()}
    assert platforms == {
        "mood": "sensor", "confidence": "sensor", "valence": "sensor", "arousal": "sensor",
        "now_playing": "sensor", "face": "binary_sensor", "camera": "switch", "strategy": "select",
        "profile": "select", "asked": "select", "volume": "number", "play": "button", "pause": "button",
        "next": "button", "replay": "button", "like": "button", "dislike": "button", "rescan": "button",
        "calmer": "button", "livelier": "button", "mood_changed": "event", "command_rejected": "event",
        "stats": "sensor", "scan": "sensor", "audio": "binary_sensor", "playing": "binary_sensor",
        "mqtt": "sensor",
    }  # fmt: skip
    uids = [c["unique_id"] for c in cmps.values()]
    assert len(set(uids)) == len(uids) and all(u.startswith("moodspeaker_kitchen_") for u in uids)
    assert cmps["mood"]["device_class"] == "enum" and cmps["mood"]["options"] == list(MOOD_OPTIONS)
    assert set(EXPRESSIONS) < set(MOOD_OPTIONS)
    assert cmps["strategy"]["options"] == list(STRATEGIES)
    assert cmps["profile"]["options"] == ["default", "alex"]
    assert cmps["mood_changed"]["event_types"][: len(EXPRESSIONS)] == list(EXPRESSIONS)
    for c in cmps.values():  # every command an entity sends is a real ControlAPI command of this speaker
        if "command_topic" in c:
            parsed = T.command_of(c["command_topic"])
            assert parsed is not None and parsed[0] in COMMANDS and parsed[1] is False
    # HA's topic matcher: the object id in the discovery topic must be [a-zA-Z0-9_-]+
    assert re.fullmatch(r"homeassistant/device/[a-zA-Z0-9_-]+/config", T.discovery)
    assert "configuration_url" not in discovery_config(T, name="K", profiles=["d"], web_url="")["dev"]


def _settings(**changes: object) -> ConnectionSettings:
    return ConnectionSettings.from_config(
        with_changes(Config(), {f"mqtt.{k}": v for k, v in changes.items()}).mqtt
    )


def test_settings_validated_together(tmp_path: Path) -> None:
    with pytest.raises(MqttSetupError, match=r"username and mqtt\.password must be set together"):
        _settings(username="ha")
    with pytest.raises(MqttSetupError, match=r"mqtt\.password is empty|mqtt\.username is empty"):
        _settings(password="secret")
    with pytest.raises(MqttSetupError, match=r"mqtt\.tls is off"):
        _settings(ca_file=str(tmp_path / "ca.crt"))
    with pytest.raises(MqttSetupError, match="no such file"):
        _settings(tls=True, ca_file=str(tmp_path / "missing.crt"))
    with pytest.raises(MqttSetupError, match=r"cert_file and mqtt\.key_file"):
        _settings(tls=True, cert_file=str(tmp_path / "c.crt"))
    ok = _settings(username="ha", password="secret", port=8883)
    assert ok.username == "ha" and ok.port == 8883


def test_configuration_url_is_reachable_from_home_assistant() -> None:
    lan = lambda: "192.168.1.20"  # noqa: E731
    assert reachable_url("http://127.0.0.1:8080/", lan) == "http://192.168.1.20:8080/"
    assert reachable_url("http://localhost/", lan) == "http://192.168.1.20/"
    assert reachable_url("http://speaker.local:8080/", lan) == "http://speaker.local:8080/"
    assert reachable_url("http://127.0.0.1:8080/", lambda: None) == ""  # no link beats a wrong one
    assert reachable_url("", lan) == ""
