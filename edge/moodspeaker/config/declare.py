"""How a setting is declared (`setting`): its default, help text, bounds and how it is shown.

Why a module of its own: the schema (config.schema) is the list of every setting; this is the one
helper its fields are declared with, kept apart so that list stays short.  What `setting` records
(the field's metadata) is what the loader, the CLI and the web form read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any

#: A plain MQTT topic prefix: levels of anything but '/', '#', '+' and white space, no empty level, no
#: '$' first (the broker's own topics).  mqtt.topics checks its prefixes with it too: one spelling.
TOPIC_PREFIX = re.compile(r"^[^/#+\s$][^/#+\s]*(/[^/#+\s]+)*$")


def setting(
    default: Any,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    secret: bool = False,
    unit: str = "",
    advanced: bool = False,
    required: bool = False,
    absolute: bool = False,
    topic: bool = False,
    label: str = "",
    words: Mapping[str, str] | None = None,
) -> Any:
    """Declare one setting: default, a help sentence, and optional bounds.

    `secret` settings (passwords) are never echoed back by the web page or `config show`.
    `required` text may not be blank; `absolute` text is a full path (`~` allowed): a relative or
    empty data folder meant files written wherever the command was started.  `topic` text is an MQTT
    topic prefix (TOPIC_PREFIX): 'homeassistant/' was taken, and Home Assistant, listening under
    'homeassistant/', never saw the speaker's 'homeassistant//device/...'.  `label` names the
    setting on the form (and in its refusals) when the key in words would mislead.  `words` gives
    a choice setting's values in words, {"uplift": "Lift gently"} (SettingInfo.choice_labels): the
    form's options show them and send the value, which stays what the file and `config set` take (a
    value without words shows as it is); the help names each choice by both.
    """
    meta = {
        "help": help,
        "min": min,
        "max": max,
        "secret": secret,
        "unit": unit,
        "advanced": advanced,
        "required": required or absolute or topic,
        "absolute": absolute,
        "topic": topic,
        "label": label,
        "choice_labels": dict(words or {}),
    }
    if isinstance(default, list):
        default = tuple(default)
    if isinstance(default, tuple):
        value = default
        return field(default_factory=lambda: value, metadata=meta)
    return field(default=default, metadata=meta)
