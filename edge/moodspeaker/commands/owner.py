"""Write into the data folder as the user who owns it, also when root runs the command.

On the device the data folder (/var/lib/moodspeaker) belongs to the service's user, and an admin
runs commands with sudo: `sudo moodspeaker setup-code --reset` made a root-owned 0600 setup code
that the page (running as moodspeaker) could not read, so nobody could set the page up again.
Commands that write there take on the folder owner's effective user and group for the writes.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


@contextlib.contextmanager
def as_owner_of(folder: Path) -> Iterator[None]:
    """Run the block with the effective user and group of `folder`'s owner when root runs it.

    Nothing changes for anyone else, for a folder root owns or for one that does not exist yet
    (whoever creates it owns it).  The ids are restored afterwards.
    """
    st = _stat(folder) if os.geteuid() == 0 else None
    if st is None or st.st_uid == 0:
        yield
        return
    log.debug("acting as uid %d gid %d, the owner of %s", st.st_uid, st.st_gid, folder)
    os.setegid(st.st_gid)
    try:
        os.seteuid(st.st_uid)
        try:
            yield
        finally:
            os.seteuid(0)
    finally:
        os.setegid(0)


def _stat(folder: Path) -> os.stat_result | None:
    try:
        return folder.stat()
    except OSError:  # not there yet: whoever creates it owns it
        return None
