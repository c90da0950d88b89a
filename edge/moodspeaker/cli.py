"""`moodspeaker` command line: a thin dispatcher over one module per command.

Commands are listed in an explicit registry (no import side effects).  Each command module defines
`add_arguments(parser)` and `run(args, config) -> int`; it must import heavy libraries (librosa,
pygame, flask, tensorflow...) inside `run`, so that `moodspeaker --help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from moodspeaker import __version__
from moodspeaker.commands.config_report import as_json
from moodspeaker.config import ConfigError, load, with_changes
from moodspeaker.config.load import config_path

#: command name -> (module, one-line help).  "group sub" names nest under their group.
COMMANDS: dict[str, tuple[str, str]] = {
    "watch": ("moodspeaker.commands.watch", "print the mood timeline from a camera, video or image folder"),
    "eval-faces": ("moodspeaker.commands.eval_faces", "evaluate the expression model on a face dataset"),
    "calibrate-neutral": ("moodspeaker.commands.calibrate", "record a listener's resting-face baseline"),
    "index": ("moodspeaker.commands.index", "scan and analyse music folders into the library index"),
    "library": ("moodspeaker.commands.library", "library statistics and the LAN library server"),
    "eval-music": ("moodspeaker.commands.eval_music", "evaluate the music valence/arousal estimator"),
    "run": ("moodspeaker.commands.run", "run the appliance service"),
    "demo": ("moodspeaker.commands.demo", "run the appliance on any machine with embedded defaults"),
    "doctor": ("moodspeaker.commands.doctor", "check camera, TPU, audio, library, broker, disk, temperature"),
    "setup-code": ("moodspeaker.commands.setup_code", "print the first-boot setup code of the web page"),
    "config": ("moodspeaker.commands.config", "show, check or change the configuration"),
    "mqtt forget": ("moodspeaker.commands.mqtt_forget", "remove this speaker from Home Assistant and MQTT"),
    "privacy export": ("moodspeaker.commands.privacy_export", "export everything kept about the listeners"),
    "privacy delete-everything": (
        "moodspeaker.commands.privacy_delete",
        "delete everything kept about the listeners",
    ),
    "bench recommend": ("moodspeaker.commands.bench_recommend", "run the listener simulator benchmark"),
    "bench report": ("moodspeaker.commands.bench_report", "run every benchmark and print one table"),
}


def _load_module(module: str) -> Any:
    return importlib.import_module(module)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodspeaker", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"moodspeaker {__version__}")
    parser.add_argument(
        "-c",
        "--config",
        help="config file (default: $MOODSPEAKER_CONFIG, "
        "/etc/moodspeaker/config.toml, else built-in defaults)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one setting for this run (validated like the file)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="debug log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    groups: dict[str, argparse._SubParsersAction[argparse.ArgumentParser]] = {}
    for name, (module, help_text) in COMMANDS.items():
        group, _, leaf = name.partition(" ")
        if leaf:
            if group not in groups:
                group_parser = sub.add_parser(group, help=f"{group} commands")
                groups[group] = group_parser.add_subparsers(
                    dest="subcommand", metavar="SUBCOMMAND", required=True
                )
            target = groups[group].add_parser(leaf, help=help_text, description=help_text)
        else:
            target = sub.add_parser(name, help=help_text, description=help_text)
        target.set_defaults(_module=module)
        try:
            _load_module(module).add_arguments(target)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            target.set_defaults(_missing=True)
    return parser


def _setup_logging(verbosity: int) -> None:
    level = logging.DEBUG if verbosity else logging.INFO  # the default already logs INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )


def _config_error_json(args: argparse.Namespace, exc: ConfigError) -> dict[str, Any]:
    """The configuration's problems as one JSON object (file and line of each); a command may add
    its own keys with `config_error_json(report)` (doctor: its failed "config" check)."""
    report = as_json(exc, config_path(args.config))
    extend = getattr(_load_module(args._module), "config_error_json", None)
    return extend(report) if callable(extend) else report


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    if getattr(args, "_missing", False):
        print(f"moodspeaker: the command {args.command!r} is not available in this build", file=sys.stderr)
        return 2
    try:
        config = load(args.config)
        overrides: dict[str, str] = {}
        for item in args.set:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError([f"--set {item!r}: expected SECTION.KEY=VALUE"])
            overrides[key.strip()] = value
        if overrides:
            config = with_changes(config, overrides, source="--set")
    except ConfigError as exc:
        if getattr(args, "json", False):  # a program reading the output gets JSON, failure or not
            print(json.dumps(_config_error_json(args, exc), indent=1))
        else:
            print(f"moodspeaker: {exc}", file=sys.stderr)
        return 2
    try:
        result: int = _load_module(args._module).run(args, config)
    except KeyboardInterrupt:  # Ctrl-C: a one-line note, not a traceback (commands that keep work say so)
        print("moodspeaker: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `moodspeaker config schema | head`: the reader left, which is no error
        # Python's own recipe: point stdout at /dev/null so the interpreter's final flush stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141  # what a shell reports for a command ended by SIGPIPE (128 + 13)
    return result


if __name__ == "__main__":
    sys.exit(main())
