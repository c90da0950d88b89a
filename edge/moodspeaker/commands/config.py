"""`moodspeaker config show|check|set|schema`: the config through the same schema the page uses."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import tomli_w

from moodspeaker.config import Config, ConfigError, describe, with_changes
from moodspeaker.config.asked import Follower, ask, followed_in
from moodspeaker.config.edit import update
from moodspeaker.config.load import SYSTEM_CONFIG, config_path, data_dir, file_conflicts, to_mapping
from moodspeaker.service.restart_rules import needs_restart
from moodspeaker.util.net import mask_url
from moodspeaker.util.program import command, commands_in

#: The source a refusal names for a value typed after `config set` (a problem of the file names the file).
TYPED_HERE = "command line"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print the effective configuration (secrets hidden)")
    show.add_argument("--all", action="store_true", help="include settings left at their defaults")
    sub.add_parser("check", help="validate the config file and exit non-zero on any problem")
    sub.add_parser("schema", help="print every setting with its label, type, default and help as JSON")
    setp = sub.add_parser("set", help="change settings in the config file (atomic; all or nothing)")
    setp.add_argument("changes", nargs="+", metavar="SECTION.KEY=VALUE")


def _shown(config: Config, include_defaults: bool) -> dict[str, Any]:
    """The settings for `config show`: secrets hidden, including passwords inside server URLs."""
    data = to_mapping(config, include_defaults=include_defaults, hide_secrets=True)
    for body in data.values():
        for key, value in body.items():
            if isinstance(value, list):
                body[key] = [mask_url(v) if isinstance(v, str) else v for v in value]
    return data


def _check(args: argparse.Namespace) -> int:
    """`config check`: the file loaded (else the command exited 2 before this), but a rule between
    settings it breaks only for the file's sake (config.rules.kept: the start profile taken as
    listed, a library.servers entry that cannot be used skipped, with a warning in the log) is a
    problem too: the speaker does not run as written, and a provisioning script checking the file
    learns it from the exit code.  2, as for any other problem of the configuration."""
    try:
        broken = file_conflicts(args.config)
    except ConfigError as exc:  # the file changed since it was loaded a moment ago
        broken = exc.problems
    if broken:
        problems = "\n  ".join(broken)
        print(
            "moodspeaker config check: the file breaks a rule of the settings (the speaker still "
            "starts, not as the file says: a start profile not listed is taken as listed, a library "
            f"server that cannot be used is skipped):\n  {problems}",
            file=sys.stderr,
        )
        return 2
    print(f"configuration OK ({config_path(args.config) or 'built-in defaults'})")
    return 0


def run(args: argparse.Namespace, config: Config) -> int:
    if args.action == "show":
        print(tomli_w.dumps(_shown(config, args.all)), end="")
        return 0
    if args.action == "check":
        return _check(args)
    if args.action == "schema":
        rows = [
            {
                "key": i.dotted,
                "label": i.label,  # the setting's name on the page's Settings (and in its refusals)
                "type": i.kind,
                "default": "" if i.secret else list(i.default) if isinstance(i.default, tuple) else i.default,
                "help": commands_in(i.help),  # `moodspeaker ...` as it can be typed here
                "choices": list(i.choices),
                "choice_labels": dict(zip(i.choices, i.choice_labels, strict=True)),  # the page's words
                "min": i.min,
                "max": i.max,
                "unit": i.unit,
                "secret": i.secret,
                "required": i.required,
                "absolute": i.absolute,
            }
            for i in describe()
        ]
        print(json.dumps(rows, indent=1))
        return 0
    path = config_path(args.config)
    if path is None:
        print(
            f"moodspeaker config set: there is no config file yet: create {SYSTEM_CONFIG} (or any file "
            "named with --config or $MOODSPEAKER_CONFIG); an empty file means the defaults",
            file=sys.stderr,
        )
        return 2
    changes: dict[str, str] = {}
    for item in args.changes:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"moodspeaker config set: {item!r} is not SECTION.KEY=VALUE", file=sys.stderr)
            return 2
        changes[key.strip()] = value
    try:
        # Start from the file itself as it is now, under its lock (config.edit.update), not `config`:
        # that one carries this run's `--set` overrides, which are for one run only and must not be
        # written into the file.  A refused value was typed here, so its refusal names the command line.
        before, after = update(path, lambda current: with_changes(current, changes, source=TYPED_HERE))
    except ConfigError as exc:
        problems = "\n  ".join(exc.problems)
        print(f"moodspeaker config set: nothing was saved to {path}:\n  {problems}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder it may not write (run it as the speaker's user, or with sudo)
        where = exc.filename or path
        print(f"moodspeaker config set: nothing was saved: {where}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    # only the changed lines are written: the file's comments stay.  A running speaker follows its file
    # (service.file_settings): what it cannot take while running is named, as the page names it.
    waiting = needs_restart(before, after)
    later = f"; {', '.join(waiting)} only when it restarts" if waiting else ""
    folder = data_dir(config)
    running = followed_in(folder)
    if running is not None and running.running and not running.follows(path):
        print(f"saved {path}")
        print(f"moodspeaker config set: {_not_followed(folder, running)}", file=sys.stderr)
    elif (running is not None and not running.running) or not folder.is_dir():
        print(f"saved {path}: no speaker runs on its data folder {folder} now; one started with it takes it")
    elif _ask_running(path, folder, changes):
        print(f"saved {path}: a running speaker applies it within seconds{later}")
    else:
        print(f"saved {path}: a running speaker applies what changed in it within seconds{later}")
    return 0


def _not_followed(folder: Path, running: Follower) -> str:
    """Why the speaker running on `folder` does not take the change: it follows another file (or none);
    with the command that would reach it."""
    if running.config is None:
        return (
            f"the speaker running on {folder} (process {running.pid}) was started without a config file: "
            "it takes none of this, now or when it restarts; start it with --config naming this file"
        )
    again = command(f"--config {shlex.quote(str(running.config))} config set ...")
    return (
        f"the speaker running on {folder} (process {running.pid}) follows {running.config}, not this file: "
        f"it takes none of this, now or when it restarts; to change its settings: {again}"
    )


def _ask_running(path: Path, folder: Path, changes: dict[str, str]) -> bool:
    """Ask a speaker running with the data folder `folder` and following `path` to apply the file's
    values of `changes`, also of those the file held already (config.asked): `config set
    camera.enabled=false` switches off a camera turned on meanwhile from Home Assistant.  False, said
    on stderr, when it cannot."""
    try:
        ask(folder, path, changes)
    except OSError as exc:
        print(
            f"moodspeaker config set: a running speaker was not asked to apply {', '.join(changes)} "
            f"({exc.filename or folder}: {exc.strerror or exc}): a value the file held already is not "
            "applied again (run it as the speaker's user, or with sudo)",
            file=sys.stderr,
        )
        return False
    return True
