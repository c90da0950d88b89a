"""`moodspeaker privacy delete-everything`: the page's "delete everything", also for a speaker run
without its page or whose page's password is lost.

Asks on a terminal first (type delete); `--yes` does not ask, and without it a command not run on a
terminal (a script, a cron job) deletes nothing.  When a speaker runs on the data folder it deletes
(service.privacy_desk): what it keeps in memory goes too, as with the page.  Else the files are
deleted here (service.privacy_data), the config file's profile names reset first as the page does, and
with mqtt.enabled the broker's retained mood, profile and track blanked as a clean stop does
(mqtt.admin.blank_personal; a broker out of reach is said, with the command to run again).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from moodspeaker.commands.owner import as_owner_of
from moodspeaker.commands.privacy_folder import add_timeout, held
from moodspeaker.config import Config, ConfigError, with_changes
from moodspeaker.config.load import config_path, data_dir
from moodspeaker.util.program import command

NAME = "moodspeaker privacy delete-everything"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes", action="store_true", help="delete without asking (needed when not run on a terminal)"
    )
    add_timeout(parser)


def _confirmed(folder: Path) -> bool:
    print(
        f"This deletes everything the speaker keeps about its listeners in {folder}: mood history, "
        "feedback, profiles, neutral-face calibrations, what played, the downloaded tracks.",
        file=sys.stderr,
    )
    try:
        said = input("Type delete to confirm: ")
    except EOFError:
        said = ""
    return said.strip().lower() == "delete"


def run(args: argparse.Namespace, config: Config) -> int:
    folder = data_dir(config)
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                f"{NAME}: not on a terminal: add --yes to delete everything; nothing was deleted",
                file=sys.stderr,
            )
            return 1
        if not _confirmed(folder):
            print(f"{NAME}: not confirmed; nothing was deleted", file=sys.stderr)
            return 1
    if not folder.is_dir():
        print(f"nothing to delete: there is no data folder {folder}")
        return 0
    try:
        with held(folder) as free:
            if free:
                done, problems = _here(args, config, folder)
            else:
                with as_owner_of(folder):
                    done, problems = _asked(folder, args.timeout)
    except _RefusedError as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error, ValueError) as exc:  # ValueError: ProfileError (an unreadable database)
        print(f"{NAME}: {folder}: {exc}; the rest was not deleted", file=sys.stderr)
        return 1
    for line in done:
        print(line)
    for problem in problems:
        print(f"{NAME}: {problem}", file=sys.stderr)
    return 1 if problems else 0


class _RefusedError(Exception):
    """The running speaker refused or did not answer; the message says so."""


def _asked(folder: Path, timeout_s: float) -> tuple[list[str], list[str]]:
    from moodspeaker.service.privacy_desk import NoAnswerError, ask

    try:
        answer = ask(folder, "delete", timeout_s)
    except NoAnswerError as exc:
        raise _RefusedError(f"{exc}{'' if exc.taken else '; nothing was deleted'}") from None
    if not answer.get("ok"):
        raise _RefusedError(f"the speaker running on {folder} did not delete: {answer.get('error')}")
    problems = [str(p) for p in answer.get("problems") or ()]
    return [f"deleted by the speaker running on {folder}.", str(answer.get("deleted", ""))], problems


def _here(args: argparse.Namespace, config: Config, folder: Path) -> tuple[list[str], list[str]]:
    """No speaker runs: the config file's profile names reset as the page does (a file that cannot be
    written is said), then the files."""
    from moodspeaker.config.edit import update
    from moodspeaker.service import privacy_data
    from moodspeaker.service.privacy_export import DELETED, profiles_reset

    problems: list[str] = []
    reset = profiles_reset(config, config)
    path = config_path(args.config)
    if path is not None:
        try:
            update(
                path, lambda now: with_changes(now, profiles_reset(now, config), source=NAME), missing_ok=True
            )
        except (ConfigError, OSError) as exc:
            problems.append(f"the profile names in {path} could not be reset: {exc}")
    with as_owner_of(folder):  # the files made or written stay the service's (commands.owner)
        deleted = privacy_data.delete_data(
            with_changes(config, reset, source=NAME) if reset else config, folder
        )
    done, problems = [*(f"deleted: {line}" for line in deleted.done)], [*problems, *deleted.problems]
    if config.mqtt.enabled:
        line, blanked = _blank_broker(config, min(args.timeout, BROKER_TIMEOUT_S))
        (done if blanked else problems).append(line)
    return [*done, DELETED], problems


#: How long the offline deletion waits for the MQTT broker.
BROKER_TIMEOUT_S = 10.0


def _blank_broker(config: Config, timeout_s: float) -> tuple[str, bool]:
    """Blank what the broker keeps of the listener (the last mood, profile, track and its reason), as
    the speaker's clean stop does: a speaker that ended without one (a power cut) left them there for
    every client to read, for ever.  What was done and True, or the problem and False."""
    where = f"{config.mqtt.host}:{config.mqtt.port}"
    try:
        from moodspeaker.mqtt.admin import blank_personal

        blanked = blank_personal(config, timeout_s)
    except (ImportError, TimeoutError, ValueError) as exc:  # ValueError: MqttSetupError, TopicError
        return (
            f"the MQTT broker at {where} may still keep this speaker's last mood, profile and track: {exc}; "
            f"run `{command('privacy delete-everything --yes')}` again once it can be reached",
            False,
        )
    if not blanked:
        return f"the MQTT broker at {where} kept no mood, profile or track of this speaker", True
    return f"blanked on the MQTT broker at {where}: {', '.join(t.rsplit('/', 1)[-1] for t in blanked)}", True
