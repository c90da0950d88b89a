"""Home Assistant MQTT discovery: one device-based config message describing every entity.

Follows HA's current device-based discovery: one retained message on
`<discovery_prefix>/device/<device_id>/config` with the device (`dev`), the origin (`o`), the shared
availability topic and the components (`cmps`), each with its platform and a unique_id.  An empty
retained payload on the same topic removes the device and all its entities from HA; a component given
with its platform alone (`{"p": "sensor"}`) removes that one entity (discovery_updates.stale_components).
Entities read the speaker's own JSON state topics through value templates (ha_templates.py), so HA and
any other consumer see the same documented payloads.  Pure: builds dictionaries, publishes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from moodspeaker import __version__
from moodspeaker.mood.classes import ALL_EXPRESSIONS, MOODS
from moodspeaker.mqtt.buttons import BUTTONS
from moodspeaker.mqtt.client import QOS
from moodspeaker.mqtt.ha_templates import (
    ASKED_TEMPLATE,
    AUDIO_PROBLEM_TEMPLATE,
    BOOL_TEMPLATE,
    CONFIDENCE_TEMPLATE,
    MOOD_ATTRIBUTES,
    MOOD_TEMPLATE,
    MQTT_ATTRIBUTES,
    MQTT_SENT_TEMPLATE,
    NOW_PLAYING_ATTRIBUTES,
    NOW_PLAYING_TEMPLATE,
    PERCENT_TEMPLATE,
    SCAN_ATTRIBUTES,
    VALUE_TEMPLATE,
)
from moodspeaker.mqtt.payloads import CAMERA_OFF, IDLE, REJECTED, SCANNING
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.control import STRATEGIES
from moodspeaker.service.events import MOOD_CAMERA

#: Options of the mood enum sensor: every expression a model may have (FER+'s contempt too: the shipped
#: model has it) plus the camera-off state (unknown is HA's own).  A mood missing here would show as
#: unknown, and HA drops an event whose type is not among the event entity's types.
MOOD_OPTIONS = (*ALL_EXPRESSIONS, CAMERA_OFF)
#: Event types of the "mood changed" event entity: every mood the filter can report.
MOOD_EVENT_TYPES = MOODS
#: Options of the "Music mood" select: the camera's mood (no mood asked for), or music of one of them.
ASK_OPTIONS = (MOOD_CAMERA, *ALL_EXPRESSIONS)


def unique_id_base(device_id: str) -> str:
    """What every unique_id of the speaker starts with: the device id with the product in front.

    Home Assistant's entity registry is shared by every MQTT device of the house, and a configured
    id such as `kitchen` (`kitchen_mood`) can be another DIY device's as well.  A derived id already
    names the product (`moodspeaker-<hash>`) and stays as it is: a changed unique_id costs the
    entity its registry entry (stale_components), so only the ids that need it change.
    """
    return device_id if device_id.startswith("moodspeaker-") else f"moodspeaker_{device_id}"


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
                value_template=MOOD_TEMPLATE,
                json_attributes_topic=state("mood"),
                json_attributes_template=MOOD_ATTRIBUTES,
                icon="mdi:emoticon-outline",
            ),
            component(
                "confidence",
                "sensor",
                "Mood confidence",
                state_topic=state("confidence"),
                value_template=CONFIDENCE_TEMPLATE,
                unit_of_measurement="%",
                state_class="measurement",
                suggested_display_precision=0,
                icon="mdi:gauge",
                # how sure the classifier is: a new value while a listener is in view (each whole
                # percent), which the household rarely looks at: a diagnostic, off until wanted, as
                # HA's integrations do with a noisy one such as signal strength (measurement kept:
                # enabled, it gets the statistics a chart wants)
                entity_category="diagnostic",
                enabled_by_default=False,
            ),
            component(
                "valence",
                "sensor",
                "Valence",
                state_topic=state("valence"),
                value_template=VALUE_TEMPLATE,
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
                value_template=VALUE_TEMPLATE,
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
                value_template=NOW_PLAYING_TEMPLATE,
                json_attributes_topic=state("now_playing"),
                json_attributes_template=NOW_PLAYING_ATTRIBUTES,
                icon="mdi:music",
            ),
            component(
                "scan",
                "sensor",
                "Library scan",
                device_class="enum",
                options=[IDLE, SCANNING],
                state_topic=state("scan"),
                value_template=VALUE_TEMPLATE,
                json_attributes_topic=state("scan"),
                json_attributes_template=SCAN_ATTRIBUTES,
                entity_category="diagnostic",
                icon="mdi:folder-sync",
            ),
            component(
                "face",
                "binary_sensor",
                "Listener present",
                device_class="occupancy",
                state_topic=state("face"),
                value_template=BOOL_TEMPLATE,
            ),
            component(
                "playing",
                "binary_sensor",
                "Playing",
                device_class="running",
                state_topic=state("playing"),
                value_template=BOOL_TEMPLATE,
                icon="mdi:music-note",
            ),
            component(
                "audio",
                "binary_sensor",
                "Audio output",
                device_class="problem",
                state_topic=state("audio"),
                value_template=AUDIO_PROBLEM_TEMPLATE,
                entity_category="diagnostic",
            ),
            component(
                "camera",
                "switch",
                "Camera",
                state_topic=state("camera"),
                value_template=BOOL_TEMPLATE,
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
                value_template=VALUE_TEMPLATE,
                command_topic=topics.command("set_strategy"),
                command_template='{"strategy":{{ value | tojson }}}',
                icon="mdi:tune-variant",
            ),
            component(
                "asked",
                "select",
                "Music mood",
                # music of a mood asked for ("play happy songs", `ask_mood`), or the camera's mood again
                options=list(ASK_OPTIONS),
                state_topic=state("asked"),
                value_template=ASKED_TEMPLATE,
                command_topic=topics.command("ask_mood"),
                command_template='{"mood":{{ value | tojson }}}',
                icon="mdi:playlist-music",
            ),
            component(
                "profile",
                "select",
                "Listener profile",
                options=list(profiles),
                state_topic=state("profile"),
                value_template=VALUE_TEMPLATE,
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
                value_template=PERCENT_TEMPLATE,
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
                value_template=MQTT_SENT_TEMPLATE,
                state_class="total_increasing",
                json_attributes_topic=topics.stats,
                json_attributes_template=MQTT_ATTRIBUTES,
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
