"""`moodspeaker mqtt forget`: remove this speaker from Home Assistant and clear its retained MQTT topics."""

from __future__ import annotations

import argparse
import shlex
import sys

from moodspeaker.config import Config
from moodspeaker.util.program import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device-id", help="the speaker to remove (default: this speaker's id)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the broker")


def _config_show(args: argparse.Namespace) -> str:
    """`config show` with the --config and --set this command was given (the settings it used): without
    them, it showed another file's (/etc's, or none)."""
    given = [*(["--config", str(args.config)] if args.config else []), *(f"--set={s}" for s in args.set)]
    return command(" ".join([*map(shlex.quote, given), "config show"]))


def run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.mqtt.admin import forget_device
    from moodspeaker.mqtt.client import MqttSetupError
    from moodspeaker.mqtt.identity import device_id_of
    from moodspeaker.mqtt.topics import TopicError, Topics

    try:
        device = args.device_id or device_id_of(config)
        topics = Topics(config.mqtt.base_topic, device, config.mqtt.discovery_prefix)
        cleared = forget_device(config, device, timeout=args.timeout)
    except (MqttSetupError, TopicError) as exc:
        print(f"moodspeaker mqtt forget: {exc}", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        hint = f"check that the broker runs and mqtt.host, mqtt.port and mqtt.tls ({_config_show(args)})"
        if not config.mqtt.enabled:  # maybe not the speaker's config at all
            hint += "; mqtt.enabled is false here: on the speaker, use its config (sudo, or --config FILE)"
        print(f"moodspeaker mqtt forget: {exc}; {hint}", file=sys.stderr)
        return 1
    where = f"{config.mqtt.host}:{config.mqtt.port}"
    if not cleared:
        print(
            f"moodspeaker mqtt forget: nothing retained for device id {device} on the broker ({where}): "
            f"no {topics.discovery} and nothing under {topics.root}/; is the device id right? "
            f"(`{_config_show(args)}`, or the speaker's page, gives it)",
            file=sys.stderr,
        )
        return 1
    if topics.discovery in cleared:
        print(f"removed from Home Assistant: {topics.discovery}")
    else:
        print(f"Home Assistant had no discovery config for {device} on the broker ({topics.discovery})")
    others = [topic for topic in cleared if topic != topics.discovery]
    print(f"cleared {len(others)} retained topics under {topics.root}/")
    print("if the speaker's service is still running it will announce itself again: stop it first")
    return 0
