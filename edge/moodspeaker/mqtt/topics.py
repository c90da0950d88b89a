"""Topic layout of one speaker and the stable device id that keeps several speakers apart.

Every topic of a speaker lives under `<base>/<device_id>/`; `<base>/all/` is the group address that
every speaker on the broker also listens to, so one command can reach the whole house.  The layout
is documented in TOPICS.md next to this file; this module is the only place that spells it out.
Pure: no I/O except `machine_id()`, which is passed into `resolve_device_id` by the caller.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from moodspeaker.config.declare import TOPIC_PREFIX

#: The group "device id": commands under `<base>/all/…/set` reach every speaker.
GROUP_ID = "all"

#: The retained state keys, one topic each under `<base>/<device_id>/state/`.
STATE_KEYS = (
    "mood",
    "confidence",
    "valence",
    "arousal",
    "face",
    "asked",
    "camera",
    "playing",
    "now_playing",
    "volume",
    "strategy",
    "profile",
    "scan",
    "audio",
)

#: Home Assistant only accepts these characters in a discovery object id; we use the same for topics.
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class TopicError(ValueError):
    """A device id or base topic that cannot be used; the message says which and why."""


def check_device_id(device_id: str) -> str:
    """Validate a device id for use in topics and HA discovery (lower-case letters, digits, _ and -)."""
    if not _ID_RE.match(device_id):
        raise TopicError(
            f"device id {device_id!r} is not usable in MQTT topics: use 1-64 lower-case letters, "
            "digits, '_' or '-', starting with a letter or digit"
        )
    if device_id == GROUP_ID:
        raise TopicError(f"device id {GROUP_ID!r} is reserved for commands addressed to every speaker")
    return device_id


def slug(text: str) -> str:
    """Turn a configured id such as 'Living Room' into 'living-room' (the form topics need)."""
    out = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-_")
    return out[:64]


def machine_id(paths: tuple[str, ...] = ("/etc/machine-id", "/var/lib/dbus/machine-id")) -> str:
    """The OS's stable machine id, or '' when the system has none (containers, some test hosts)."""
    for path in paths:
        try:
            text = Path(path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return text
    return ""


def resolve_device_id(configured: str, machine: str, fallback: str = "") -> str:
    """The device id: the configured one (slugged), else a hash of the machine id, else of `fallback`.

    The machine id is hashed, never published: it is a system secret on some distributions, and a
    12-hex-digit digest is still unique across a household's speakers.
    """
    if configured.strip():
        device_id = slug(configured)
        if not device_id:  # nothing of it survives as a topic level: name what was typed
            raise TopicError(
                f"device.id {configured!r} has none of the characters MQTT topics and Home Assistant "
                "take (letters a-z, digits, '_' or '-'): write it in those, e.g. 'kitchen'"
            )
        return check_device_id(device_id)
    source = machine or fallback
    if not source:
        raise TopicError("no device id configured and no machine id to derive one from: set device.id")
    digest = hashlib.sha256(b"moodspeaker-device:" + source.encode("utf-8")).hexdigest()[:12]
    return check_device_id(f"moodspeaker-{digest}")


def check_base_topic(base: str, setting: str = "mqtt.base_topic") -> str:
    """A topic prefix must be a plain topic (no wildcards, no empty levels, no leading/trailing '/').

    The config loader refuses such settings already (declare.TOPIC_PREFIX); this guards the callers
    that build Topics from other sources (`moodspeaker mqtt` commands, tests)."""
    if not TOPIC_PREFIX.match(base):
        raise TopicError(
            f"{setting} {base!r} is not a usable topic prefix (no wildcards, spaces, empty levels, "
            "no '/' at either end, no leading '$')"
        )
    return base


@dataclass(frozen=True)
class Topics:
    """All topic names of one speaker (and its group address)."""

    base: str
    device_id: str
    discovery_prefix: str = "homeassistant"

    def __post_init__(self) -> None:
        check_base_topic(self.base)
        check_base_topic(self.discovery_prefix, "mqtt.discovery_prefix")
        check_device_id(self.device_id)

    @property
    def root(self) -> str:
        return f"{self.base}/{self.device_id}"

    @property
    def group_root(self) -> str:
        return f"{self.base}/{GROUP_ID}"

    @property
    def availability(self) -> str:
        return f"{self.root}/availability"

    def state(self, key: str) -> str:
        return f"{self.root}/state/{key}"

    def event(self, kind: str) -> str:
        return f"{self.root}/event/{kind}"

    @property
    def stats(self) -> str:
        return f"{self.root}/stats"

    def command(self, name: str) -> str:
        return f"{self.root}/{name}/set"

    def group_command(self, name: str) -> str:
        return f"{self.group_root}/{name}/set"

    @property
    def command_filters(self) -> tuple[str, str]:
        """Subscriptions that receive this speaker's commands and the group's."""
        return (f"{self.root}/+/set", f"{self.group_root}/+/set")

    @property
    def discovery(self) -> str:
        return f"{self.discovery_prefix}/device/{self.device_id}/config"

    @property
    def ha_status(self) -> str:
        return f"{self.discovery_prefix}/status"

    def command_of(self, topic: str) -> tuple[str, bool] | None:
        """Which command a `…/<name>/set` topic carries and whether it was the group address."""
        for root, group in ((self.root, False), (self.group_root, True)):
            prefix = root + "/"
            if topic.startswith(prefix) and topic.endswith("/set"):
                name = topic[len(prefix) : -len("/set")]
                if name and "/" not in name:
                    return name, group
        return None

    def retained_topics(self) -> list[str]:
        """Every retained topic this speaker owns (cleared when the device is removed)."""
        return [self.availability, *(self.state(k) for k in STATE_KEYS), self.stats]
