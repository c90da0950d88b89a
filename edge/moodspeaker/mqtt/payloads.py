"""JSON payloads of the MQTT bridge: state snapshots and events out, commands in.  Pure functions.

Every JSON payload carries `schema` (PAYLOAD_SCHEMA of the event module) so consumers can tell
versions apart.  The privacy invariant is enforced here as well as upstream: state payloads are
built from a whitelist of snapshot keys, and `encode` refuses bytes and arrays (the only forms an
image could take) and anything larger than MAX_PUBLISH_BYTES.  When the camera is off, the mood
topics say so (`status: camera_off`, values null) instead of repeating the last reading; with it on
and nothing read yet they say that (`status: no_reading`, values null), not a reading of zero.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.control import Command
from moodspeaker.service.events import (
    MOOD_ASKED,
    MOOD_CAMERA,
    MOOD_CORRECTED,
    PAYLOAD_SCHEMA,
    CommandRejected,
    Event,
    MoodChanged,
)
from moodspeaker.service.scan_state import PASS_COUNTS, RUN_COUNTS

#: A command payload larger than this is refused before it is even parsed.
MAX_COMMAND_BYTES = 4096
#: Nothing the speaker publishes comes near this; a larger payload means something is wrong (or leaking).
MAX_PUBLISH_BYTES = 16384

#: `status` of the mood topics: a reading (or a correction) in force, the camera off, or the camera on
#: with nothing read since it came on or the speaker started (a source giving no frames).
LIVE = "live"
CAMERA_OFF = "camera_off"
NO_READING = "no_reading"

#: `value` of the library scan topic.
IDLE = "idle"
SCANNING = "scanning"
#: The scan topic's keys besides schema/value/ts, always all present (null when not known) so that
#: consumers (and HA's attribute template) can rely on them.  What each means: service.scan_state.
SCAN_FIELDS = ("phase", "pass", "queued", *PASS_COUNTS, *RUN_COUNTS, "result", "started", "finished")

#: `value` of the audio output topic: the player's own words, its health states (`audio` component);
#: null while the player is starting (ComponentState.STARTING).
AUDIO_OK = ComponentState.OK.value
AUDIO_LOST = ComponentState.LOST.value

#: `event_type` of every `command_rejected` event: the one type of HA's "Command refused" event entity.
REJECTED = "rejected"
#: The topics a mood reading publishes (mood_values' keys).
MOOD_KEYS = ("mood", "confidence", "valence", "arousal", "face")
#: The topics of the mood in force (a correction's too: what the listener told, not who is there); each
#: says where that mood comes from (`source`: a reading, or a mood asked for or corrected).
IN_FORCE_KEYS = ("mood", "confidence", "valence", "arousal")
#: `source` of the mood topics, as mood_changed's: the camera's reading, a mood asked for, a correction.
MOOD_SOURCES = (MOOD_CAMERA, MOOD_ASKED, MOOD_CORRECTED)
_NOW_PLAYING_FIELDS = ("track_id", "title", "artist", "reason")
#: What of the service's health report the stats topic carries: how the speaker runs, nothing about
#: the listener.  Health's "reasons" (the explanations of the tracks started last, each quoting the
#: mood read then: "you look sad (80% sure)") are left out: a retained stats message is kept by the
#: broker for every client to read, also after "delete everything" or the retention took those back
#: (until the next stats, up to mqtt.stats_interval_s later), and it held a history of moods.  A key
#: the report may grow later stays out until it is added here.
STATS_HEALTH_KEYS = ("uptime_s", "memory_rss_mb", "cpu_time_s", "stages", "components", "counters",
                     "incidents", "inference_restarts", "failed_tracks", "recommender")  # fmt: skip
_MAX_TEXT = 300


class PayloadError(ValueError):
    """A payload that cannot be used; the message names the problem (and the byte position for JSON)."""


def _clean(value: Any, path: str) -> Any:
    """JSON-safe copy: numpy scalars unwrapped, non-finite floats as null; bytes and arrays refused."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        raise PayloadError(f"{path}: binary data is never published over MQTT")
    if type(value).__module__ == "numpy":
        if getattr(value, "ndim", 0) != 0:
            raise PayloadError(f"{path}: arrays are never published over MQTT")
        return _clean(value.item(), path)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise PayloadError(f"{path}: {type(value).__name__} is not JSON data")


def _compact(payload: Mapping[str, Any], what: str) -> bytes:
    """Compact UTF-8 JSON of a payload, after the privacy checks (whatever its size)."""
    data = json.dumps(_clean(payload, what), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return data.encode("utf-8")


def encoded_size(payload: Mapping[str, Any], what: str = "payload") -> int:
    """Bytes of `payload` as `encode` sends it, without the size limit (to fit a payload under it)."""
    return len(_compact(payload, what))


def encode(payload: Mapping[str, Any], what: str = "payload") -> bytes:
    """Compact UTF-8 JSON of a payload, after the privacy and size checks."""
    raw = _compact(payload, what)
    if len(raw) > MAX_PUBLISH_BYTES:
        raise PayloadError(f"{what}: {len(raw)} bytes is over the {MAX_PUBLISH_BYTES}-byte publish limit")
    return raw


def _number(value: Any, digits: int = 3) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return round(number, digits) if math.isfinite(number) else None


def mood_values(
    mood: Any,
    confidence: Any,
    valence: Any,
    arousal: Any,
    *,
    face: Any,
    camera: bool,
    source: Any = MOOD_CAMERA,
) -> dict[str, dict[str, Any]]:
    """The five mood topics' payloads (without `ts`); camera off blanks them all.  The mood in force's
    four say where it comes from (`source`, MOOD_SOURCES: anything else is the camera's); `face` is
    always the camera's."""
    if not camera:
        return blank_mood_values(CAMERA_OFF)
    live: dict[str, Any] = {"schema": PAYLOAD_SCHEMA, "status": LIVE}
    told = {**live, "source": source if source in MOOD_SOURCES else MOOD_CAMERA}
    return {
        "mood": {**told, "value": mood if isinstance(mood, str) and mood else UNKNOWN},
        "confidence": {**told, "value": _number(confidence)},
        "valence": {**told, "value": _number(valence)},
        "arousal": {**told, "value": _number(arousal)},
        "face": {**live, "value": face if isinstance(face, bool) else None},
    }


def blank_mood_values(status: str) -> dict[str, dict[str, Any]]:
    """The five mood topics' payloads (without `ts`) with no reading: `mood` unknown, the rest null,
    and why (`status`: CAMERA_OFF or NO_READING); no mood in force, so `source` is null too."""
    blank: dict[str, Any] = {"schema": PAYLOAD_SCHEMA, "status": status}
    values = {key: {**blank, "value": UNKNOWN if key == "mood" else None} for key in MOOD_KEYS}
    for key in IN_FORCE_KEYS:
        values[key]["source"] = None
    return values


def asked_value(mood: Any, source: Any) -> dict[str, Any]:
    """The `asked` topic's payload (without `ts`): the mood asked for (`ask_mood`) while it is in force,
    else null (the camera's mood, or a correction, is in force), whether the camera is on or off: a
    request for music, not a reading (Home Assistant's "Music mood" select shows it)."""
    asked = source == MOOD_ASKED and isinstance(mood, str) and mood and mood != UNKNOWN
    return {"schema": PAYLOAD_SCHEMA, "value": mood if asked else None}


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def _now_playing(state: Mapping[str, Any]) -> dict[str, Any] | None:
    raw = state.get("now_playing")
    if not isinstance(raw, Mapping) or not raw.get("track_id"):
        return None
    return {k: str(raw.get(k) or "")[:_MAX_TEXT] for k in _NOW_PLAYING_FIELDS}


def scan_value(raw: Any) -> dict[str, Any]:
    """The library scan topic's payload (without `ts`) from the snapshot's `scan` (ScanRun.snapshot).

    `value` is `scanning` from the first request to the end of the last merged pass, else `idle`
    (also before any scan, when the snapshot is empty).  Beside it, as the mood topics carry
    `status`, the numbers the page shows: files seen, analysed `done` of `total`, files kept out as
    too `short`, `queued` (one more pass follows) and, once a run is over, its one-sentence
    `result`.  Built from SCAN_FIELDS only, so whatever else the snapshot may grow stays off the
    broker.
    """
    scan: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    phase, result = scan.get("phase"), scan.get("result")
    out: dict[str, Any] = {
        "schema": PAYLOAD_SCHEMA,
        "value": SCANNING if scan.get("running") is True else IDLE,
        "phase": phase[:_MAX_TEXT] if isinstance(phase, str) and phase else None,
        "pass": _count(scan.get("pass")),
        "queued": scan.get("queued") is True,
    }
    for key in (*PASS_COUNTS, *RUN_COUNTS):
        out[key] = _count(scan.get(key))
    out["result"] = result[:_MAX_TEXT] if isinstance(result, str) and result else None
    out["started"] = _number(scan.get("started"))
    out["finished"] = _number(scan.get("finished"))
    return out


def scan_progress_only(last: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when two scan payloads differ only in the running pass's counts (the frequent change a
    big scan makes per file, which the bridge throttles); a start, end, phase, pass or queued pass
    is a change of state and goes out at once."""
    same = ("value", "phase", "pass", "queued", "result", "started", "finished")
    return last.get("value") == new.get("value") == SCANNING and all(last.get(k) == new.get(k) for k in same)


def state_values(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Payloads (without `ts`) of every retained state topic, from a ControlAPI.state() snapshot.

    Only whitelisted keys are read, so nothing new that the snapshot may grow (health details,
    debug data) reaches the broker by accident.
    """
    camera = bool(state.get("camera", True))
    out = mood_values(
        state.get("mood"),
        state.get("confidence"),
        state.get("valence"),
        state.get("arousal"),
        face=state.get("face"),
        camera=camera,
        source=state.get("mood_source"),
    )
    base: dict[str, Any] = {"schema": PAYLOAD_SCHEMA}
    out["asked"] = asked_value(state.get("mood"), state.get("mood_source"))
    out["camera"] = {**base, "value": camera}
    playing = state.get("playing")
    out["playing"] = {**base, "value": playing if isinstance(playing, bool) else None}
    out["now_playing"] = {**base, "value": _now_playing(state)}
    out["volume"] = {**base, "value": _number(state.get("volume"))}
    for key in ("strategy", "profile"):
        value = state.get(key)
        out[key] = {**base, "value": value if isinstance(value, str) else None}
    out["scan"] = scan_value(state.get("scan"))
    out["audio"] = {**base, "value": audio_value(state.get("audio"))}
    return out


def stats_health(health: Mapping[str, Any]) -> dict[str, Any]:
    """The stats topic's `health`: the service's health report without what it says about the
    listener (STATS_HEALTH_KEYS)."""
    return {key: health[key] for key in STATS_HEALTH_KEYS if key in health}


def audio_value(raw: Any) -> str | None:
    """The audio topic's `value` from the snapshot's (or a `StateChanged("audio")`'s) `audio`: `lost`
    while the output device is gone, `ok` while it plays, null for anything else (`starting`: not
    known yet), so Home Assistant's problem sensor is unknown rather than wrongly OK."""
    return raw if isinstance(raw, str) and raw in (AUDIO_OK, AUDIO_LOST) else None


def event_payload(event: Event, *, reading: bool = True) -> dict[str, Any]:
    """An event's payload; `mood_changed` and `command_rejected` also get `event_type` (what HA's event
    entity keys on: the mood, or REJECTED).  A `mood_changed` to unknown with no `reading` (the camera
    off, or on with nothing read yet: the reading ended) has null numbers: the service's 0.0 there is
    no reading of zero confidence, valence and arousal."""
    payload = event.to_payload()
    if isinstance(event, MoodChanged):
        payload["event_type"] = event.mood
        if event.mood == UNKNOWN and not reading:
            payload.update(confidence=None, valence=None, arousal=None)
    elif isinstance(event, CommandRejected):
        payload["event_type"] = REJECTED
    return payload


def stamp(payload: Mapping[str, Any], ts: float) -> dict[str, Any]:
    """A copy of `payload` with the time it was published."""
    return {**payload, "ts": round(ts, 3)}


def parse_command(command: Command | None, name: str, raw: bytes) -> dict[str, Any]:
    """Turn a `…/<name>/set` payload into ControlAPI arguments (and the optional request id).

    Accepted: empty (no arguments), a JSON object of arguments, or, for a command with exactly one
    argument, a bare JSON value as shorthand (`0.4` for set_volume).  Plain text that is not JSON is
    accepted too, as Home Assistant's entities and hand-written `mqtt.publish` calls send it by default
    (`_plain_text`: a button's `PRESS`, a switch's `ON`, a select's `steady`; a command without arguments
    takes `PRESS` only).  The ControlAPI checks
    the arguments themselves; this only checks that the payload is sane text of a sane size.
    """
    if len(raw) > MAX_COMMAND_BYTES:
        raise PayloadError(f"payload of {len(raw)} bytes is over the {MAX_COMMAND_BYTES}-byte command limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"payload is not UTF-8 text (bad byte at position {exc.start})") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        not_json = f"payload is not valid JSON: {exc.msg} at character {exc.pos}"
    except RecursionError:
        raise PayloadError("payload is nested too deeply") from None
    else:
        return _json_arguments(command, name, text, data)
    return _plain_text(command, text, not_json)


def _json_arguments(command: Command | None, name: str, text: str, data: Any) -> dict[str, Any]:
    """The arguments a payload that is JSON gives: an object is them; a bare value is the argument of a
    one-argument command.  A text argument (a profile's name) takes a bare number, true, false or null
    as written: a select sending the bare option `1984` means the profile so named."""
    if isinstance(data, dict):
        return data
    if command is not None and len(command.args) == 1:
        arg = command.args[0]
        if arg.kind in _NAMED_KINDS and not isinstance(data, str | list):
            return {arg.name: text.strip()}
        return {arg.name: data}
    arity = "no arguments" if command is None or not command.args else "several arguments"
    raise PayloadError(f"{name} takes {arity}: send a JSON object, not {type(data).__name__}")


#: Argument kinds whose values are names anyone may choose (ControlAPI's `Arg.kind`), not fixed words.
_NAMED_KINDS = ("profile", "str")
#: How a payload meant as JSON begins: one of these that is not valid JSON is refused as broken JSON,
#: never taken as plain text (`{"volume": 0.3` is a mistake to point out, not a value).
_JSON_OPENERS = ("{", "[", '"')
#: Plain-text words a true/false argument takes, case aside: Home Assistant's switch sends `ON`/`OFF`
#: by default (Frigate's `…/set` topics likewise), and a template rendering a test `True`/`False`.
_BOOL_WORDS = {"on": True, "off": False, "true": True, "false": False}
#: A decimal number as written by hand (`.5`, `+0.3`, `5.`), which JSON does not take as such.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: The only text a command without arguments takes (case and surrounding whitespace aside): a Home
#: Assistant button's default payload_press.  Other text (`OFF`, `hello`) is refused, as JSON `1` is.
_PRESS = "press"


def _plain_text(command: Command | None, text: str, not_json: str) -> dict[str, Any]:
    """A payload that is not JSON, as Home Assistant sends by default: a button's `PRESS`, a switch's
    `ON`/`OFF`, a select's bare option.  A command without arguments takes `PRESS` only (any case; other
    text, such as a switch's `OFF` sent to the wrong topic, is refused rather than run); for
    a one-argument command it is the argument, stripped of surrounding whitespace: `ON`/`OFF` (or
    `true`/`false`, case aside) for a true/false argument, a number for a numeric one, else the text as
    it is, so that the ControlAPI checks it as it checks a JSON argument and refuses a bad one in the
    same words ("enabled must be true or false, got 'maybe'").  An unknown command is left to the
    ControlAPI too, which refuses it naming the known ones.

    Refused: control characters (binary data, not text anyone typed), and, as broken JSON
    (`not_json`), text that begins as JSON does and text for a command of several arguments (which
    one would it be?)."""
    typed = "\t\n\r"  # the control characters typed text may have
    bad = next((i for i, ch in enumerate(text) if ch not in typed and unicodedata.category(ch) == "Cc"), None)
    if bad is not None:
        raise PayloadError(f"payload is not text: a control character at position {bad}")
    word = text.strip()
    if word.startswith(_JSON_OPENERS) or (command is not None and len(command.args) > 1):
        raise PayloadError(not_json)
    if command is None:
        return {}
    if not command.args:
        if word.lower() != _PRESS:
            why = f"{command.name} takes no arguments: send nothing, {{}} or PRESS"
            raise PayloadError(f"{why}, not {word[:40]!r}")
        return {}
    arg = command.args[0]
    value: Any = word
    if arg.kind == "bool":
        value = _BOOL_WORDS.get(word.lower(), word)
    elif arg.kind == "float" and _DECIMAL.fullmatch(word):
        value = float(word)
    return {arg.name: value}
