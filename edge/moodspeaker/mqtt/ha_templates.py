"""The Jinja templates Home Assistant's MQTT entities render the speaker's state topics with.

Each reads the JSON payload of a state topic (`value_json`, TOPICS.md) and renders what the entity
shows.  A template renders `None` for "no value" (a null, or a state HA's entity does not know): HA
then shows the entity as unknown instead of logging a template error, as arithmetic on a null does
(`None * 100`), so every template that computes guards its value first (`is number`, `is none`).
Pure strings: discovery.py puts them in the discovery message.
"""

from __future__ import annotations

import json

from moodspeaker.mood.classes import ALL_EXPRESSIONS
from moodspeaker.mqtt.payloads import AUDIO_LOST, AUDIO_OK, CAMERA_OFF, SCAN_FIELDS
from moodspeaker.service.events import MOOD_CAMERA

NONE = "None"  # what a template renders for "no value"; HA then shows the entity as unknown

MOOD_TEMPLATE = (
    "{% if value_json.status == '" + CAMERA_OFF + "' %}" + CAMERA_OFF
    + "{% elif value_json.value in " + json.dumps(list(ALL_EXPRESSIONS)) + " %}{{ value_json.value }}"
    + "{% else %}" + NONE + "{% endif %}"
)  # fmt: skip
#: The Mood sensor's attribute: where the mood shown comes from (`camera`, `asked`, `corrected`; null with
#: no mood in force), so an automation on the listener's looks can leave out a mood asked for.
MOOD_ATTRIBUTES = "{{ {'source': value_json.get('source')} | tojson }}"
#: The "Music mood" select: the mood asked for (`ask_mood`), else its option "camera" (the camera's mood).
ASKED_TEMPLATE = (
    "{% if value_json.value in " + json.dumps(list(ALL_EXPRESSIONS)) + " %}{{ value_json.value }}"
    + "{% else %}" + MOOD_CAMERA + "{% endif %}"
)  # fmt: skip
PERCENT_TEMPLATE = (
    "{% if value_json.value is number %}{{ (value_json.value * 100) | round(1) }}{% else %}None{% endif %}"
)
#: The mood's confidence in whole percents, as shown: HA writes a new state only when the rendered value
#: changes, and in tenths it changed (a row in its database) at nearly every reading.
CONFIDENCE_TEMPLATE = (
    "{% if value_json.value is number %}{{ (value_json.value * 100) | round(0) | int }}"
    "{% else %}None{% endif %}"
)  # fmt: skip
VALUE_TEMPLATE = "{% if value_json.value is none %}None{% else %}{{ value_json.value }}{% endif %}"
BOOL_TEMPLATE = "{% if value_json.value is none %}None{% elif value_json.value %}ON{% else %}OFF{% endif %}"
#: The audio output as a problem: ON while it is lost, OFF while it plays, unknown while it is starting.
AUDIO_PROBLEM_TEMPLATE = (
    "{% if value_json.value == '" + AUDIO_LOST + "' %}ON"
    + "{% elif value_json.value == '" + AUDIO_OK + "' %}OFF"
    + "{% else %}" + NONE + "{% endif %}"
)  # fmt: skip
#: "Artist - Title", or just the title of an untagged file (no artist): never " - Title".
NOW_PLAYING_TEMPLATE = (
    "{% if value_json.value %}"
    "{{ ([value_json.value.artist, value_json.value.title] | select | join(' - '))[:255] }}"
    "{% else %}None{% endif %}"
)
NOW_PLAYING_ATTRIBUTES = "{{ (value_json.value or {}) | tojson }}"
#: The scan's numbers as attributes, by name (`get`: a key an older speaker lacks is null, not an error).
SCAN_ATTRIBUTES = "{{ {" + ", ".join(f"'{k}': value_json.get('{k}')" for k in SCAN_FIELDS) + "} | tojson }}"

#: The stats' link counters (`mqtt`: connects, published, refused, ...): the "mqtt" entity's state is
#: the count of messages published, its attributes all of them.
MQTT_SENT_TEMPLATE = "{{ (value_json.get('mqtt') or {}).get('published') }}"
MQTT_ATTRIBUTES = "{{ (value_json.get('mqtt') or {}) | tojson }}"
