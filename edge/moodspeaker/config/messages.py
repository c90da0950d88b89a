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

from moodspeaker.util.net import MASK, URL_LISTS, mask_url

if TYPE_CHECKING:  # load.py imports this module; the type is only needed for checking
    from moodspeaker.config.load import SettingInfo

#: Words of setting keys shown in capitals in the labels.
ABBREVIATIONS = {"id": "ID", "tls": "TLS", "ca": "CA", "lufs": "LUFS", "led": "LED", "mqtt": "MQTT"}

#: Settings the schema keeps as a fraction from 0 to 1 that the page shows, takes and refuses in %
#: (Settings -> Start volume (%), like the Now tab's slider).  `config set player.volume=50`, typed
#: from what the page shows, was refused with only "expected a number from 0 to 1", no word of the %.
SHOWN_IN_PERCENT = frozenset({"player.volume"})

#: The end of a key that names its unit, dropped from the label when the unit is shown after it
#: ("Server cache (MB)", "Interval (s)"): "server_cache_mb" read "Server cache mb" and, with "mb"
#: in it, the form took the unit as named already and left "(MB)" out.
UNIT_SUFFIXES = {"s": "_s", "MB": "_mb"}

#: How much of a typed value a refusal repeats (a pasted page must not fill the screen).
SHOWN_CHARS = 40


def label_of(key: str, unit: str = "", override: str = "") -> str:
    """The setting's name in words, as the form shows it above the field: the schema's own `label`
    when it has one ("Start volume"), else the key in words.  A trailing `_s` goes when the unit is
    seconds (the form shows "(s)" after the label), a trailing `_mb` when it is MB (UNIT_SUFFIXES);
    only the suffix: `uplift_steps` once read "Upliftteps".  Abbreviations stay capitals."""
    if override:
        return override
    suffix = UNIT_SUFFIXES.get(unit)
    key = key.removesuffix(suffix) if suffix else key
    text = " ".join(ABBREVIATIONS.get(word, word) for word in key.split("_"))
    return text[:1].upper() + text[1:]


def plain_number(value: float) -> str:
    """A number as a person types it: no exponent, no ".0" on a whole one ("1000000", not '%g''s
    "1e+06").  The settings page's help shows its ranges with it too, so the two read alike."""
    return str(int(value)) if float(value).is_integer() else f"{value:f}".rstrip("0").rstrip(".")


def expected(info: SettingInfo) -> str:
    """What the setting takes, with its range and unit: "a number from 0 to 60 s"."""
    if info.kind == "choice":
        return "one of " + ", ".join(repr(c) for c in info.choices)
    if info.absolute:
        return "a full path (starting with / or ~)"
    if info.topic:
        return (
            "an MQTT topic prefix such as 'moodspeaker' or 'home/speakers' (no '#', '+', spaces or "
            "empty levels, no '/' at either end, no '$' first)"
        )
    unit = f" {info.unit}" if info.unit else ""
    bounds = ""
    if info.min is not None and info.max is not None:
        bounds = f" from {plain_number(info.min)} to {plain_number(info.max)}{unit}"
    elif info.min is not None:
        bounds = f" of at least {plain_number(info.min)}{unit}"
    elif info.max is not None:
        bounds = f" of at most {plain_number(info.max)}{unit}"
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
    `reason` (`expected(info)`, or what `coerce` said more precisely).

    A setting the page shows in % (SHOWN_IN_PERCENT) says that the key itself is a fraction and
    what the page's % is here, and a value that reads as a percentage gets the fraction to write:
    "player.volume = '50' is invalid: expected a fraction from 0 to 1 (0.5 = 50 %; the page shows it
    in %): for 50 % write 0.5"."""
    if info.dotted in SHOWN_IN_PERCENT and reason == expected(info):
        reason = f"{_fraction(info)} (0.5 = 50 %; the page shows it in %)" + _as_fraction(value)
    return f"{info.dotted} = {_as_written(info, value)} is invalid: expected {reason}"


def _as_written(info: SettingInfo, value: Any) -> str:
    """The refused value as a refusal repeats it (repr), less its secrets: a password's value is
    MASK, and the URLs of a server list (library.servers) have their passwords masked (mask_url):
    a refusal is printed, logged and shown on the page."""
    if info.secret:
        return repr(MASK)
    if info.dotted in URL_LISTS:
        if isinstance(value, str):
            return repr(mask_url(value))
        if isinstance(value, list | tuple):
            return repr([mask_url(v) if isinstance(v, str) else v for v in value])
    return repr(value)


def _fraction(info: SettingInfo) -> str:
    low = 0.0 if info.min is None else info.min
    high = 1.0 if info.max is None else info.max
    return f"a fraction from {plain_number(low)} to {plain_number(high)}"


def _as_fraction(value: Any) -> str:
    """ ": for 50 % write 0.5" when `value` reads as a percentage above 1 (else "")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if isinstance(value, bool) or not math.isfinite(number) or not 1 < number <= 100:
        return ""
    return f": for {number:g} % write {number / 100:g}"


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
