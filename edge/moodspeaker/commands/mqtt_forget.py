"""`moodspeaker mqtt forget`: remove this speaker from Home Assistant and clear its retained MQTT topics."""

from __future__ import annotations

import argparse
import sys

from moodspeaker.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device-id", help="the speaker to remove (default: this speaker's id)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the broker")


def run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.mqtt.admin import forget_device
    from moodspeaker.mqtt.client import MqttSetupError
    from moodspeaker.mqtt.topics import TopicError

    try:
        cleared = forget_device(config, args.device_id, timeout=args.timeout)
    except (MqttSetupError, TopicError) as exc:
        print(f"moodspeaker mqtt forget: {exc}", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        hint = "check that the broker runs and mqtt.host, mqtt.port and mqtt.tls (moodspeaker config show)"
        if not config.mqtt.enabled:  # maybe not the speaker's config at all
            hint += "; mqtt.enabled is false here: on the speaker, use its config (sudo, or --config FILE)"
        print(f"moodspeaker mqtt forget: {exc}; {hint}", file=sys.stderr)
        return 1
    print(f"removed from Home Assistant: {cleared[0]}")
    print(f"cleared {len(cleared) - 1} retained topics under {cleared[1].rsplit('/', 1)[0]}/")
    print("if the speaker's service is still running it will announce itself again: stop it first")
    return 0
