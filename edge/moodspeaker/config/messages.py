"""How a setting is named and refused, in words: one source for the config file's checks, the CLI
(`moodspeaker config set`, `--set`) and the web page's settings form.

A refusal names the setting and what it takes, with the unit: the form once said only "Expected a
number from 0 to 60." under a field, which left a person guessing which setting and in what unit (and
a log line with it named nothing at all).  The file and the CLI name the config key
("camera.interval_s = 99 is invalid: expected a number from 0 to 60 s"); the form names the label the
person sees above the field ("Interval must be a number from 0 to 60 s, not 99.").  Both take the
allowed form from `expected`, so the two cannot drift apart.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # load.py imports this module; the type is only needed for checking
    from moodspeaker.config.load import SettingInfo

#: Words of setting keys shown in capitals in the labels.
ABBREVIATIONS = {"id": "ID", "tls": "TLS", "ca": "CA", "lufs": "LUFS", "led": "LED", "mqtt": "MQTT"}

#: How much of a typed value a refusal repeats (a pasted page must not fill the screen).
SHOWN_CHARS = 40


def label_of(key: str, unit: str = "", override: str = "") -> str:
    """The setting's name in words, as the form shows it above the field: the schema's own `label`
    when it has one ("Start volume"), else the key in words.  A trailing `_s` goes when the unit is
    seconds (the form shows "(s)" after the label); only the suffix: `uplift_steps` once read
    "Upliftteps".  Abbreviations stay capitals."""
    if override:
        return override
    key = key.removesuffix("_s") if unit == "s" else key
    text = " ".join(ABBREVIATIONS.get(word, word) for word in key.split("_"))
    return text[:1].upper() + text[1:]


def expected(info: SettingInfo) -> str:
    """What the setting takes, with its range and unit: "a number from 0 to 60 s"."""
    if info.kind == "choice":
        return "one of " + ", ".join(repr(c) for c in info.choices)
    if info.absolute:
        return "a full path (starting with / or ~)"
    unit = f" {info.unit}" if info.unit else ""
    bounds = ""
    if info.min is not None and info.max is not None:
        bounds = f" from {info.min:g} to {info.max:g}{unit}"
    elif info.min is not None:
        bounds = f" of at least {info.min:g}{unit}"
    elif info.max is not None:
        bounds = f" of at most {info.max:g}{unit}"
    names = {
        "bool": "true or false",
        "int": "a whole number",
        "float": "a number",
        "str": "a non-empty text string" if info.required else "a text string",
        "list": "a list of text strings",
    }
    return names[info.kind] + bounds


def refused_in_file(info: SettingInfo, value: Any, reason: str) -> str:
    """A refusal for the config file, `config set` and `--set`: the key, the value as written, and
    `reason` (`expected(info)`, or what `coerce` said more precisely)."""
    return f"{info.dotted} = {value!r} is invalid: expected {reason}"


def shown(typed: Any) -> str:
    """A typed value as a refusal repeats it: a number as typed, other text in quotes, cut short."""
    text = str(typed)
    try:
        if math.isfinite(float(text)):
            return text
    except ValueError:
        pass
    cut = text[:SHOWN_CHARS] + ("…" if len(text) > SHOWN_CHARS else "")
    return f"“{cut}”"


def refused_on_form(label: str, reason: str, typed: Any = None) -> str:
    """A refusal under a form field: the field's label, what it takes, and (when given) what was
    typed: "Interval must be a number from 0 to 60 s, not 99."."""
    tail = "" if typed is None or str(typed) == "" else f", not {shown(typed)}"
    return f"{label} must be {reason}{tail}."


def problem_on_form(label: str, problem: str) -> str:
    """A refusal from a check beyond the type and range (a system folder, a control character),
    named by the field's label: "Folders: '/etc' is a system folder, not a music folder."."""
    return f"{label}: {problem}."
