"""What `moodspeaker privacy export` and `delete-everything` share: the data folder, and whether a
speaker runs on it.

Not running: the command holds the folder's lock (service.datalock) while it reads or deletes the
files, so no speaker starts on them meanwhile (one that tries is refused, as a second speaker is, and
systemd starts it again).  Running: the command asks that speaker (service.privacy_desk).  Either way
it works as the folder's owner (commands.owner): files made or written stay the service's.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from moodspeaker.commands import argtypes
from moodspeaker.commands.owner import as_owner_of
from moodspeaker.service.datalock import FolderInUseError, hold_data_folder

#: How long a command waits for the running speaker's answer by default.
TIMEOUT_S = 60.0


def add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=argtypes.seconds,
        default=TIMEOUT_S,
        metavar="SECONDS",
        help=f"how long to wait for the speaker running on the data folder to answer (default {TIMEOUT_S:g})",
    )


@contextlib.contextmanager
def held(folder: Path) -> Iterator[bool]:
    """True with the folder's lock held (no speaker runs on it), False when a speaker holds it (ask
    it).  The lock is taken as the folder's owner (its file stays the service's); the block runs as
    the caller, so it works in the folder `as_owner_of` it and edits the config file as itself.
    OSError when the lock file cannot be made (a read-only folder)."""
    with as_owner_of(folder):
        try:
            lock = hold_data_folder(folder)
        except FolderInUseError:
            lock = None
    if lock is None:
        yield False
        return
    try:
        yield True
    finally:
        lock.close()
