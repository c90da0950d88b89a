"""`moodspeaker setup-code`: show the web page's first-boot setup code (or reset the owner password).

Only someone who can run commands on the speaker (or read its log) learns the code, which is what
makes the first visitor of the page its owner (ETSI EN 303 645 provision 5.1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from moodspeaker.commands.owner import as_owner_of
from moodspeaker.config import Config
from moodspeaker.config.load import data_dir
from moodspeaker_web.setup_code import ensure_setup_code, is_set_up, reset_owner, setup_code_command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reset",
        action="store_true",
        help="forget the page's owner password and make a new setup code (for a forgotten password)",
    )


def run(args: argparse.Namespace, config: Config) -> int:
    folder = data_dir(config)
    try:
        with as_owner_of(folder):  # sudo: the code must stay readable by the page's own user
            return _show(args, config, folder)
    except OSError as exc:
        # the same folder again, as the reset hint below: a bare `setup-code` reads another one
        print(
            f"moodspeaker setup-code: cannot use {folder} ({exc.strerror}); "
            f"run it as the speaker's service user (e.g. sudo -u moodspeaker {setup_code_command(folder)})",
            file=sys.stderr,
        )
        return 1


def _show(args: argparse.Namespace, config: Config, folder: Path) -> int:
    if args.reset:
        if not is_set_up(folder):  # a typo'd data folder: create nothing there, say so
            why = (
                "no such folder: check device.data_dir, or give the speaker's config with --config"
                if not folder.exists()
                else f"the page is not set up yet; `{setup_code_command(folder)}` shows its setup code"
            )
            print(
                f"moodspeaker setup-code: nothing to reset: {folder} has no page password ({why})",
                file=sys.stderr,
            )
            return 1
        new_code = reset_owner(folder)
        print("The page's password was removed; anyone with this code can now set a new one.")
        print(f"Setup code: {new_code}")
        return 0
    code = ensure_setup_code(folder)
    if code is None:
        print("The web page is already set up (an owner password exists).")
        # The same folder again: after `--set device.data_dir=...` a bare `setup-code --reset` would
        # reset another folder's page (the one of the config the CLI finds by itself).
        print(f"Forgot it? Run `{setup_code_command(folder)} --reset` to make a new setup code.")
        return 0
    print(f"Setup code: {code}")
    print(f"Open http://<speaker>.local:{config.web.port}/ and enter it to choose the page's password.")
    return 0
