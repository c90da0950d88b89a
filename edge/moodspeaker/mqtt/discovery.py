"""Home Assistant MQTT discovery: one device-based config message describing every entity.

Follows HA's current device-based discovery: one retained message on
`<discovery_prefix>/device/<device_id>/config` with the device (`dev`), the origin (`o`), the shared
availability topic and the components (`cmps`), each with its platform and a unique_id.  An empty
retained payload on the same topic removes the device and all its entities from HA; a component given
with its platform alone (`{"p": "sensor"}`) removes that one entity (stale_components).
Entities read the speaker's own JSON state topics through value templates, so HA and any other
consumer see the same documented payloads.  Pure: builds dictionaries, publishes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from moodspeaker import __version__
from moodspeaker.mood.classes import ALL_EXPRESSIONS, MOODS
from moodspeaker.mqtt.buttons import BUTTONS
from moodspeaker.mqtt.client import QOS
from moodspeaker.mqtt.payloads import (
    AUDIO_LOST,
    AUDIO_OK,
    CAMERA_OFF,
    IDLE,
    MAX_PUBLISH_BYTES,
    REJECTED,
    SCAN_FIELDS,
    SCANNING,
    encoded_size,
)
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.control import STRATEGIES

#: Options of the mood enum sensor: every expression a model may have (FER+'s contempt too: the shipped
#: model has it) plus the camera-off state (unknown is HA's own).  A mood missing here would show as
#: unknown, and HA drops an event whose type is not among the event entity's types.
MOOD_OPTIONS = (*ALL_EXPRESSIONS, CAMERA_OFF)
#: Event types of the "mood changed" event entity: every mood the filter can report.
MOOD_EVENT_TYPES = MOODS

_NONE = "None"  # what a template renders for "no value"; HA then shows the entity as unknown

_MOOD_TEMPLATE = (
    "{% if value_json.status == '" + CAMERA_OFF + "' %}" + CAMERA_OFF
    + "{% elif value_json.value in " + json.dumps(list(ALL_EXPRESSIONS)) + " %}{{ value_json.value }}"
    + "{% else %}" + _NONE + "{% endif %}"
)  # fmt: skip
_PERCENT_TEMPLATE = (
    "{% if value_json.value is number %}{{ (value_json.value * 100) | round(1) }}{% else %}None{% endif %}"
)
#: The mood's confidence in whole percents, as shown: HA writes a new state only when the rendered value
#: changes, and in tenths it changed (a row in its database) at nearly every reading.
_CONFIDENCE_TEMPLATE = (
    "{% if value_json.value is number %}{{ (value_json.value * 100) | round(0) | int }}"
    "{% else %}None{% endif %}"
)  # fmt: skip
_VALUE_TEMPLATE = "{% if value_json.value is none %}None{% else %}{{ value_json.value }}{% endif %}"
_BOOL_TEMPLATE = "{% if value_json.value is none %}None{% elif value_json.value %}ON{% else %}OFF{% endif %}"
#: The audio output as a problem: ON while it is lost, OFF while it plays, unknown while it is starting.
_AUDIO_PROBLEM_TEMPLATE = (
    "{% if value_json.value == '" + AUDIO_LOST + "' %}ON"
    + "{% elif value_json.value == '" + AUDIO_OK + "' %}OFF"
    + "{% else %}" + _NONE + "{% endif %}"
)  # fmt: skip
#: "Artist - Title", or just the title of an untagged file (no artist): never " - Title".
_NOW_PLAYING_TEMPLATE = (
    "{% if value_json.value %}"
    "{{ ([value_json.value.artist, value_json.value.title] | select | join(' - '))[:255] }}"
    "{% else %}None{% endif %}"
)
_NOW_PLAYING_ATTRIBUTES = "{{ (value_json.value or {}) | tojson }}"
#: The scan's numbers as attributes, by name (`get`: a key an older speaker lacks is null, not an error).
_SCAN_ATTRIBUTES = "{{ {" + ", ".join(f"'{k}': value_json.get('{k}')" for k in SCAN_FIELDS) + "} | tojson }}"

#: The stats' link counters (`mqtt`: connects, published, refused, ...): the "mqtt" entity's state is
#: the count of messages published, its attributes all of them.
_MQTT_SENT_TEMPLATE = "{{ (value_json.get('mqtt') or {}).get('published') }}"
_MQTT_ATTRIBUTES = "{{ (value_json.get('mqtt') or {}) | tojson }}"


def unique_id_base(device_id: str) -> str:
    """What every unique_id of the speaker starts with: the device id with the product in front.

    Home Assistant's entity registry is shared by every MQTT device of the house, and a configured
    id such as `kitchen` (`kitchen_mood`) can be another DIY device's as well.  A derived id already
    names the product (`moodspeaker-<hash>`) and stays as it is: a changed unique_id costs the
    entity its registry entry (stale_components), so only the ids that need it change.
    """
    return device_id if device_id.startswith("moodspeaker-") else f"moodspeaker_{device_id}"


def stale_components(announced: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The components of an earlier discovery payload (`announced`, as the broker kept it) that
    `config` does not announce as they were: gone, or another platform or unique_id under their key.

    Each comes back as `{"p": <its platform>}`: a device discovery listing a component with its
    platform alone makes HA remove that entity and its registry entry.  A running HA keeps an
    entity's first unique_id through later discovery updates, and after its next restart makes a
    second entity (`sensor.kitchen_speaker_mood_2`) beside the orphaned one; removed first, the
    entity comes back under the same entity id with the new unique_id.
    """
    old, new = announced.get("cmps"), config["cmps"]
    if not isinstance(old, Mapping):
        return {}
    stale: dict[str, dict[str, str]] = {}
    for key, was in old.items():
        if not isinstance(was, Mapping) or not isinstance(was.get("p"), str) or len(was) == 1:
            continue  # not a component, or one removed already
        now = new.get(key)
        if now is None or (now["p"], now.get("unique_id")) != (was["p"], was.get("unique_id")):
            stale[str(key)] = {"p": was["p"]}
    return stale


def fit_profiles(
    topics: Topics,
    *,
    name: str,
    profiles: Sequence[str],
    web_url: str = "",
    keep: str | None = None,
    limit: int = MAX_PUBLISH_BYTES,
) -> list[str]:
    """The profile select's options: all of `profiles` when the discovery message fits in `limit`
    bytes (the publish limit), else as many as fit, `keep` (the active profile: HA refuses a state
    that is not one of the options) first, then the others in the household's order; listed in that
    order.  A household of ~55 profiles with 64-character names (more with non-ASCII ones) made the
    message too big to publish at all, and Home Assistant lost every entity with it."""
    if encoded_size(discovery_config(topics, name=name, profiles=profiles, web_url=web_url)) <= limit:
        return list(profiles)
    room = limit - encoded_size(discovery_config(topics, name=name, profiles=[], web_url=web_url))
    chosen: set[str] = set()
    for profile in ([keep] if keep is not None and keep in profiles else []) + [
        p for p in profiles if p != keep
    ]:
        cost = len(json.dumps(profile, ensure_ascii=False).encode("utf-8")) + (1 if chosen else 0)
        if profile in chosen or cost > room:
            continue
        chosen.add(profile)
        room -= cost
    return [p for p in dict.fromkeys(profiles) if p in chosen]


def discovery_config(
    topics: Topics,
    *,
    name: str,
    profiles: Sequence[str],
    web_url: str = "",
) -> dict[str, Any]:
    """The device-based discovery payload of one speaker."""
    uid = topics.device_id
    base = unique_id_base(uid)

    def component(key: str, platform: str, entity_name: str, **options: Any) -> tuple[str, dict[str, Any]]:
        # `qos` on each component too: HA before 2026.5 ignored the shared one (core#170166), so its
        # entities subscribed and sent commands at QoS 0.
        entity = {"p": platform, "name": entity_name, "unique_id": f"{base}_{key}", "qos": QOS}
        return key, {**entity, **options}

    def state(key: str) -> str:
        return topics.state(key)

    components = dict(
        (
            component(
                "mood",
                "sensor",
                "Mood",
                device_class="enum",
                options=list(MOOD_OPTIONS),
                state_topic=state("mood"),
                value_template=_MOOD_TEMPLATE,
                icon="mdi:emoticon-outline",
            ),
            component(
                "confidence",
                "sensor",
                "Mood confidence",
                state_topic=state("confidence"),
                value_template=_CONFIDENCE_TEMPLATE,
                unit_of_measurement="%",
                state_class="measurement",
                suggested_display_precision=0,
                icon="mdi:gauge",
            ),
            component(
                "valence",
                "sensor",
                "Valence",
                state_topic=state("valence"),
                value_template=_VALUE_TEMPLATE,
                state_class="measurement",
                suggested_display_precision=2,
                icon="mdi:emoticon-happy-outline",
                # a new value with every reading (camera.interval_s): off until the household wants
                # them, as HA's integrations do with noisy numbers (the topics are published anyway)
                enabled_by_default=False,
            ),
            component(
                "arousal",
                "sensor",
                "Arousal",
                state_topic=state("arousal"),
                value_template=_VALUE_TEMPLATE,
                state_class="measurement",
                suggested_display_precision=2,
                icon="mdi:lightning-bolt-outline",
                enabled_by_default=False,
            ),
            component(
                "now_playing",
                "sensor",
                "Now playing",
                state_topic=state("now_playing"),
                value_template=_NOW_PLAYING_TEMPLATE,
                json_attributes_topic=state("now_playing"),
                json_attributes_template=_NOW_PLAYING_ATTRIBUTES,
                icon="mdi:music",
            ),
            component(
                "scan",
                "sensor",
                "Library scan",
                device_class="enum",
                options=[IDLE, SCANNING],
                state_topic=state("scan"),
                value_template=_VALUE_TEMPLATE,
                json_attributes_topic=state("scan"),
                json_attributes_template=_SCAN_ATTRIBUTES,
                entity_category="diagnostic",
                icon="mdi:folder-sync",
            ),
            component(
                "face",
                "binary_sensor",
                "Listener present",
                device_class="occupancy",
                state_topic=state("face"),
                value_template=_BOOL_TEMPLATE,
            ),
            component(
                "playing",
                "binary_sensor",
                "Playing",
                device_class="running",
                state_topic=state("playing"),
                value_template=_BOOL_TEMPLATE,
                icon="mdi:music-note",
            ),
            component(
                "audio",
                "binary_sensor",
                "Audio output",
                device_class="problem",
                state_topic=state("audio"),
                value_template=_AUDIO_PROBLEM_TEMPLATE,
                entity_category="diagnostic",
            ),
            component(
                "camera",
                "switch",
                "Camera",
                state_topic=state("camera"),
                value_template=_BOOL_TEMPLATE,
                state_on="ON",
                state_off="OFF",
                command_topic=topics.command("set_camera"),
                payload_on='{"enabled":true}',
                payload_off='{"enabled":false}',
                icon="mdi:camera",
            ),
            component(
                "strategy",
                "select",
                "Music strategy",
                options=list(STRATEGIES),
                state_topic=state("strategy"),
                value_template=_VALUE_TEMPLATE,
                command_topic=topics.command("set_strategy"),
                command_template='{"strategy":{{ value | tojson }}}',
                icon="mdi:tune-variant",
            ),
            component(
                "profile",
                "select",
                "Listener profile",
                options=list(profiles),
                state_topic=state("profile"),
                value_template=_VALUE_TEMPLATE,
                command_topic=topics.command("set_profile"),
                command_template='{"profile":{{ value | tojson }}}',
                icon="mdi:account-music",
            ),
            component(
                "volume",
                "number",
                "Volume",
                min=0,
                max=100,
                step=1,
                mode="slider",
                unit_of_measurement="%",
                state_topic=state("volume"),
                value_template=_PERCENT_TEMPLATE,
                command_topic=topics.command("set_volume"),
                command_template='{"volume":{{ (value | float / 100) | round(3) }}}',
                icon="mdi:volume-high",
            ),
            *(
                component(
                    b.key,
                    "button",
                    b.label,
                    command_topic=topics.command(b.command),
                    payload_press=b.payload,
                    icon=b.icon,
                    **({"entity_category": b.category} if b.category else {}),
                )
                for b in BUTTONS
            ),
            component(
                "mood_changed",
                "event",
                "Mood changed",
                state_topic=topics.event("mood_changed"),
                event_types=list(MOOD_EVENT_TYPES),
                icon="mdi:emoticon-outline",
            ),
            component(
                "command_rejected",
                "event",
                "Command refused",
                # a refused press or setting (from HA, the page, any client) in HA's logbook; the
                # command and why are the event's attributes
                state_topic=topics.event("command_rejected"),
                event_types=[REJECTED],
                entity_category="diagnostic",
                icon="mdi:alert-circle-outline",
            ),
            component(
                "stats",
                "sensor",
                "Uptime",
                state_topic=topics.stats,
                # when it started (stats_feed): changes at a restart only, not every minute as a count
                # of seconds did; HA shows it as "3 days ago"
                value_template="{{ value_json.get('started') }}",
                device_class="timestamp",
                entity_category="diagnostic",
                # no attributes: HA records a new state whenever they change, and the link's counters
                # change with every stats message (they are on the "mqtt" entity below)
            ),
            component(
                "mqtt",
                "sensor",
                "MQTT messages sent",
                state_topic=topics.stats,
                value_template=_MQTT_SENT_TEMPLATE,
                state_class="total_increasing",
                json_attributes_topic=topics.stats,
                json_attributes_template=_MQTT_ATTRIBUTES,
                entity_category="diagnostic",
                icon="mdi:lan-connect",
                # a new state at every stats message (every mqtt.stats_interval_s): off until wanted
                enabled_by_default=False,
            ),
        )
    )
    device: dict[str, Any] = {
        "identifiers": [f"moodspeaker_{uid}"],
        "name": name,
        "manufacturer": "Moodspeaker project",
        "model": "Moodspeaker",
        "sw_version": __version__,
    }
    if web_url.startswith(("http://", "https://")):
        device["configuration_url"] = web_url
    return {
        "dev": device,
        "o": {"name": "moodspeaker", "sw": __version__},
        "availability_topic": topics.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "qos": QOS,
        "cmps": components,
    }
