"""Household members as profiles: names, and exporting what is stored about one.

No face identification: the active profile is chosen on the page or over MQTT.  Each profile has
its own strategy, learned mapping and history (in the feedback store); export gives all of it as
JSON, delete removes all of it (see store.py for how deletion is made final).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from moodspeaker.util.atomic import atomic_write_text
from moodspeaker.util.export_dates import dated

MAX_PROFILE_NAME = 64


class ProfileError(ValueError):
    """A profile name or operation was refused; the message says why."""


def check_profile_name(name: str) -> str:
    """Profile names are shown on the page and used in MQTT payloads: short, printable, non-empty."""
    if not isinstance(name, str) or not name.strip():
        raise ProfileError("profile name must not be empty")
    if len(name) > MAX_PROFILE_NAME:
        raise ProfileError(f"profile name {name[:20]!r}... is longer than {MAX_PROFILE_NAME} characters")
    if any(ord(ch) < 32 or ch in "|/#+" for ch in name):
        raise ProfileError(f"profile name {name!r} contains a control character or one of | / # +")
    return name.strip()


def write_export(data: dict[str, Any], path: str | Path) -> Path:
    """Write a profile export (`FeedbackStore.export`) as JSON atomically (0600: it is personal data),
    its times as the data export gives them (ISO 8601 in UTC, util.export_dates); returns the path."""
    target = Path(path)
    atomic_write_text(target, json.dumps(dated(data), indent=2, ensure_ascii=False) + "\n", mode=0o600)
    return target
