"""Home Assistant's buttons of the speaker: what each sends to which command (discovery.py lists them).

A button presses once with a fixed payload (`payload_press`): `{}` for a command without arguments,
the argument as JSON for one that takes it, as `steer`'s two directions do ("Something calmer" and
"Something livelier", the page's Tell box's words).  The key is the component's key in the discovery
message, so its unique_id is `<unique id base>_<key>` as every other entity's.
"""

from __future__ import annotations

import json
from typing import NamedTuple


class Button(NamedTuple):
    key: str
    command: str
    label: str
    icon: str
    payload: str = "{}"
    category: str | None = None  # HA's entity_category: None for the controls a household uses


def _steer(direction: str) -> str:
    return json.dumps({"direction": direction}, separators=(",", ":"))


BUTTONS = (
    Button("play", "play", "Play", "mdi:play"),
    Button("pause", "pause", "Pause", "mdi:pause"),
    Button("next", "next", "Next track", "mdi:skip-next"),
    Button("replay", "replay", "Play again", "mdi:replay"),
    Button("like", "like", "Like track", "mdi:thumb-up"),
    Button("dislike", "dislike", "Wrong for this mood", "mdi:thumb-down"),
    Button("calmer", "steer", "Something calmer", "mdi:leaf", _steer("calmer")),
    Button("livelier", "steer", "Something livelier", "mdi:lightning-bolt", _steer("livelier")),
    Button("rescan", "rescan", "Rescan library", "mdi:folder-refresh", category="config"),
)
