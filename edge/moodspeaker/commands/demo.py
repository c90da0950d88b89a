"""`moodspeaker demo`: the whole appliance on any machine, no camera, TPU or speaker needed.

Webcam if one answers, else a replay of a public-domain face changing expression; the CPU model; a
small real library (installed soundtracks or generated clips, analysed for real); real audio if a
device opens, else SDL's silent dummy driver; the page; MQTT if a broker answers.  It says what it
does as it goes and prints each track it starts with the word "playing".
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moodspeaker.commands import argtypes
from moodspeaker.config import Config
from moodspeaker.util.program import program


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=argtypes.port,
        help="web page port, kept in the demo's settings (default: their web.port, 8080)",
    )
    parser.add_argument(
        "--mqtt-host", help="MQTT broker host, kept in the demo's settings (default: their mqtt.host)"
    )
    parser.add_argument(
        "--mqtt-port",
        type=argtypes.port,
        help="MQTT broker port, kept in the demo's settings (default: their mqtt.port)",
    )
    parser.add_argument(
        "--data-dir",
        help="where the demo keeps its library, state and settings (config.toml) (default: <data_dir>/demo)",
    )
    parser.add_argument("--replay", action="store_true", help="use the face replay even if a webcam exists")
    parser.add_argument("--no-web", action="store_true", help="do not serve the page")
    parser.add_argument(
        "--seconds", type=float, default=0.0, help="stop after this long (0: run until Ctrl-C)"
    )


def _say(message: str) -> None:
    print(f"demo: {message}", flush=True)


def _audio(device: str) -> str:
    """Open the real audio device if there is one; otherwise switch SDL to its dummy driver."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from moodspeaker.system.alsa import quiet_alsa

    quiet_alsa()  # as `run`: an output lost later while the demo plays is retried without ALSA's lines

    if os.environ.get("SDL_AUDIODRIVER") in {"dummy", "disk"}:
        return f"SDL_AUDIODRIVER={os.environ['SDL_AUDIODRIVER']} (set by you)"
    from moodspeaker.player.device import open_output

    try:  # stderr stays open: quiet_alsa above keeps ALSA's lines off it, other threads' lines show
        open_output(device, frequency=44100, buffer=1024)  # as the player opens it (an ALSA name too)
        pygame.mixer.quit()
        return "the system's audio output"
    except pygame.error as exc:
        os.environ["SDL_AUDIODRIVER"] = "dummy"
        return f"no audio device ({exc}): playing silently through SDL's dummy driver"


def _webcam() -> bool:
    if not any(Path("/dev").glob("video*")):
        return False
    import cv2

    capture = cv2.VideoCapture(0)
    try:
        ok, frame = capture.read()
        return bool(ok and frame is not None)
    finally:
        capture.release()
        del capture


_STATE_WORDS = {
    ("audio", "ok"): "audio: playing",
    ("audio", "lost"): "audio: the output device is gone",
    ("audio", "starting"): "audio: starting",
    ("broker", "ok"): "MQTT: connected",
    ("broker", "connecting"): "MQTT: connecting",
    ("broker", "disconnected"): "MQTT: disconnected",
}


def state_words(event: Any, *, webcam: bool) -> str:
    """A camera, audio or MQTT change in words: the raw value ("camera: False") told a newcomer
    nothing about what the demo is doing."""
    if event.key == "camera":
        if not event.value:
            return "camera: off (privacy switch): no face is read"
        return "camera: on, the webcam" if webcam else "camera: on, replaying a public-domain face"
    words = _STATE_WORDS.get((event.key, str(event.value)))
    name = "MQTT" if event.key == "broker" else event.key
    return words or f"{name}: {event.value}"


def _printer(webcam: bool) -> Callable[[Any], None]:
    from moodspeaker.library.track import title_by

    def say(event: Any) -> None:
        if event.kind == "track_started":
            _say(f"playing {title_by(event.title, event.artist)} - {event.reason}")
        elif event.kind == "mood_changed":
            _say(f"mood: {event.mood} (confidence {event.confidence:.0%}, was {event.previous})")
        elif event.kind == "error":
            _say(f"problem ({event.component}): {event.message}")
        elif event.kind == "state_changed" and event.key in {"audio", "camera", "broker"}:
            _say(state_words(event, webcam=webcam))

    return say


def _setup_note(folder: Path) -> str:
    """The page's setup code for the demo's own data folder.  `moodspeaker setup-code` alone reads
    the configured data folder, whose code the demo's page does not accept, so say the full command."""
    from moodspeaker_web.setup_code import ensure_setup_code

    again = f"{program()} --set device.data_dir={shlex.quote(str(folder))} setup-code"
    code = ensure_setup_code(folder)
    if code is None:
        return f"page: already set up; forgot its password? {again} --reset"
    return f"page setup code: {code} (shown again by: {again})"


def commands_note(settings: Path) -> str:
    """How to point the other commands at the demo.  Alone they read the configured speaker's data
    folder, not the demo's: after a demo, `library stats` showed an empty library and `config set`
    asked for /etc/moodspeaker/config.toml.  The demo's file names its data folder, so `-c` does it."""
    return (
        f"other commands on the demo's data: {program()} -c {shlex.quote(str(settings))} COMMAND "
        "(e.g. library stats, config set library.min_track_s=10)"
    )


def demo_config(
    config: Config, folder: Path, overrides: list[str] | None = None, soundtracks: list[Path] | None = None
) -> tuple[Config, Path]:
    """The demo's own settings file, folder/config.toml, and the config to start from.

    Without a file the page could not save a setting or add a profile, so a newcomer trying the
    demo found the Settings tab dead.  The demo's file is not the speaker's (/etc/moodspeaker):
    it is made from the settings the demo was started with when missing, and once it exists it
    wins over them, so what was saved on the page lasts to the next demo; `--set` still applies
    on top (`overrides`, as given on the command line).  camera.type stays the one started with:
    the page saves the demo's running choice ("replay" without a webcam), which must not stop the
    next demo from looking for a webcam.

    library.folders is the demo's own music folders (demo.library.own_folders, of `soundtracks`
    when the caller found them already), written when the file is made: the page showed the
    schema's ~/Music while the demo played its clips.  A file made before that, which never chose
    its folders (none written in it), gets them once, written to it: its ~/Music was never scanned
    by the demo, so nothing a person chose is lost, and the page then tells the truth there too.
    Folders the file does name are the person's, kept.  The file is read and parsed once: the
    settings and whether it names its folders both come from that.

    device.data_dir is written too when the file lacks it or names another folder (a file written by
    hand, or a demo folder copied elsewhere and run with --data-dir): the demo runs on `folder`
    whatever the file says, while `-c <the file> COMMAND` (commands_note) went to the folder the file
    named, or to the default one.
    """
    from moodspeaker.config import save, with_changes
    from moodspeaker.config.load import from_mapping, read_file
    from moodspeaker.demo.library import own_folders

    path = folder / "config.toml"
    own = {"library.folders": [str(f) for f in own_folders(folder, soundtracks)]}
    made = path.is_file()
    named = {"device.data_dir": str(folder)}
    update: dict[str, Any] = {}
    if made:
        raw = read_file(path)[1]
        filed = from_mapping(raw, str(path), file=True)  # as config.load reads it
        config = with_changes(filed, {"camera.type": config.camera.type}, source="demo")
        library = raw.get("library")
        if not isinstance(library, dict) or "folders" not in library:
            config = with_changes(config, own, source="demo")
            update.update(own)
        device = raw.get("device")
        said = device.get("data_dir") if isinstance(device, dict) else None
        if not isinstance(said, str) or Path(said).expanduser().absolute() != folder.absolute():
            update.update(named)
        changes: dict[str, str] = {}
        for item in overrides or ():  # SECTION.KEY=VALUE, already checked by the command line
            key, _, value = item.partition("=")
            changes[key.strip()] = value
        if changes:
            config = with_changes(config, changes, source="--set")
    config = with_changes(config, named, source="demo")
    if not made:
        config = with_changes(config, own, source="demo")
        save(config, path)
    elif update:
        save(with_changes(filed, update, source="demo"), path)  # the file's own settings, not --set's
    return config, path


def note_choices(settings: Path, args: argparse.Namespace, mqtt_on: bool, started: Config) -> None:
    """Write what this demo runs with, chosen on its command line (--port, --mqtt-host, --mqtt-port)
    or found (a broker that answers: mqtt.enabled), into its settings file, the other values and
    the comments kept.  The page's Settings shows the file: it showed port 8080 while it was served
    on --port, and MQTT off at localhost:1883 while Health had the broker at --mqtt-host:--mqtt-port,
    and `moodspeaker -c <the demo's file> mqtt forget` tried localhost:1883.  A flag given once is
    kept for the next demo, as a change saved on the page is.  Nothing is read or written when the
    settings the demo started from (`started`: the file's, --set on top) have them already."""
    from moodspeaker.config import ConfigError, with_changes
    from moodspeaker.config.edit import update

    given = {
        # only a broker that answers is noted: one down at this start must not undo an owner's saved
        # "on" (the demo probes at every start anyway)
        "mqtt.enabled": True if mqtt_on else None,
        "web.port": args.port,
        "mqtt.host": args.mqtt_host,
        "mqtt.port": args.mqtt_port,
    }
    choices: dict[str, Any] = {}
    for key, value in given.items():
        section, _, name = key.partition(".")
        if value not in (None, "") and getattr(getattr(started, section), name) != value:
            choices[key] = value
    if not choices:
        return
    try:
        update(settings, lambda now: with_changes(now, choices, source="demo"))
    except (ConfigError, OSError) as exc:  # the demo runs with them all the same
        _say(f"settings: this run's choices not written to {settings} ({exc})")


def run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.config.load import data_dir
    from moodspeaker.service.datalock import FolderInUseError, hold_data_folder

    folder = Path(args.data_dir).expanduser().absolute() if args.data_dir else data_dir(config) / "demo"
    try:  # one speaker per data folder (service.datalock), before the settings and library are written
        held = hold_data_folder(folder)
    except (FolderInUseError, OSError) as exc:
        print(f"moodspeaker demo: {exc}", file=sys.stderr)
        return 1
    with held:
        return _run(args, config, folder)


def _run(args: argparse.Namespace, config: Config, folder: Path) -> int:
    """`run` on the data folder it holds."""
    from moodspeaker.commands.webport import web_port_problem
    from moodspeaker.config import ConfigError, with_changes
    from moodspeaker.demo import library
    from moodspeaker.demo.faces import FaceReplay
    from moodspeaker.service.app import Appliance
    from moodspeaker.service.components import PartError, build_parts
    from moodspeaker.service.control import CommandError, ControlAPI
    from moodspeaker.service.events import EventBus
    from moodspeaker.service.runner import broker_answers, serve_until_signal

    soundtracks = library.soundtrack_files()  # once: the settings' folders and the library both use them
    try:
        config, settings = demo_config(config, folder, getattr(args, "set", None), soundtracks)
    except ConfigError as exc:
        _say(f"cannot start: {exc}")
        return 1
    if not args.no_web:  # before the minutes of library analysis, not after (see commands.webport)
        hint = f"web.port in {settings} (or --set web.port=N)"
        problem = web_port_problem(with_changes(config, {"web.enabled": True}), args.port, setting_hint=hint)
        if problem:
            print(f"moodspeaker demo: {problem}", file=sys.stderr)
            return 1
    _say(f"data folder: {folder}")
    _say(f"settings: {settings} (the page saves its changes there)")
    _say(commands_note(settings))
    _say(f"audio: {_audio(config.player.audio_device)}")
    webcam = not args.replay and config.camera.type in {"auto", "v4l2"} and _webcam()
    _say("camera: the webcam" if webcam else "camera: none found; replaying a public-domain face")
    index, what = library.prepare(config, _say, soundtracks=soundtracks)
    index.close()  # build_parts opens it again, with the rescan the page's Rescan runs (see below)
    _say(f"library: {what}")
    host = args.mqtt_host or config.mqtt.host
    port = args.mqtt_port or config.mqtt.port
    mqtt_on = broker_answers(host, port)
    if not mqtt_on:
        _say(f"MQTT: no broker answers at {host}:{port}; MQTT is off")
    note_choices(settings, args, mqtt_on, config)
    changes: dict[str, Any] = {
        "camera.type": "v4l2" if webcam else "replay",
        "classifier.type": "cpu",
        "web.zeroconf": False,
        "web.enabled": not args.no_web,
        "mqtt.enabled": mqtt_on,
        "mqtt.host": host,
        "mqtt.port": port,
    }
    if args.port:
        changes["web.port"] = args.port
    config = with_changes(config, changes, source="demo")
    try:
        # the library as `run` opens it: the page's Rescan scans library.folders (and library.servers);
        # the demo's analysed index given as is had no rescan, so Rescan only reloaded it
        parts = build_parts(config, folder)
    except PartError as exc:
        _say(f"cannot start: {exc}")
        return 1
    if not webcam:
        parts.make_source = FaceReplay
    _say(f"expression model on the CPU; classes: {', '.join(parts.classes or ())}")
    bus = EventBus()
    bus.subscribe(_printer(webcam))
    app = Appliance(config, bus, parts, folder)
    stop = threading.Event()
    if args.seconds > 0:
        timer = threading.Timer(args.seconds, stop.set)
        timer.daemon = True
        timer.start()
    if not args.no_web:
        _say(_setup_note(folder))
    _say("starting; press Ctrl-C to stop")
    control = ControlAPI(app, bus)

    def first_tune(_faces: Any) -> None:
        try:  # music from the start, before any mood is read; moods then steer the queue
            control.execute("play", source="demo")
        except CommandError as exc:
            _say(f"nothing to play yet: {exc}")

    return serve_until_signal(
        app,
        control,
        bus,
        config,
        folder,
        config_path=settings,
        web_port=args.port,
        say=_say,
        stop=stop,
        ready=first_tune,
    )
