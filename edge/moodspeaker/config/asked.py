"""The settings `moodspeaker config set` asked the running speaker to apply, changed in the file or not.

Why: the running speaker follows its config file by what changed in it (config.follow), so `config
set camera.enabled=false` over a file that said false already changed nothing there: a camera
switched on meanwhile (Home Assistant's or the page's privacy switch) stayed on, while the command
said the speaker applies it.  So the command also names the settings it set in a small file in the
speaker's data folder (`ASKED_FILE`), and the speaker applies the config file's values of those
settings once it takes the file (service.file_settings), whether they changed in it or not.

The file holds names only, never values (the values are the config file's, which may be secrets), so
it is readable by the speaker's user whoever ran the command (0644).  It keeps the last `KEEP`
requests, each with an id of its own, so two commands in a row (a script) between two of the
speaker's looks are both heard; it is rewritten atomically under the config file's lock, which every
`config set` takes.  Requests already there when the speaker starts are not applied again: the
start took the file as it then was.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from moodspeaker.config.edit import locked
from moodspeaker.util.atomic import atomic_write_bytes

log = logging.getLogger(__name__)

#: The file in the data folder that names the settings `config set` asked for.
ASKED_FILE = "config-asked.json"
#: How many requests it keeps (the speaker looks every second; a script's burst fits).
KEEP = 20


def _requests(path: Path) -> list[dict[str, Any]] | None:
    """The requests in the file at `path` ([] when there is none); None when it cannot be read."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        return None
    found = data.get("requests") if isinstance(data, dict) else None
    if not isinstance(found, list):
        return None
    return [r for r in found if isinstance(r, dict) and isinstance(r.get("id"), str)]


def ask(data_dir: Path, config_path: Path, settings: Iterable[str]) -> Path | None:
    """Ask a speaker running with `data_dir` to apply `config_path`'s values of `settings`: the file
    written, or None when there is no such folder (no speaker ever ran with it).  Raises OSError
    when it cannot be written."""
    if not data_dir.is_dir():
        return None
    target = data_dir / ASKED_FILE
    with locked(config_path):
        kept = (_requests(target) or [])[-(KEEP - 1) :]
        kept.append(
            {"id": f"{time.time_ns()}-{os.getpid()}-{secrets.token_hex(4)}", "settings": sorted(settings)}
        )
        atomic_write_bytes(target, json.dumps({"requests": kept}).encode("utf-8"), mode=0o644)
    if os.geteuid() == 0:  # `sudo moodspeaker config set`: the speaker's user keeps its folder's files
        with contextlib.suppress(OSError):
            folder = data_dir.stat()
            os.chown(target, folder.st_uid, folder.st_gid)
    return target


class Asked:
    """The requests made in `data_dir` since the last look (`new`)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / ASKED_FILE
        self._seen = {r["id"] for r in _requests(self.path) or []}  # before the start: taken by it
        self._unreadable = False  # said once

    def new(self) -> set[str]:
        """The settings asked for since the last call."""
        found = _requests(self.path)
        if found is None:  # unreadable for now: what it holds is looked at again next time
            if not self._unreadable:
                log.warning("%s cannot be read: the settings it names wait until it can", self.path)
            self._unreadable = True
            return set()
        self._unreadable = False
        asked = {
            str(name)
            for r in found
            if r["id"] not in self._seen and isinstance(r.get("settings"), list)
            for name in r["settings"]
        }
        self._seen = {r["id"] for r in found}
        return asked
