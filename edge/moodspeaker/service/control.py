"""ControlAPI: the one place where commands from the page, MQTT and the CLI are validated and applied.

Web and MQTT stay thin: they turn a request into `execute(name, args, source)` and show the result.
Each command declares its arguments once (`COMMANDS`); a bad command or argument raises
`CommandError` with a sentence naming what was wrong, publishes `CommandRejected`, and changes nothing.
The actual work is done by a `Speaker` (the running service implements it).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from moodspeaker.mood.classes import ALL_EXPRESSIONS
from moodspeaker.service.events import MOOD_CAMERA, CommandRejected, EventBus

log = logging.getLogger(__name__)

STRATEGIES = ("match", "uplift", "steady", "off")
#: What a `steer` may ask for: music with lower or higher arousal than the strategy aims at.
DIRECTIONS = ("calmer", "livelier")
#: A refusal echoes at most this much of a command's name (the CommandRejected event and the sentence
#: alike), and of an argument's name or value: they come from outside (a web request's body may be
#: 64 KiB, an MQTT topic level 65535 bytes), so all of it would make a huge answer; no command or
#: argument has a name anywhere near this long, nor a valid value.
MAX_NAME_CHARS = 100
#: The source of a command from the speaker's own privacy button (system.gpio): the only one that may
#: switch on a camera switched off at the speaker (`PrivacySwitch`); every other source is remote.
SOURCE_BUTTON = "button"


class CommandError(ValueError):
    """A command was refused; the message says what and why.  `listeners`: the listeners' names it
    quotes, which the answer and the CommandRejected event keep (the page's incidents go with the
    data) and the log leaves out (`unnamed`): the journal outlives "delete everything" and the
    retention."""

    def __init__(self, message: str, *, listeners: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.listeners: tuple[str, ...] = tuple(listeners)


#: what a log line says in place of a listener's name
UNNAMED = "<listener>"


def unnamed(text: str, listeners: Iterable[str]) -> str:
    """`text` as the log may keep it: each of `listeners` replaced by UNNAMED, quoted as a refusal
    quotes it (repr) or bare (a list of profiles), as a whole word only, the longest names first."""
    names = sorted({name for name in listeners if name}, key=len, reverse=True)
    if not names:
        return text
    words = [re.escape(repr(name)) for name in names] + [rf"(?<!\w){re.escape(name)}(?!\w)" for name in names]
    return re.sub("|".join(words), UNNAMED, text)


class Speaker(Protocol):
    """What the ControlAPI drives; implemented by the running service."""

    def play(self) -> None: ...
    def pause(self) -> None: ...
    def next_track(self) -> None: ...
    def replay(self) -> None: ...
    def like(self) -> None: ...
    def dislike(self) -> None: ...
    def correct_mood(self, mood: str) -> None: ...
    def ask_mood(self, mood: str) -> None: ...
    def steer(self, direction: str) -> None: ...
    def set_volume(self, volume: float) -> None: ...
    def set_camera(self, enabled: bool) -> None: ...
    def set_profile(self, profile: str) -> None: ...
    def set_strategy(self, strategy: str) -> None: ...
    def rescan_library(self) -> None: ...
    def profiles(self) -> list[str]: ...
    def state(self) -> dict[str, Any]: ...


@runtime_checkable
class DataKeeper(Protocol):
    """Optional capability of a Speaker that keeps personal data (feedback, learned profiles).

    The privacy page exports it and deletes it ("delete everything"); the privacy retention deletes
    what is older than its cut-off (`before`: the running service's own loop, service.retention).
    A Speaker without it keeps no such data; the ControlAPI then exports nothing and deletes nothing.
    """

    def export_data(self) -> dict[str, Any]: ...
    def delete_data(self, before: float | None = None) -> None: ...


@runtime_checkable
class LibraryReporter(Protocol):
    """Optional capability of a Speaker with a library index: which files it leaves out and which
    tracks it holds back because they failed to play, each with why (service.left_out_list)."""

    def left_out(self) -> dict[str, Any]: ...


@runtime_checkable
class PrivacySwitch(Protocol):
    """Optional capability of a Speaker whose camera has a physical privacy switch (its button): a
    camera switched off there is switched on only there, like a smart speaker's microphone-mute
    button.  The ControlAPI runs a `set_camera` from SOURCE_BUTTON as `set_camera_at_speaker`; the
    speaker's `set_camera` (every other source: page, API, MQTT) refuses to switch such a camera on."""

    def set_camera_at_speaker(self, enabled: bool) -> None: ...


@dataclass(frozen=True)
class Arg:
    """One argument of a command: its name, kind and (for choices/numbers) allowed values."""

    name: str
    kind: str  # "float" | "bool" | "choice" | "profile" | "mood" | "str"
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    max_len: int = 200


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    args: tuple[Arg, ...]
    apply: Callable[[Speaker, dict[str, Any]], None]
    #: how it is applied when it comes from the speaker's own button (SOURCE_BUTTON); None: as `apply`
    at_speaker: Callable[[Speaker, dict[str, Any]], None] | None = None


def _camera_at_speaker(speaker: Speaker, args: dict[str, Any]) -> None:
    """`set_camera` from the privacy button: the speaker's own switch where it has one (PrivacySwitch)."""
    if isinstance(speaker, PrivacySwitch):
        speaker.set_camera_at_speaker(args["enabled"])
    else:
        speaker.set_camera(args["enabled"])


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("play", "Start or resume playback.", (), lambda s, a: s.play()),
        Command("pause", "Pause playback.", (), lambda s, a: s.pause()),
        Command("next", "Skip to the next track (counts as a skip).", (), lambda s, a: s.next_track()),
        Command(
            "replay",
            "Play the track again from the start (the previous one if the current one just began).",
            (),
            lambda s, a: s.replay(),
        ),
        Command("like", "Like the current track in the current mood.", (), lambda s, a: s.like()),
        Command("dislike", "This track does not fit; skip it and learn.", (), lambda s, a: s.dislike()),
        Command(
            "correct_mood",
            "Tell the speaker the mood it read is wrong.",
            # every expression the model may read (FER+'s contempt too): the one list, in mood.classes
            (Arg("mood", "mood", choices=ALL_EXPRESSIONS),),
            lambda s, a: s.correct_mood(a["mood"]),
        ),
        Command(
            "ask_mood",
            "Music for this mood ('play happy songs'): the mood in force as after a correction, until the "
            "camera reads a change, but no correction: nothing is recorded against the track or learned. "
            "'camera': the camera's mood again (a mood asked for or corrected ends now).",
            (Arg("mood", "mood", choices=(*ALL_EXPRESSIONS, MOOD_CAMERA)),),
            lambda s, a: s.ask_mood(a["mood"]),
        ),
        Command(
            "steer",
            "Calmer or livelier music: the next tracks aim lower or higher arousal while this mood lasts "
            "(the track playing is not disliked).",
            (Arg("direction", "choice", choices=DIRECTIONS),),
            lambda s, a: s.steer(a["direction"]),
        ),
        Command(
            "set_volume",
            "Set the volume (0 to 1).",
            (Arg("volume", "float", min=0.0, max=1.0),),
            lambda s, a: s.set_volume(a["volume"]),
        ),
        Command(
            "set_camera",
            "Turn the camera on or off (privacy). A camera switched off with the speaker's privacy "
            "button is switched on only with that button.",
            (Arg("enabled", "bool"),),
            lambda s, a: s.set_camera(a["enabled"]),
            at_speaker=_camera_at_speaker,
        ),
        Command(
            "set_profile",
            "Choose the active listener profile.",
            (Arg("profile", "profile"),),
            lambda s, a: s.set_profile(a["profile"]),
        ),
        Command(
            "set_strategy",
            "Choose how music follows the mood.",
            (Arg("strategy", "choice", choices=STRATEGIES),),
            lambda s, a: s.set_strategy(a["strategy"]),
        ),
        Command(
            "rescan",
            "Rescan the music library for new or changed files.",
            (),
            lambda s, a: s.rescan_library(),
        ),
    )
}


def _check_arg(arg: Arg, value: Any, speaker: Speaker) -> Any:
    if arg.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CommandError(f"{arg.name} must be a number, got {_quoted(value, 'value')}")
        try:
            number = float(value)
        except OverflowError:  # an int past float's range (JSON allows any number of digits)
            number = math.inf
        if (
            not math.isfinite(number)
            or (arg.min is not None and number < arg.min)
            or (arg.max is not None and number > arg.max)
        ):
            raise CommandError(
                f"{arg.name} must be between {arg.min:g} and {arg.max:g}, got {_quoted(value, 'value')}"
            )
        return number
    if arg.kind == "bool":
        if not isinstance(value, bool):
            raise CommandError(f"{arg.name} must be true or false, got {_quoted(value, 'value')}")
        return value
    if arg.kind in {"choice", "mood"}:
        if not isinstance(value, str) or value not in arg.choices:
            raise CommandError(
                f"{arg.name} must be one of {', '.join(arg.choices)}; got {_quoted(value, 'value')}"
            )
        return value
    if arg.kind == "profile":
        known = speaker.profiles()
        if not isinstance(value, str) or value not in known:
            sent = (value, _cut(value)) if isinstance(value, str) else ()  # a name, perhaps mistyped
            raise CommandError(
                f"{arg.name} must be an existing profile ({', '.join(known)}); got {_quoted(value, 'value')}",
                listeners=(*known, *sent),
            )
        return value
    if not isinstance(value, str) or len(value) > arg.max_len:
        raise CommandError(f"{arg.name} must be text of at most {arg.max_len} characters")
    return value


def _cut(name: object) -> str:
    """The part of a command's name that a refusal echoes (see MAX_NAME_CHARS)."""
    return str(name)[:MAX_NAME_CHARS]


def _quoted(sent: object, what: str = "name") -> str:
    """Something sent (a command's name, an argument's value) as a refusal's sentence quotes it (repr):
    whole, or its first MAX_NAME_CHARS characters and how long it was (so the cut is not mistaken for
    what was sent).  A value that is no text (a list, a number of 4000 digits) is cut as written out."""
    if not isinstance(sent, str):
        text = repr(sent)
        return text if len(text) <= MAX_NAME_CHARS else f"{_cut(text)}… ({len(text)} characters written out)"
    if len(sent) <= MAX_NAME_CHARS:
        return repr(sent)
    return f"{_cut(sent)!r}… (a {what} of {len(sent)} characters)"


def _listeners(exc: CommandError, name: object, args: Mapping[str, Any] | None) -> list[str]:
    """The names a refusal's log line leaves out: those the refusal quotes (`CommandError.listeners`),
    and the profile the command was given, whichever step refused it."""
    command = COMMANDS.get(name) if isinstance(name, str) else None
    kinds = {a.name: a.kind for a in command.args} if command else {}
    given = args if isinstance(args, Mapping) else {}
    named = [v for k, v in given.items() if kinds.get(k) == "profile" and isinstance(v, str)]
    return [*exc.listeners, *named]


def _listed(names: list[str]) -> str:
    """Argument names a refusal lists (unquoted, as ever): all of them when the list is short, else its
    first MAX_NAME_CHARS characters and how much there was (one name can be long, or the names many)."""
    text = ", ".join(names)
    if len(text) <= MAX_NAME_CHARS:
        return text
    if len(names) == 1:
        return f"{_cut(text)}… (a name of {len(text)} characters)"
    return f"{_cut(text)}… ({len(names)} names, {len(text)} characters in all)"


class ControlAPI:
    """Validates and applies commands; everything outside the service talks to the speaker through it."""

    def __init__(self, speaker: Speaker, bus: EventBus) -> None:
        self._speaker = speaker
        self._bus = bus

    @property
    def bus(self) -> EventBus:
        return self._bus

    def commands(self) -> dict[str, Command]:
        return dict(COMMANDS)

    def state(self) -> dict[str, Any]:
        """A snapshot of everything a page or integration may show (no image data, ever)."""
        return self._speaker.state()

    def profiles(self) -> list[str]:
        """The listener profiles a `set_profile` command may choose (for selects in the page and HA)."""
        return list(self._speaker.profiles())

    def export_data(self) -> dict[str, Any]:
        """The speaker's personal data (feedback, profiles, neutral-face calibrations) as JSON-ready data; {}
        when it keeps none."""
        if isinstance(self._speaker, DataKeeper):
            return self._speaker.export_data()
        return {}

    def left_out(self) -> dict[str, Any] | None:
        """The files the library leaves out and the tracks held back ({"files": [...], "held_back":
        [...]}, service.left_out_list), or None from a speaker without a library index to ask."""
        if isinstance(self._speaker, LibraryReporter):
            return self._speaker.left_out()
        return None

    def delete_data(self, before: float | None = None) -> bool:
        """Delete personal data older than `before` (all of it when None); False if none is kept."""
        if not isinstance(self._speaker, DataKeeper):
            return False
        self._speaker.delete_data(before)
        return True

    def execute(
        self, name: str, args: Mapping[str, Any] | None = None, source: str = "api"
    ) -> dict[str, Any]:
        """Validate and run one command; returns the new state or raises CommandError (nothing changed)."""
        try:
            command = COMMANDS.get(name)
            if command is None:
                raise CommandError(
                    f"unknown command {_quoted(str(name))}; known: {', '.join(sorted(COMMANDS))}"
                )
            given = dict(args or {})
            unknown = sorted(set(given) - {a.name for a in command.args})
            if unknown:
                raise CommandError(f"{name}: unexpected argument(s) {_listed(unknown)}")
            checked: dict[str, Any] = {}
            for arg in command.args:
                if arg.name not in given:
                    raise CommandError(f"{name}: missing argument {arg.name!r}")
                try:
                    checked[arg.name] = _check_arg(arg, given[arg.name], self._speaker)
                except CommandError as exc:
                    raise CommandError(f"{name}: {exc}", listeners=exc.listeners) from None
        except CommandError as exc:
            log.info("command from %s rejected: %s", source, unnamed(str(exc), _listeners(exc, name, args)))
            self._bus.publish(
                CommandRejected(ts=time.time(), command=_cut(name), error=str(exc), source=source)
            )
            raise
        apply = command.at_speaker if source == SOURCE_BUTTON and command.at_speaker else command.apply
        try:
            apply(self._speaker, checked)
        except CommandError as exc:  # the speaker refused (e.g. "like: nothing is playing"): say so too
            # named by the command's own name, never by what was sent (short whatever the request was)
            logged = unnamed(str(exc), _listeners(exc, name, checked))  # the answer names them
            log.info("command %s from %s refused by the speaker: %s", command.name, source, logged)
            self._bus.publish(
                CommandRejected(ts=time.time(), command=command.name, error=str(exc), source=source)
            )
            raise
        return self._speaker.state()
