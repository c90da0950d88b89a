"""What an announcement changes in Home Assistant besides the entities themselves: the components of an
earlier discovery to remove (stale_components), and the profile select's options cut to what fits the
publish limit (fit_profiles).  Pure: DiscoveryFeed publishes what these decide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.payloads import MAX_PUBLISH_BYTES, encoded_size
from moodspeaker.mqtt.topics import Topics


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
