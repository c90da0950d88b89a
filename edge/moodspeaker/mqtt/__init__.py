"""MQTT for home automation: state and events out, commands in, Home Assistant discovery.

The runtime starts one `MqttBridge(config, control, bus, device_id, web_url)` when `mqtt.enabled`;
the topics and payloads are documented in TOPICS.md next to this file.
"""

from moodspeaker.mqtt.bridge import MqttBridge
from moodspeaker.mqtt.client import MqttSetupError
from moodspeaker.mqtt.topics import TopicError, Topics

__all__ = ["MqttBridge", "MqttSetupError", "TopicError", "Topics"]
